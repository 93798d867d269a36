import PromoCore

/// The 100-offer workload written directly in Swift, without the rules language: native fields,
/// no closures, offers looked up by the categories and skus in the cart, the same semantics (per-unit discounts, tiers with largest-remainder
/// allocation, groups best / stack on discounted / stack on original, at most 3 offers, the
/// fallback arbitration). It is the practical limit the engine is compared with.
struct HandWritten {
    struct Offer {
        var spec: Workload.OfferSpec
        var categories: Set<String>
        var brand: String
        var skus: Set<String>
    }

    let offers: [Offer]
    let catalog: Catalog
    let tables: TableOutputs
    /// Offers by the category or sku they target: a direct implementation looks only at those.
    let byCategory: [String: [Int]]
    let bySku: [String: [Int]]

    init(_ specs: [Workload.OfferSpec], catalog: Catalog, tables: TableOutputs) {
        self.tables = tables
        // The engine's stable order: campaign id, then offer id, as text.
        offers = specs.sorted { ("camp\($0.campaign)", $0.id) < ("camp\($1.campaign)", $1.id) }.map {
            Offer(
                spec: $0, categories: Set($0.categories.map { "cat\($0)" }), brand: "brand\($0.brand)",
                skus: Set($0.skus.map { "SKU\($0)" }))
        }
        self.catalog = catalog
        var byCategory: [String: [Int]] = [:]
        var bySku: [String: [Int]] = [:]
        for (k, o) in offers.enumerated() {
            if o.spec.template == 2 {
                for sku in o.skus { bySku[sku, default: []].append(k) }
            } else {
                for c in o.categories { byCategory[c, default: []].append(k) }
            }
        }
        self.byCategory = byCategory
        self.bySku = bySku
    }

    struct Line {
        var id: String
        var sku: String
        var item: CatalogItem
        var ordinal: Int
        var quantity: Int64
        var price: Int64
    }

    struct Result: Equatable {
        var total: Int64
        var chosen: [String]
    }

    static func percent(_ price: Int64, _ ppm: Int64) -> Int64 {
        let n = price * ppm
        return n / 1_000_000 + (n % 1_000_000 * 2 >= 1_000_000 ? 1 : 0)
    }

    func value(_ o: Offer, _ lines: [Line], _ base: [Int64], customer: Int?) -> [Int64]? {
        var d = [Int64](repeating: 0, count: lines.count)
        let s = o.spec
        switch s.template {
        case 0, 3:
            for (i, l) in lines.enumerated() where o.categories.contains(l.item.category) {
                if s.template == 0 ? tables.items[l.ordinal].daysOfCover > 30 : l.item.brand == o.brand {
                    d[i] = Self.percent(base[i], s.percentPPM) * l.quantity
                }
            }
        case 1:
            var units: [(unit: Int64, line: Int)] = []
            for (i, l) in lines.enumerated()
            where o.categories.contains(l.item.category)
                && (customer.map({ tables.score(customer: $0, item: l.ordinal) >= 0.5 }) ?? false)
            {
                let u = min(s.amount, base[i])
                if u > 0 { units.append((u, i)) }
            }
            units.sort { ($0.unit, lines[$1.line].id) > ($1.unit, lines[$0.line].id) }
            var left: Int64 = 2
            for u in units where left > 0 {
                let q = min(left, lines[u.line].quantity)
                d[u.line] = u.unit * q
                left -= q
            }
        case 2:
            for (i, l) in lines.enumerated() where o.skus.contains(l.sku) {
                d[i] = max(0, base[i] - s.price) * l.quantity
            }
        default:
            var weights = [Int64](repeating: 0, count: lines.count)
            var sum: Int64 = 0
            for (i, l) in lines.enumerated() where o.categories.contains(l.item.category) {
                weights[i] = base[i] * l.quantity
                sum += weights[i]
            }
            let off: Int64 = sum >= 500_00 ? 60_00 : sum >= 200_00 ? 20_00 : 0
            guard off > 0 else { return nil }
            d = Allocation.largestRemainder(min(off, sum), weights: weights, ids: lines.map(\.id))
        }
        return d.contains { $0 > 0 } ? d : nil
    }

    func decide(_ r: DecisionRequest) -> Result {
        let lines = r.cart.lines.sorted { $0.id < $1.id }.map { l in
            let k = catalog.ordinal(of: l.sku)!
            return Line(
                id: l.id, sku: l.sku, item: catalog.items[k], ordinal: k, quantity: Int64(l.quantity),
                price: l.unitPrice)
        }
        let customer = tables.customerIndex[r.customer.id]
        let amounts = lines.map { $0.price * $0.quantity }
        let subtotal = amounts.reduce(0, +)
        let margin = lines.reduce(Int64(0)) { $0 + ($1.price - $1.item.cost) * $1.quantity }
        let segment = customer.map { tables.segments[$0] }
        let loyal = segment == .string("loyal") || segment == .string("champions")
        func score(_ d: [Int64]) -> Double {
            let v = d.reduce(0, +)
            let p1 = min(1, 0.5 * (1 + 2 * Double(v) / Double(subtotal)))
            return p1 * Double(margin - v) - 0.5 * Double(margin)
        }
        var eligible: [(index: Int, d: [Int64], score: Double)] = []
        let base = lines.map(\.price)
        var relevant: Set<Int> = []
        for l in lines {
            relevant.formUnion(byCategory[l.item.category] ?? [])
            relevant.formUnion(bySku[l.sku] ?? [])
        }
        for k in relevant.sorted() {
            let o = offers[k]
            if o.spec.segmentRule && !loyal { continue }
            if o.spec.subtotalRule && subtotal < 100_00 { continue }
            if o.spec.template == 3 && r.channel != "app" { continue }
            if let d = value(o, lines, base, customer: customer) { eligible.append((k, d, score(d))) }
        }
        var capped: Set<Int> = []
        while true {
            var applied = [Int64](repeating: 0, count: lines.count)
            var chosen: [(index: Int, score: Double)] = []
            for g in 0..<3 {
                var members = eligible.filter { offers[$0.index].spec.group == g && !capped.contains($0.index) }
                if g == 0 { members.sort { ($0.score, -$0.index) > ($1.score, -$1.index) } }
                for m in members {
                    if g == 0 && !chosen.filter({ offers[$0.index].spec.group == 0 }).isEmpty { break }
                    var d = m.d
                    var s = m.score
                    if g == 1 && applied.contains(where: { $0 > 0 }) {
                        let b = lines.indices.map { (amounts[$0] - applied[$0]) / lines[$0].quantity }
                        guard let v = value(offers[m.index], lines, b, customer: customer) else { continue }
                        d = v
                        s = score(v)
                    }
                    let clipped = lines.indices.map { min(d[$0], amounts[$0] - applied[$0]) }
                    guard clipped.contains(where: { $0 > 0 }) else { continue }
                    for i in applied.indices { applied[i] += clipped[i] }
                    chosen.append((m.index, s))
                }
            }
            if chosen.count <= 3 {
                return Result(
                    total: subtotal - applied.reduce(0, +) + r.cart.shipping,
                    chosen: chosen.map { offers[$0.index].spec.id })
            }
            let ranked = chosen.sorted { ($0.score, -$0.index) > ($1.score, -$1.index) }
            for c in ranked.dropFirst(3) { capped.insert(c.index) }
        }
    }
}
