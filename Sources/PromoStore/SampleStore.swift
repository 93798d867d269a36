import Foundation
public import PromoCore
import PromoDSL

/// A deterministic, synthetic mid-size online store matching the example rules: a catalog across
/// apparel and grocery, customers with planted behaviours, a year of orders with weekly and yearly
/// seasonality and promotions whose response follows known price elasticities and feature lifts,
/// and logged offer exposures with their outcomes and logging propensities.
///
/// Everything it writes is labelled synthetic. The generating model is written next to the data
/// (`README.md`) with its parameters, so model quality can be checked against the truth
/// (`truth_customers.csv`: each customer's planted behaviour; `truth_items.csv`: each sku's
/// elasticity and lifts).
///
/// ```swift
/// let summary = try SampleStore(customers: 2_000, seed: 42).write(folder: "store")
/// ```
public struct SampleStore: Sendable {
    public var customers: Int
    public var skus: Int
    public var months: Int
    public var seed: UInt64
    /// The last day of the history (exclusive), seconds since 1970: 2026-11-28T00:00Z by default.
    public var end: Int64

    public init(
        customers: Int = 2_000, skus: Int = 300, months: Int = 12, seed: UInt64 = 42, end: Int64 = 1_795_824_000
    ) {
        self.customers = customers
        self.skus = skus
        self.months = months
        self.seed = seed
        self.end = end
    }

    /// The planted customer behaviours and their shares.
    public enum Behaviour: String, Sendable, CaseIterable {
        case frequent, highValue = "high_value", bargain, lapsed, new

        var share: Double {
            switch self {
            case .frequent: 0.25
            case .highValue: 0.10
            case .bargain: 0.25
            case .lapsed: 0.25
            case .new: 0.15
            }
        }
        /// Visits per year while active.
        var visits: Double {
            switch self {
            case .frequent: 40
            case .highValue: 18
            case .bargain: 14
            case .lapsed: 12
            case .new: 20
            }
        }
        /// How strongly promotions draw this customer (multiplies the item's promotion response).
        var promotionSensitivity: Double {
            switch self {
            case .bargain: 3
            case .highValue: 0.5
            default: 1
            }
        }
        /// Extra purchase probability when shown an offer (the planted uplift).
        var uplift: Double {
            switch self {
            case .bargain: 0.12
            case .lapsed: 0.08
            case .new: 0.05
            case .frequent: 0.01
            case .highValue: 0.0
            }
        }
    }

    struct Category {
        var name: String
        var apparel: Bool
        var price: ClosedRange<Double>
        var brands: [String]
        var weight: Double
    }

    static let categories: [Category] = [
        Category(
            name: "outerwear", apparel: true, price: 399...1899, brands: ["Northwind", "Alpine", "Harbor"], weight: 0.5),
        Category(
            name: "knitwear", apparel: true, price: 199...799, brands: ["Fold", "Northwind", "Loom"], weight: 0.8),
        Category(name: "scarves", apparel: true, price: 59...259, brands: ["Fold", "Loom"], weight: 0.8),
        Category(name: "accessories", apparel: true, price: 29...199, brands: ["Fold", "Harbor"], weight: 0.9),
        Category(name: "juice", apparel: false, price: 9.9...29.9, brands: ["Sunny", "Orchard", "Tropic"], weight: 3),
        Category(name: "coffee", apparel: false, price: 35...128, brands: ["Roastery", "Highland"], weight: 1.5),
        Category(name: "cereal", apparel: false, price: 15...45, brands: ["Field", "Morning"], weight: 1.5),
        Category(name: "dairy", apparel: false, price: 9.9...36, brands: ["Meadow", "Valley"], weight: 2.5),
        Category(name: "snacks", apparel: false, price: 9.9...59, brands: ["Field", "Crunch", "Tropic"], weight: 2),
        Category(name: "tea", apparel: false, price: 25...168, brands: ["Highland", "Jade"], weight: 1),
    ]

