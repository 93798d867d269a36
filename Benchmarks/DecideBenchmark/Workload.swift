import Foundation
import PromoCore
import PromoDSL
import PromoTesting

/// The benchmark's store: 100,000 skus in 500 categories and 200 brands, offers built from five
/// templates that target categories, brands or skus (as real campaigns do), and carts of random skus.
enum Workload {
    static let categories = 500
    static let brands = 200
    static let skuCount = 100_000

    /// FNV-1a (the engine's, `Holdout.fnv1a64`) over the string's bytes, read in place (a native
    /// or small string) rather than through the UTF-8 view's iterator.
    static func fnv(_ s: String) -> UInt64 {
        if let h = s.utf8.withContiguousStorageIfAvailable({ Holdout.fnv1a64($0) }) { return h }
        var copy = s
        return copy.withUTF8 { Holdout.fnv1a64($0) }
    }

    static func item(_ i: Int) -> CatalogItem {
        let price = Int64(5_00 + (i * 7_919) % 500_00)
        return CatalogItem(
            sku: "SKU\(i)", category: "cat\(i % categories)", brand: "brand\((i / 7) % brands)", price: price,
            cost: price * Int64(40 + i % 40) / 100, stock: i % 50)
    }

    static let catalog = Catalog((0..<skuCount).map(item))

    static let workspace = """
        promo: 1
        currency: CNY
        rounding: half_up
        stacking:
          seasonal: { mode: best, base: original }
          basket: { mode: stack, base: discounted }
          flat: { mode: stack, base: original }
        arbitration: { objective: incremental_profit, max_offers_per_customer: 3 }
        models:
          forecast: demand-forecast
          recommend: recommender
          profile: customer-profiler
        """

    /// The parameters of one offer, from which both the YAML and the hand-written function work.
    struct OfferSpec {
        var template: Int
        var campaign: Int
        var id: String
        var categories: [Int]
        var brand: Int
        var skus: [Int]
        var percentPPM: Int64
        var amount: Int64
        var price: Int64
        var segmentRule: Bool
        var subtotalRule: Bool
        var group: Int  // 0 seasonal, 1 basket, 2 flat
    }

    static func specs(_ count: Int) -> [OfferSpec] {
        (0..<count).map { i in
            let h = Int(fnv("offer\(i)") % 1_000_000)
            let c1 = h % categories
            let c2 = (h / 7) % categories
            return OfferSpec(
                template: i % 5, campaign: i / 10, id: "o\(i)", categories: i % 2 == 0 ? [c1] : [c1, c2],
                brand: (h / 13) % brands,
                skus: [h % skuCount, (h * 31) % skuCount, (h * 17 + 5) % skuCount],
                percentPPM: Int64(5 + h % 26) * 10_000,
                amount: Int64(1 + h % 30) * 100, price: Int64(5 + h % 60) * 100, segmentRule: i % 7 == 0,
                subtotalRule: i % 3 == 0,
                group: (i / 10) % 3)
        }
    }

    static func yaml(_ s: OfferSpec) -> String {
        let cats = s.categories.map { "\"cat\($0)\"" }
        let catCondition =
            cats.count == 1 ? "item.category == \(cats[0])" : "item.category in [\(cats.joined(separator: ", "))]"
        var when: [String] = []
        if s.segmentRule { when.append("customer.segment in [\"loyal\", \"champions\"]") }
        if s.subtotalRule { when.append("cart.subtotal >= 100 CNY") }
        var fields = ["id: \(s.id)"]
        switch s.template {
        case 0:
            fields += [
                "kind: percent_off", "percent: \(PercentValue(partsPerMillion: s.percentPPM))",
                "applies_to: '\(catCondition) and forecast.days_of_cover(item) > 30'",
            ]
        case 1:
            fields += [
                "kind: amount_off", "amount: \(Money(minorUnits: s.amount, currency: "CNY"))",
                "applies_to: '\(catCondition) and recommend.score(item) >= 0.5'", "max_items: 2",
            ]
        case 2:
            fields += [
                "kind: fixed_price", "price: \(Money(minorUnits: s.price, currency: "CNY"))",
                "applies_to: 'item.sku in [\(s.skus.map { "\"SKU\($0)\"" }.joined(separator: ", "))]'",
            ]
        case 3:
            fields += [
                "kind: percent_off", "percent: \(PercentValue(partsPerMillion: s.percentPPM))",
                "applies_to: 'item.brand == \"brand\(s.brand)\" and \(catCondition)'",
            ]
            when.append("channel == \"app\"")
        default:
            fields += [
                "kind: spend_threshold", "applies_to: '\(catCondition)'",
                "tiers: [{ spend: 200 CNY, off: 20 CNY }, { spend: 500 CNY, off: 60 CNY }]",
            ]
        }
        if !when.isEmpty { fields.append("when: '\(when.joined(separator: " and "))'") }
        return "  - " + fields.joined(separator: "\n    ")
    }

    static func campaigns(_ specs: [OfferSpec]) -> [String] {
        Dictionary(grouping: specs, by: \.campaign).sorted { $0.key < $1.key }.map { c, offers in
            """
            promo: 1
            campaign: camp\(c)
            holdout: 0%
            group: \(["seasonal", "basket", "flat"][c % 3])
            offers:
            \(offers.map(yaml).joined(separator: "\n"))
            """
        }
    }

    static func requests(lines: Int, count: Int) -> [DecisionRequest] {
        let carts = Int(ProcessInfo.processInfo.environment["PROMO_BENCH_CARTS"] ?? "") ?? Int.max
        return (0..<count).map { r in
            let cartLines = (0..<lines).map { l -> CartLine in
                let sku = Int(fnv("cart\(r % carts)-\(l)") % UInt64(skuCount))
                return CartLine(
                    id: "L\(l)", sku: "SKU\(sku)", quantity: 1 + (r + l) % 3, unitPrice: catalog["SKU\(sku)"]!.price)
            }
            return DecisionRequest(
                decisionID: "d\(r)", customer: Customer(id: "cust\(r % 5_000)"),
                cart: Cart(lines: cartLines, shipping: 10_00),
                channel: r % 2 == 0 ? "web" : "app", time: RulesFixture.noon)
        }
    }
}

