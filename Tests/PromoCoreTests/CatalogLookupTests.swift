import Foundation
import PromoCore
import PromoTesting
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

    /// The engine resolves cart lines through a table of its own (skus of up to 16 ASCII bytes
    /// packed into words, in the slot with the item's row; others through the catalog's index):
    /// every line must resolve to the item `Catalog` finds, over skus of every length up to 24
    /// bytes (each way of packing them), non-ASCII ones, canonically equivalent spellings and skus
    /// the catalog does not have. An offer worth each item's cost shows which item a line met.
    @Test func engineResolvesCartSkusAsTheCatalogDoes() throws {
        let alphabet: [String] = ["a", "Z", "7", "-", "K", "\u{212A}", "e", "\u{301}", "\u{E9}", "\u{4E2D}"]
        var state: UInt64 = 7
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        // Mostly ASCII, so that most skus take the packed path; lengths 1 to 24.
        func word() -> String {
            (0..<(1 + next(24))).map { _ in next(4) == 0 ? alphabet[next(alphabet.count)] : alphabet[next(4)] }
                .joined()
        }
        let skus = (0..<800).map { _ in word() }
        let catalog = Catalog(
            skus.enumerated().map {
                CatalogItem(
                    sku: $0.element, category: "c", brand: "b", price: 1_000_00, cost: Int64(1 + $0.offset), stock: 1)
            })
        let rules = try RulesFixture.ruleSet([
            RulesFixture.campaign("c", offers: "  - { id: a, kind: amount_off, amount: item.cost }")
        ])
        let engine = Engine(rules: rules, catalog: catalog)
        var resolved = 0
        for r in 0..<300 {
            // Catalog skus as written, in their other canonical spellings, and new words.
            let probes = (0..<10).map { _ -> String in
                switch next(3) {
                case 0: return skus[next(skus.count)]
                case 1: return skus[next(skus.count)].decomposedStringWithCanonicalMapping
                default: return word()
                }
            }
            let lines = probes.enumerated().map { RulesFixture.line("L\($0.offset)", $0.element, 1, 1_000_00) }
            let d = engine.decide(RulesFixture.request(lines, id: "d\(r)"), models: FixtureModelOutputs())
            let given = Dictionary(
                uniqueKeysWithValues: (d.chosen.first?.allocation ?? []).map { ($0.line, $0.amount) })
            for (k, probe) in probes.enumerated() {
                let expected = catalog[probe]?.cost ?? 0
                #expect(given["L\(k)", default: 0] == expected, "\(probe.unicodeScalars.map(\.value))")
                if expected > 0 { resolved += 1 }
            }
        }
        #expect(resolved > 1_000)
    }

    /// Over a catalog whose table takes megabytes, every sku still resolves to its own item, the
    /// last ones included.
    @Test func aLargeCatalogsTableResolvesEverySku() throws {
        let count = 60_000
        let catalog = Catalog(
            (0..<count).map {
                CatalogItem(sku: "S\($0)", category: "c", brand: "b", price: 1_000_00, cost: Int64(1 + $0), stock: 1)
            })
        let rules = try RulesFixture.ruleSet([
            RulesFixture.campaign("c", offers: "  - { id: a, kind: amount_off, amount: item.cost }")
        ])
        let engine = Engine(rules: rules, catalog: catalog)
        for first in Swift.stride(from: 0, to: count, by: 997) + [count - 10] {
            let lines = (first..<min(count, first + 10)).map { RulesFixture.line("L\($0)", "S\($0)", 1, 1_000_00) }
            let d = engine.decide(RulesFixture.request(lines, id: "d\(first)"), models: FixtureModelOutputs())
            let given = Dictionary(
                uniqueKeysWithValues: (d.chosen.first?.allocation ?? []).map { ($0.line, $0.amount) })
            let costs = Dictionary(
                uniqueKeysWithValues: (first..<min(count, first + 10)).map { ("L\($0)", Int64(1 + $0)) })
            #expect(given == costs, "skus from S\(first)")
        }
    }

    /// A frame keeps the symbols of strings it met (channels, segments) in a small cache keyed by
    /// their bytes: one engine deciding requests whose strings come and go (more than the cache
    /// holds, named by the rules or not, differing only past their eighth byte, long, not ASCII)
    /// decides each as an engine that never saw the others.
    @Test func recentStringsKeepTheirSymbols() throws {
        let channels = [
            "app", "web", "channel-alpha-1", "channel-alpha-2", "kiosk", "a-channel-name-longer-than-16", "caf\u{E9}",
            "c0", "c1", "c2", "c3", "c4", "c5",
        ]
        let segments = ["loyal", "champions", "new", "segment-number-1", "segment-number-2", "s0", "s1", "s2", "s3"]
        func offer(_ id: String, _ when: String) -> String {
            "  - { id: \(id), kind: amount_off, amount: 1 CNY, when: '\(when)' }"
        }
        let rules = try RulesFixture.ruleSet([
            RulesFixture.campaign("a", group: "flat", offers: offer("app", "channel == \"app\"")),
            RulesFixture.campaign("b", group: "flat", offers: offer("long", "channel == \"channel-alpha-1\"")),
            RulesFixture.campaign("c", group: "flat", offers: offer("cafe", "channel in [\"caf\u{E9}\", \"kiosk\"]")),
            RulesFixture.campaign("d", group: "flat", offers: offer("seg", "customer.segment == \"segment-number-1\"")),
            RulesFixture.campaign(
                "e", group: "flat", offers: offer("loyal", "customer.segment in [\"loyal\", \"s2\"]")),
        ])
        let catalog = Catalog([CatalogItem(sku: "S", category: "c", brand: "b", price: 10_00, cost: 1_00, stock: 1)])
        var customers: [String: [String: Value]] = [:]
        for (k, s) in segments.enumerated() { customers["c\(k)"] = ["customer.segment": .string(s)] }
        let models = FixtureModelOutputs(customers: customers)
        let shared = Engine(rules: rules, catalog: catalog)
        var given = 0
        for r in 0..<200 {
            let request = DecisionRequest(
                decisionID: "d\(r)", customer: Customer(id: "c\(r * 7 % segments.count)"),
                cart: Cart(lines: [RulesFixture.line("1", "S", 1, 10_00)]), channel: channels[r * 5 % channels.count],
                time: RulesFixture.noon)
            let d = shared.decide(request, models: models)
            #expect(d == Engine(rules: rules, catalog: catalog).decide(request, models: models), "request \(r)")
            given += d.chosen.count
        }
        #expect(given > 100)
    }
}