    /// The example catalog's skus (rules/examples/catalog.yaml), kept so the example carts work.
    static let fixed: [(sku: String, title: String, category: String, brand: String, price: Int64, cost: Int64)] = [
        ("AP-COAT-01", "Wool overcoat", "outerwear", "Northwind", 89_900, 42_000),
        ("AP-COAT-02", "Down parka", "outerwear", "Northwind", 129_900, 61_000),
        ("AP-SCARF-01", "Merino scarf", "scarves", "Fold", 12_900, 3_800),
        ("AP-KNIT-01", "Cable-knit sweater", "knitwear", "Fold", 45_900, 16_000),
        ("AP-TOTE-01", "Canvas tote bag", "accessories", "Fold", 4_900, 1_200),
        ("GR-JUI-ORG", "Orange juice 1L", "juice", "Sunny", 1_890, 1_120),
        ("GR-JUI-APL", "Apple juice 1L", "juice", "Sunny", 1_550, 910),
        ("GR-COF-250", "Ground coffee 250g", "coffee", "Roastery", 5_800, 3_000),
        ("GR-OAT-500", "Rolled oats 500g", "cereal", "Field", 2_400, 1_100),
        ("GR-MILK-1L", "Fresh milk 1L", "dairy", "Meadow", 1_680, 1_050),
        ("GR-NUTS-200", "Mixed nuts 200g", "snacks", "Field", 3_990, 2_100),
    ]

    /// `rules/examples/customers.yaml`'s customers, first, with the behaviour that fits them.
    static let exampleCustomers: [(String, Behaviour, String, Bool)] = [
        ("c-1001", .frequent, "gold", false), ("c-2002", .lapsed, "silver", false), ("c-3003", .new, "", true),
    ]

    /// What the generator planted for one sku.
    struct Item {
        var item: CatalogItem
        var category: Int
        var popularity: Double
        var elasticity: Double
        var featureLift: Double
        /// Weeks (since the start) in which the sku is on promotion, with the discount.
        var promotions: [Int: Double]
    }

    public struct Summary: Sendable, Hashable {
        public var customers: Int
        public var skus: Int
        public var orderLines: Int
        public var exposures: Int
        public var files: [String]
    }