/// Model outputs precomputed as tables over the catalog, as a fitted model's snapshot holds them:
/// days of cover per item, a segment per customer, and recommendation scores as the dot product of
/// customer and item factors (the way a matrix-factorisation recommender serves them). Customers
/// are found through an open-addressing table, as a served snapshot would index them.
struct TableOutputs: ModelOutputs {
    static let customers = 5_000
    /// Per item, its factors and days of cover in one cache line (as a served snapshot lays out
    /// an item's outputs), so that a line's calls cost one miss between them.
    let items: ItemTable
    let customerIndex: CustomerIndex
    /// Eight factors per customer, a vector each.
    let customerFactors: [SIMD8<Float>]
    let segments: [Value]

    init(catalog: Catalog) {
        func unit(_ s: String) -> Float { Float(Workload.fnv(s) % 10_000) / 10_000 - 0.5 }
        func factors(_ id: String) -> SIMD8<Float> { SIMD8((0..<8).map { unit("\(id)/\($0)") }) }
        items = ItemTable(
            catalog.items.map { ItemRow(factors: factors($0.sku), daysOfCover: Double(Workload.fnv($0.sku) % 120)) })
        let ids = (0..<Self.customers).map { "cust\($0)" }
        customerIndex = CustomerIndex(ids)
        customerFactors = ids.map(factors)
        segments = ids.map { .string(["loyal", "champions", "new", "lapsed"][Int(Workload.fnv($0) % 4)]) }
    }

    /// Between 0 and 1.
    func score(customer c: Int, item i: Int) -> Double {
        Double(min(1, max(0, 0.5 + 2 * (customerFactors[c] * items[i].factors).sum())))
    }

    /// The values straight from the tables into the engine's buffer, call by call.
    func answer(for batch: ModelBatch, appendingTo values: inout ModelValues) -> ModelAnswer.Notes {
        let c = customerIndex[batch.customerID]
        let ordinals = batch.ordinals
        for k in batch.calls.indices {
            switch batch.calls[k].function {
            case "forecast.days_of_cover":
                values.appendNumbers(ordinals.count) { ordinals[$0] >= 0 ? items[Int(ordinals[$0])].daysOfCover : nil }
            case "recommend.score":
                // Every item's factors read first, so that their cache misses overlap.
                var touched: Float = 0
                for i in ordinals where i >= 0 { touched += items[Int(i)].factors[0] }
                values.appendNumbers(ordinals.count) { k in
                    guard let c, ordinals[k] >= 0 else { return nil }
                    return score(customer: c, item: Int(ordinals[k])) + (touched.isNaN ? 1 : 0)
                }
            case "customer.segment": values.append(c.map { segments[$0] })
            default: for _ in 0..<batch.rows(k) { values.append(nil) }
            }
        }
        return ModelAnswer.Notes()
    }

    func values(for batch: ModelBatch) -> [[Value?]] {
        var values = ModelValues()
        _ = answer(for: batch, appendingTo: &values)
        var at = 0
        return batch.calls.indices.map { k in
            defer { at += batch.rows(k) }
            return (at..<at + batch.rows(k)).map { values[$0] }
        }
    }
}

struct ItemRow {
    var factors: SIMD8<Float>
    var daysOfCover: Double
    /// (Pads the row to 64 bytes.)
    var padding: (Double, Double) = (0, 0)
}

/// Item rows on cache-line boundaries (64 bytes each: an array's elements start 32 bytes into
/// its storage, where a row would straddle two lines).
final class ItemTable: Sendable {
    nonisolated(unsafe) private let base: UnsafeMutablePointer<ItemRow>
    let count: Int

    init(_ rows: [ItemRow]) {
        precondition(MemoryLayout<ItemRow>.stride == 64)
        count = rows.count
        base = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 64, alignment: 64)
            .bindMemory(to: ItemRow.self, capacity: max(1, count))
        rows.withUnsafeBufferPointer { if let from = $0.baseAddress { base.initialize(from: from, count: count) } }
    }

    deinit { base.deallocate() }

    subscript(i: Int) -> ItemRow {
        precondition(i >= 0 && i < count)
        return base[i]
    }
}

/// Customer ids to positions: FNV-1a into an open-addressing table (as a served snapshot would
/// index them; `Dictionary` hashes with SipHash, several times the cost for short keys).
struct CustomerIndex {
    private let keys: [String]
    private let slots: [Int32]
    private let mask: Int

    init(_ ids: [String]) {
        var size = 16
        while size < ids.count * 2 { size *= 2 }
        var slots = [Int32](repeating: -1, count: size)
        for (k, id) in ids.enumerated() {
            var s = Int(truncatingIfNeeded: Workload.fnv(id)) & (size - 1)
            while slots[s] >= 0 { s = (s + 1) & (size - 1) }
            slots[s] = Int32(k)
        }
        self.keys = ids
        self.slots = slots
        self.mask = size - 1
    }

    subscript(_ id: String) -> Int? {
        var s = Int(truncatingIfNeeded: Workload.fnv(id)) & mask
        while slots[s] >= 0 {
            if keys[Int(slots[s])] == id { return Int(slots[s]) }
            s = (s + 1) & mask
        }
        return nil
    }
}
