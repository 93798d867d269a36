import PromoCore
import Testing

/// The catalog's sku look-up (an FNV table for ASCII, a dictionary otherwise) finds exactly what a
/// `Dictionary<String, _>` finds: String equality, canonical equivalence included.
@Suite struct CatalogLookupTests {
    static func item(_ sku: String, _ price: Int64) -> CatalogItem {
        CatalogItem(sku: sku, category: "c", brand: "b", price: price, cost: 1, stock: 1)
    }

    @Test func canonicallyEquivalentSkusAreOneSku() {
        let catalog = Catalog([
            Self.item("K", 1), Self.item("caf\u{E9}", 2), Self.item("cafe\u{301}", 3), Self.item("\u{212B}", 4),
        ])
        #expect(catalog.count == 3)  // "café" twice: the first is kept
        #expect(catalog["\u{212A}"]?.price == 1)  // KELVIN SIGN is canonically "K"
        #expect(catalog["K"]?.price == 1)
        #expect(catalog["cafe\u{301}"]?.price == 2)
        #expect(catalog["caf\u{E9}"]?.price == 2)
        #expect(catalog["\u{C5}"]?.price == 4)  // ANGSTROM SIGN is canonically "Å"
        #expect(catalog["A\u{30A}"]?.price == 4)
        #expect(catalog["k"] == nil)
        #expect(catalog[""] == nil)
    }

    @Test func agreesWithADictionaryOnRandomStrings() {
        let alphabet: [String] = ["a", "b", "K", "\u{212A}", "e", "\u{301}", "\u{E9}", "1", "-", " ", "\u{4E2D}"]
        var state: UInt64 = 42
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        func word() -> String { (0..<(1 + next(4))).map { _ in alphabet[next(alphabet.count)] }.joined() }
        let skus = (0..<600).map { _ in word() }
        var reference: [String: Int] = [:]
        var kept: [String] = []
        for s in skus where reference[s] == nil {
            reference[s] = kept.count
            kept.append(s)
        }
        let catalog = Catalog(skus.enumerated().map { Self.item($0.element, Int64($0.offset)) })
        #expect(catalog.count == kept.count)
        for _ in 0..<2_000 {
            let probe = word()
            #expect(catalog.ordinal(of: probe) == reference[probe], "\(probe.unicodeScalars.map(\.value))")
        }
    }
}