    /// Writes `catalog.csv`, `customers.csv`, `orders.csv`, `exposures.csv`, `truth_customers.csv`,
    /// `truth_items.csv` and `README.md` into `folder`, streaming (memory does not grow with the
    /// number of customers).
    @discardableResult
    public func write(folder: String) throws -> Summary {
        let fm = FileManager.default
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var rng = SplitMix64(seed: seed)
        let days = months * 365 / 12
        let start = end - Int64(days) * 86_400
        let weeks = days / 7 + 1

        // Catalog.
        var items: [Item] = []
        for (k, f) in Self.fixed.enumerated() where k < skus {
            let c = Self.categories.firstIndex { $0.name == f.category }!
            items.append(
                Item(
                    item: CatalogItem(
                        sku: f.sku, title: f.title, category: f.category, brand: f.brand, price: f.price, cost: f.cost,
                        stock: 0),
                    category: c, popularity: 0, elasticity: 0, featureLift: 0, promotions: [:]))
        }
        while items.count < skus {
            let c = rng.pick(weights: Self.categories.map(\.weight))
            let cat = Self.categories[c]
            let brand = cat.brands[Int(rng.next() % UInt64(cat.brands.count))]
            let logLow = log(cat.price.lowerBound)
            let price = exp(logLow + rng.unit() * (log(cat.price.upperBound) - logLow))
            let minor = Int64((price * 10).rounded()) * 10  // whole 0.10
            let margin = cat.apparel ? 0.45 + 0.2 * rng.unit() : 0.2 + 0.15 * rng.unit()
            let n = items.count + 1
            let sku = String(
                format: "%@-%@-%04d", cat.apparel ? "AP" : "GR", String(cat.name.prefix(3)).uppercased(), n)
            items.append(
                Item(
                    item: CatalogItem(
                        sku: sku, title: "\(brand) \(cat.name) \(n)", category: cat.name, brand: brand, price: minor,
                        cost: Int64((Double(minor) * (1 - margin) / 10).rounded()) * 10, stock: 0),
                    category: c, popularity: 0, elasticity: 0, featureLift: 0, promotions: [:]))
        }
        for i in items.indices {
            // Popularity: Zipf-like within the whole catalog, shuffled by the generator.
            items[i].popularity = 1 / pow(Double(1 + rng.next() % UInt64(skus)), 0.8)
            items[i].elasticity = -1.5 - 2 * rng.unit()  // -1.5 to -3.5
            items[i].featureLift = 1.6 + 0.8 * rng.unit()  // 1.6 to 2.4
            for w in 0..<weeks where rng.unit() < 0.06 {
                items[i].promotions[w] = [0.1, 0.15, 0.2, 0.25, 0.3][Int(rng.next() % 5)]
            }
            items[i].item.stock = Int(20 + rng.next() % 600)
        }
        let byCategory = Dictionary(grouping: items.indices, by: { items[$0].category })

        // Writers.
        let catalogOut = try CSVWriter(folder + "/catalog.csv", header: StoreTable.catalog.columns)
        for it in items {
            let i = it.item
            try catalogOut.row([
                i.sku, i.title, i.category, i.brand, money(i.price), money(i.cost), String(i.stock), "synthetic",
            ])
        }
        try catalogOut.close()
        let truthItems = try CSVWriter(
            folder + "/truth_items.csv", header: ["sku", "elasticity", "feature_lift", "promotion_weeks"])
        for it in items {
            try truthItems.row([
                it.item.sku, String(format: "%.3f", it.elasticity), String(format: "%.3f", it.featureLift),
                String(it.promotions.count),
            ])
        }
        try truthItems.close()

        let customersOut = try CSVWriter(folder + "/customers.csv", header: StoreTable.customers.columns)
        let truthCustomers = try CSVWriter(folder + "/truth_customers.csv", header: ["customer_id", "behaviour"])
        let ordersOut = try CSVWriter(folder + "/orders.csv", header: StoreTable.orders.columns)
        let exposuresOut = try CSVWriter(folder + "/exposures.csv", header: StoreTable.exposures.columns)
        var orderLines = 0
        var exposures = 0
        var orderNumber = 0
        let behaviours = Behaviour.allCases
        // Yearly seasonality by month (Jan..Dec) and weekly by weekday (Mon..Sun).
        let monthly: [Double] = [0.9, 0.8, 0.9, 0.95, 1, 0.95, 0.9, 0.9, 1, 1.05, 1.3, 1.45]
        let weekly: [Double] = [0.9, 0.9, 0.95, 1, 1.1, 1.3, 1.25]
        let dayWeights: [Double] = (0..<days).map { d in
            let t = start + Int64(d) * 86_400
            let comps = Calendar(identifier: .gregorian).dateComponents(
                in: TimeZone(identifier: "UTC")!, from: Date(timeIntervalSince1970: TimeInterval(t)))
            return monthly[(comps.month ?? 1) - 1] * weekly[((comps.weekday ?? 1) + 5) % 7]
        }
        // cumulative[d] = weight of days before d, for drawing a day by binary search.
        var cumulative = [0.0]
        for w in dayWeights { cumulative.append(cumulative.last! + w) }

        for n in 0..<customers {
            var id = String(format: "s-%06d", n + 1)
            var b = behaviours[rng.pick(weights: behaviours.map(\.share))]
            var tier =
                b == .highValue
                ? "gold"
                : (b == .frequent ? (rng.unit() < 0.5 ? "gold" : "silver") : (rng.unit() < 0.3 ? "silver" : ""))
            var employee = rng.unit() < 0.01
            if n < Self.exampleCustomers.count {  // the example customers of rules/examples, planted
                (id, b, tier, employee) = Self.exampleCustomers[n]
            }
            try customersOut.row([id, employee ? "true" : "false", tier, "CN", "synthetic"])
            try truthCustomers.row([id, b.rawValue])
            // Active days: lapsed customers stop in the first two thirds; new ones start in the last 60 days.
            var first = 0
            var last = days
            if b == .lapsed { last = Int(Double(days) * (0.2 + 0.45 * rng.unit())) }
            if b == .new { first = days - 60 + Int(rng.next() % 50) }
            let activeWeight = cumulative[last] - cumulative[first]
            let expected = b.visits * Double(last - first) / 365
            let visits = rng.poisson(expected)
            // Category preferences: apparel lovers and grocery shoppers.
            let apparelBias = b == .highValue ? 2.5 : (rng.unit() < 0.4 ? 1.5 : 0.6)
            let categoryWeights = Self.categories.map { $0.weight * ($0.apparel ? apparelBias : 1) }
            for _ in 0..<visits {
                let target = cumulative[first] + rng.unit() * activeWeight
                var lo = first
                var hi = last - 1
                while lo < hi {  // the last day whose cumulative start is <= target
                    let mid = (lo + hi + 1) / 2
                    if cumulative[mid] <= target { lo = mid } else { hi = mid - 1 }
                }
                let day = lo
                let week = day / 7
                let time = start + Int64(day) * 86_400 + Int64(8 * 3600 + rng.next() % (14 * 3600))
                orderNumber += 1
                let order = String(format: "so-%08d", orderNumber)
                let lines = 1 + rng.poisson(b == .highValue ? 2.5 : 1.5)
                var taken = Set<Int>()
                for _ in 0..<lines {
                    let c = rng.pick(weights: categoryWeights)
                    guard let pool = byCategory[c] else { continue }
                    // Choice within the category: popularity times promotion response.
                    let weights = pool.map { i -> Double in
                        var w = items[i].popularity
                        if let off = items[i].promotions[week] {
                            let response = pow(1 - off, items[i].elasticity) * items[i].featureLift
                            w *= 1 + (response - 1) * b.promotionSensitivity
                        }
                        return w
                    }
                    let i = pool[rng.pick(weights: weights)]
                    guard taken.insert(i).inserted else { continue }
                    let it = items[i]
                    let off = it.promotions[week]
                    let quantity =
                        it.item.category == "outerwear" || it.item.category == "knitwear" ? 1 : 1 + rng.poisson(0.6)
                    let discount =
                        off.map { Int64((Double(it.item.price) * $0 / 10).rounded()) * 10 * Int64(quantity) } ?? 0
                    try ordersOut.row([
                        order, it.item.sku, id, CivilTime.iso(time), String(quantity), money(it.item.price),
                        money(discount),
                        off.map { "promo-w\(week)-\(Int($0 * 100))" } ?? "",
                    ])
                    orderLines += 1
                }
            }
            // Logged exposures: a uniform-random logging policy shows the winter offer or nothing;
            // the outcome (a purchase within a week) follows the behaviour's base rate plus its uplift.
            let shown = rng.poisson(b == .new ? 2 : 4)
            for k in 0..<shown {
                let day = first + Int(rng.next() % UInt64(max(1, last - first)))
                let time = start + Int64(day) * 86_400 + Int64(k)
                let treated = rng.unit() < 0.5
                let base = min(0.9, b.visits / 52)
                let p = base + (treated ? b.uplift : 0)
                try exposuresOut.row([
                    id, CivilTime.iso(time), treated ? "winter-10" : "", rng.unit() < p ? "1" : "0", "0.5",
                ])
                exposures += 1
            }
        }
        for w in [customersOut, truthCustomers, ordersOut, exposuresOut] { try w.close() }
        try readme(items: items.count, orderLines: orderLines, exposures: exposures, start: start)
            .write(toFile: folder + "/README.md", atomically: true, encoding: .utf8)
        return Summary(
            customers: customers, skus: items.count, orderLines: orderLines, exposures: exposures,
            files: [
                "catalog.csv", "customers.csv", "orders.csv", "exposures.csv", "truth_customers.csv", "truth_items.csv",
                "README.md",
            ])
    }

