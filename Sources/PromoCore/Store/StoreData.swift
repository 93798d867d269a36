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
            store.catalog = try CSVTable.read(p).rows(required: ["sku", "price"]) { r throws(InputError) in
                CatalogItem(
                    sku: try r.text("sku"), title: r.optional("title") ?? "", category: r.optional("category") ?? "",
                    brand: r.optional("brand") ?? "", price: try r.money("price", digits),
                    cost: try r.optionalMoney("cost", digits) ?? 0, stock: try r.optionalInt("stock") ?? 0,
                    tags: (r.optional("tags") ?? "").split(separator: "|").map(String.init))
            }
        }
        if let p = path("customers") {
            store.customers = try CSVTable.read(p).rows(required: ["id"]) { r throws(InputError) in
                Customer(
                    id: try r.text("id"), isEmployee: r.optional("is_employee") == "true",
                    tier: r.optional("tier") ?? "",
                    country: r.optional("country") ?? "",
                    tags: (r.optional("tags") ?? "").split(separator: "|").map(String.init))
            }
        }
        if let p = path("orders") {
            store.orders = try CSVTable.read(p).rows(
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
            store.sales = try CSVTable.read(p).rows(required: ["sku", "period_start", "units", "price"]) {
                r throws(InputError) in
                SalesRow(
                    sku: try r.text("sku"), location: r.optional("location") ?? "",
                    periodStart: try r.time("period_start"),
                    units: try r.number("units"), price: try r.money("price", digits),
                    promoted: r.optional("promoted") == "true" || r.optional("promoted") == "1")
            }
        }
        if let p = path("exposures") {
            store.exposures = try CSVTable.read(p).rows(required: ["customer_id", "time", "outcome", "propensity"]) {
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
        func time(_ t: Int64) -> String { CSVTable.iso(t) }
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

/// A CSV file read strictly (RFC 4180: quoted fields, doubled quotes, CRLF or LF), with the line
/// of each row kept for errors.
struct CSVTable {
    var file: String
    var header: [String]
    var rows: [(line: Int, fields: [String])]

    static func read(_ path: String) throws(InputError) -> CSVTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(file: path, line: 1, column: 1, message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputError(file: path, line: 1, column: 1, message: "the file is not UTF-8 text")
        }
        var records: [(Int, [String])] = []
        var field = ""
        var fields: [String] = []
        var line = 1
        var recordLine = 1
        var quoted = false
        var it = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let p = pending {
                pending = nil
                return p
            }
            return it.next()
        }
        while let c = next() {
            if quoted {
                if c == "\"" {
                    if let n = next() {
                        if n == "\"" {
                            field.unicodeScalars.append("\"")
                        } else {
                            quoted = false
                            pending = n
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty: quoted = true
            case ",":
                fields.append(field)
                field = ""
            case "\r": continue
            case "\n":
                fields.append(field)
                field = ""
                if !(fields.count == 1 && fields[0].isEmpty) { records.append((recordLine, fields)) }
                fields = []
                line += 1
                recordLine = line
            default: field.unicodeScalars.append(c)
            }
        }
        if quoted { throw InputError(file: path, line: recordLine, column: 1, message: "a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            records.append((recordLine, fields))
        }
        guard let first = records.first else {
            throw InputError(file: path, line: 1, column: 1, message: "the file is empty; it needs a header row")
        }
        let header = first.1.map { $0.trimmingCharacters(in: .whitespaces) }
        for (line, f) in records.dropFirst() where f.count != header.count {
            throw InputError(
                file: path, line: line, column: 1,
                message: "the row has \(f.count) fields; the header has \(header.count)")
        }
        return CSVTable(file: path, header: header, rows: records.dropFirst().map { (line: $0.0, fields: $0.1) })
    }

    func rows<T>(required: [String], _ make: (Row) throws(InputError) -> T) throws(InputError) -> [T] {
        for r in required where !header.contains(r) {
            throw InputError(
                file: file, line: 1, column: 1,
                message: "the header has no column '\(r)' (it has: \(header.joined(separator: ", ")))")
        }
        var index: [String: Int] = [:]
        for (i, h) in header.enumerated() { index[h] = i }
        var out: [T] = []
        out.reserveCapacity(rows.count)
        for (line, fields) in rows { out.append(try make(Row(file: file, line: line, index: index, fields: fields))) }
        return out
    }

    struct Row {
        var file: String
        var line: Int
        var index: [String: Int]
        var fields: [String]

        func fail(_ column: String, _ message: String) -> InputError {
            InputError(file: file, line: line, column: (index[column] ?? 0) + 1, message: "\(column): \(message)")
        }
        func optional(_ column: String) -> String? {
            guard let i = index[column] else { return nil }
            let v = fields[i].trimmingCharacters(in: .whitespaces)
            return v.isEmpty ? nil : v
        }
        func text(_ column: String) throws(InputError) -> String {
            guard let v = optional(column) else { throw fail(column, "is empty") }
            return v
        }
        func int(_ column: String) throws(InputError) -> Int {
            guard let v = Int(try text(column)) else {
                throw fail(column, "'\(fields[index[column]!])' is not a whole number")
            }
            return v
        }
        func optionalInt(_ column: String) throws(InputError) -> Int? {
            optional(column) == nil ? nil : try int(column)
        }
        func number(_ column: String) throws(InputError) -> Double {
            guard let v = Double(try text(column)), v.isFinite else {
                throw fail(column, "'\(fields[index[column]!])' is not a number")
            }
            return v
        }
        func money(_ column: String, _ digits: Int) throws(InputError) -> Int64 {
            let t = try text(column)
            guard let d = ExactDecimal(t), d.scale <= digits, let v = d.scaled(to: digits) else {
                throw fail(column, "'\(t)' is not an amount such as 18.90")
            }
            return v
        }
        func optionalMoney(_ column: String, _ digits: Int) throws(InputError) -> Int64? {
            optional(column) == nil ? nil : try money(column, digits)
        }
        func time(_ column: String) throws(InputError) -> Int64 {
            let t = try text(column)
            if let s = Int64(t) { return s }
            guard let v = CSVTable.parseISO(t) else {
                throw fail(column, "'\(t)' is not a time such as 2026-11-02T10:15:00Z")
            }
            return v
        }
    }

    static func parseISO(_ t: String) -> Int64? {
        let f = ISO8601DateFormatter()
        if let d = f.date(from: t) { return Int64(d.timeIntervalSince1970) }
        f.formatOptions = [.withFullDate]
        if let d = f.date(from: t) { return Int64(d.timeIntervalSince1970) }
        return nil
    }

    static func iso(_ t: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(t)))
    }

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
