import Foundation
import PromoDSL

/// The store's history that models train on: the canonical tables of DESIGN.md ("Store data").
///
/// ```swift
/// let store = try StoreData.load(folder: "rules/examples/store", currency: "CNY")
/// store.orders.count
/// ```
public struct StoreData: Sendable, Hashable {
    public var currency: String
    public var catalog: [CatalogItem]
    public var customers: [Customer]
    public var orders: [OrderLine]
    /// Aggregated sales, where only aggregates exist (optional).
    public var sales: [SalesRow]
    /// Logged offer exposures and their outcomes, for uplift and off-policy evaluation (optional).
    public var exposures: [Exposure]

    public init(
        currency: String, catalog: [CatalogItem] = [], customers: [Customer] = [], orders: [OrderLine] = [],
        sales: [SalesRow] = [], exposures: [Exposure] = []
    ) {
        self.currency = currency
        self.catalog = catalog
        self.customers = customers
        self.orders = orders
        self.sales = sales
        self.exposures = exposures
    }

    /// Names of the tables that have rows: what a plugin's `trains_on` is checked against.
    public var tablesWithRows: [String] {
        var t: [String] = []
        if !catalog.isEmpty { t.append("catalog") }
        if !customers.isEmpty { t.append("customers") }
        if !orders.isEmpty { t.append("orders") }
        if !sales.isEmpty { t.append("sales") }
        if !exposures.isEmpty { t.append("exposures") }
        return t
    }
}

/// One order line: `orders.csv` (order_id, customer_id, time, sku, quantity, unit_price, discount, promotion_id).
public struct OrderLine: Sendable, Hashable, Codable {
    public var orderID: String
    public var customerID: String
    /// Seconds since 1970.
    public var time: Int64
    public var sku: String
    public var quantity: Int
    /// Minor units.
    public var unitPrice: Int64
    /// Minor units, for the whole line.
    public var discount: Int64
    public var promotionID: String?

    public init(
        orderID: String, customerID: String, time: Int64, sku: String, quantity: Int, unitPrice: Int64,
        discount: Int64 = 0, promotionID: String? = nil
    ) {
        self.orderID = orderID
        self.customerID = customerID
        self.time = time
        self.sku = sku
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.discount = discount
        self.promotionID = promotionID
    }
}

/// Aggregated sales: `sales.csv` (sku, location, period_start, units, price, promoted).
public struct SalesRow: Sendable, Hashable, Codable {
    public var sku: String
    public var location: String
    public var periodStart: Int64
    public var units: Double
    public var price: Int64
    public var promoted: Bool

    public init(sku: String, location: String, periodStart: Int64, units: Double, price: Int64, promoted: Bool) {
        self.sku = sku
        self.location = location
        self.periodStart = periodStart
        self.units = units
        self.price = price
        self.promoted = promoted
    }
}

/// A logged exposure: `exposures.csv` (customer_id, time, offer, outcome, propensity).
public struct Exposure: Sendable, Hashable, Codable {
    public var customerID: String
    public var time: Int64
    /// The offer shown, or empty for the control.
    public var offer: String
    /// 1 when the customer bought, 0 when not (or an amount).
    public var outcome: Double
    /// The probability with which the logging policy showed this offer.
    public var propensity: Double

    public init(customerID: String, time: Int64, offer: String, outcome: Double, propensity: Double) {
        self.customerID = customerID
        self.time = time
        self.offer = offer
        self.outcome = outcome
        self.propensity = propensity
    }
}

// MARK: - CSV files

extension StoreData {
    /// The file of each table in a store folder.
    public static let files = [
        "catalog": "catalog.csv", "customers": "customers.csv", "orders": "orders.csv", "sales": "sales.csv",
        "exposures": "exposures.csv",
    ]