    private func money(_ m: Int64) -> String { ExactDecimal(mantissa: m, scale: 2).description }

    func readme(items: Int, orderLines: Int, exposures: Int, start: Int64) -> String {
        """
        # Sample store (SYNTHETIC DATA)

        Generated by `promo sample-store --customers \(customers) --skus \(skus) --months \(months) --seed \(seed)`.
        Every row is synthetic; nothing here describes real people or sales. The same arguments give
        the same files, byte for byte.

        \(customers) customers, \(items) skus, \(orderLines) order lines from \(CivilTime.iso(start)) to \(CivilTime.iso(end)), \(exposures) logged exposures.

        ## The generating model

        - **Catalog**: the 11 skus of `rules/examples/catalog.yaml`, then skus drawn across 10
          categories (apparel: outerwear, knitwear, scarves, accessories; grocery: juice, coffee,
          cereal, dairy, snacks, tea) with log-uniform prices in each category's range and margins of
          45-65% (apparel) or 20-35% (grocery). Popularity 1/r^0.8 for a random rank r.
        - **Promotions**: each sku is on promotion in a given week with probability 6%, at 10, 15, 20,
          25 or 30% off. A promoted sku's choice weight is multiplied by
          `(1 - discount)^elasticity x feature_lift`, with elasticity uniform in [-3.5, -1.5] and the
          feature lift uniform in [1.6, 2.4] (the order of the display and feature effects measured on
          Dominick's orange juice). Both are in `truth_items.csv`.
        - **Customers** (behaviour in `truth_customers.csv`, shares; the first three are the example
          customers c-1001 frequent, c-2002 lapsed and c-3003 new): frequent 25% (40 visits a year),
          high value 10% (18 visits, 2.5x apparel, more lines, half the promotion response), bargain
          25% (14 visits, 3x the promotion response), lapsed 25% (12 visits a year until a day between
          20% and 65% of the period, then none), new 15% (20 visits a year, first visit in the last 60
          days).
        - **Visits**: Poisson in number; days drawn with yearly (Nov 1.3, Dec 1.45, Feb 0.8 ...) and
          weekly (Sat 1.3, Sun 1.25, Mon 0.9) seasonality; 1 + Poisson(1.5) lines (2.5 for high value),
          categories weighted by grocery frequency and the customer's apparel bias; quantity 1
          (outerwear, knitwear) or 1 + Poisson(0.6). Discounts are recorded per line with the promotion id.
        - **Exposures**: a uniform random logging policy (propensity 0.5) shows offer `winter-10` or
          nothing; the outcome is 1 with probability min(0.9, visits/52) plus the behaviour's uplift
          when shown (bargain 0.12, lapsed 0.08, new 0.05, frequent 0.01, high value 0).
        """
    }
}

/// Buffered CSV output.
final class CSVWriter {
    let handle: FileHandle
    var buffer: [UInt8] = []

    init(_ path: String, header: [String]) throws {
        FileManager.default.createFile(atPath: path, contents: nil)
        guard let h = FileHandle(forWritingAtPath: path) else { throw StoreError("cannot write \(path)") }
        handle = h
        try row(header)
    }

    func row(_ fields: [String]) throws {
        for (i, f) in fields.enumerated() {
            if i > 0 { buffer.append(UInt8(ascii: ",")) }
            if f.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A }) {
                buffer.append(UInt8(ascii: "\""))
                for b in f.utf8 {
                    if b == UInt8(ascii: "\"") { buffer.append(b) }
                    buffer.append(b)
                }
                buffer.append(UInt8(ascii: "\""))
            } else {
                buffer.append(contentsOf: f.utf8)
            }
        }
        buffer.append(0x0A)
        if buffer.count > 1 << 20 { try flush() }
    }

    func flush() throws {
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        try flush()
        try handle.close()
    }
}