    /// Reads a folder of CSV files (`catalog.csv`, `customers.csv`, `orders.csv`, optional
    /// `sales.csv` and `exposures.csv`). Money is written in major units (`18.90`), times as
    /// ISO 8601 (`2026-11-02T10:15:00Z`) or seconds since 1970. Errors name file, line and column.
    public static func load(folder: String, currency: String) throws(InputError) -> StoreData {
        var store = StoreData(currency: currency)
        let digits = Currencies.minorDigits[currency] ?? 2
        func path(_ table: String) -> String? {
            let p = (folder as NSString).appendingPathComponent(files[table]!)
            return FileManager.default.fileExists(atPath: p) ? p : nil
        }
        if let p = path("catalog") {
            store.catalog = try CSVStream(path: p).all(required: ["sku", "price"]) { r throws(InputError) in
                CatalogItem(
                    sku: try r.text("sku"), title: r.optional("title") ?? "", category: r.optional("category") ?? "",
                    brand: r.optional("brand") ?? "", price: try r.money("price", digits),
                    cost: try r.optionalMoney("cost", digits) ?? 0, stock: try r.optionalInt("stock") ?? 0,
                    tags: (r.optional("tags") ?? "").split(separator: "|").map(String.init))
            }
        }
        if let p = path("customers") {
            store.customers = try CSVStream(path: p).all(required: ["id"]) { r throws(InputError) in
                Customer(
                    id: try r.text("id"), isEmployee: try r.bool("is_employee"),
                    tier: r.optional("tier") ?? "",
                    country: r.optional("country") ?? "",
                    tags: (r.optional("tags") ?? "").split(separator: "|").map(String.init))
            }
        }
        if let p = path("orders") {
            store.orders = try CSVStream(path: p).all(
                required: ["order_id", "customer_id", "time", "sku", "quantity", "unit_price"]
            ) { r throws(InputError) in
                OrderLine(
                    orderID: try r.text("order_id"), customerID: try r.text("customer_id"), time: try r.time("time"),
                    sku: try r.text("sku"), quantity: try r.int("quantity"),
                    unitPrice: try r.money("unit_price", digits),
                    discount: try r.optionalMoney("discount", digits) ?? 0, promotionID: r.optional("promotion_id"))
            }
        }
        if let p = path("sales") {
            store.sales = try CSVStream(path: p).all(required: ["sku", "period_start", "units", "price"]) {
                r throws(InputError) in
                SalesRow(
                    sku: try r.text("sku"), location: r.optional("location") ?? "",
                    periodStart: try r.time("period_start"),
                    units: try r.number("units"), price: try r.money("price", digits),
                    promoted: try r.bool("promoted"))
            }
        }
        if let p = path("exposures") {
            store.exposures = try CSVStream(path: p).all(required: ["customer_id", "time", "outcome", "propensity"]) {
                r throws(InputError) in
                Exposure(
                    customerID: try r.text("customer_id"), time: try r.time("time"), offer: r.optional("offer") ?? "",
                    outcome: try r.number("outcome"), propensity: try r.number("propensity"))
            }
        }
        return store
    }

    /// Writes the tables that have rows as CSV files in the canonical format `load` reads: what an
    /// external plugin is given to train on. Returns the path of each table written.
    @discardableResult
    public func write(folder: String) throws -> [String: String] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let digits = Currencies.minorDigits[currency] ?? 2
        func money(_ m: Int64) -> String { ExactDecimal(mantissa: m, scale: digits).description }
        func time(_ t: Int64) -> String { CivilTime.iso(t) }
        var tables: [String: [[String]]] = [:]
        if !catalog.isEmpty {
            tables["catalog"] =
                [["sku", "title", "category", "brand", "price", "cost", "stock", "tags"]]
                + catalog.map {
                    [
                        $0.sku, $0.title, $0.category, $0.brand, money($0.price), money($0.cost), String($0.stock),
                        $0.tags.joined(separator: "|"),
                    ]
                }
        }
        if !customers.isEmpty {
            tables["customers"] =
                [["id", "is_employee", "tier", "country", "tags"]]
                + customers.map { [$0.id, String($0.isEmployee), $0.tier, $0.country, $0.tags.joined(separator: "|")] }
        }
        if !orders.isEmpty {
            tables["orders"] =
                [["order_id", "customer_id", "time", "sku", "quantity", "unit_price", "discount", "promotion_id"]]
                + orders.map {
                    [
                        $0.orderID, $0.customerID, time($0.time), $0.sku, String($0.quantity), money($0.unitPrice),
                        money($0.discount), $0.promotionID ?? "",
                    ]
                }
        }
        if !sales.isEmpty {
            tables["sales"] =
                [["sku", "location", "period_start", "units", "price", "promoted"]]
                + sales.map {
                    [$0.sku, $0.location, time($0.periodStart), String($0.units), money($0.price), String($0.promoted)]
                }
        }
        if !exposures.isEmpty {
            tables["exposures"] =
                [["customer_id", "time", "offer", "outcome", "propensity"]]
                + exposures.map {
                    [$0.customerID, time($0.time), $0.offer, String($0.outcome), String($0.propensity)]
                }
        }
        var written: [String: String] = [:]
        for (table, rows) in tables {
            let p = (folder as NSString).appendingPathComponent(StoreData.files[table]!)
            try CSVTable.text(rows).write(toFile: p, atomically: true, encoding: .utf8)
            written[table] = p
        }
        return written
    }
}

enum CSVTable {
    static func text(_ rows: [[String]]) -> String {
        var out = ""
        for r in rows {
            out += r.map { f in
                f.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                    ? "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : f
            }.joined(separator: ",")
            out += "\n"
        }
        return out
    }
}

extension CSVStream {
    /// Every record, made into values by `make`.
    func all<T>(required: [String], _ make: (CSVRow) throws(InputError) -> T) throws(InputError) -> [T] {
        var out: [T] = []
        try rows(required: required) { r throws(InputError) in out.append(try make(r)) }
        return out
    }
}
