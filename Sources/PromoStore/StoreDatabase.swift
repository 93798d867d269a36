import Foundation
public import GRDB
public import PromoCore
import PromoDSL

/// The store's data in one SQLite file: the canonical tables of DESIGN.md ("Store data").
///
/// ```swift
/// let store = try StoreDatabase(path: "store.sqlite", currency: "CNY")
/// try store.importCSV(table: .orders, file: "orders.csv")
/// let data = try store.data()   // what plugins train on
/// ```
public final class StoreDatabase: Sendable {
    public let path: String
    public let currency: String
    let queue: DatabaseQueue

    /// Opens (creating and migrating when needed) the store. The currency is fixed when the store
    /// is created; opening it with another is an error.
    public init(path: String, currency: String) throws {
        self.path = path
        var config = Configuration()
        config.foreignKeysEnabled = false
        config.prepareDatabase { db in
            // WAL: readers are not blocked by an import; NORMAL is durable at each transaction's end.
            try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536")
        }
        queue = try DatabaseQueue(path: path, configuration: config)
        try Self.migrator.migrate(queue)
        let stored = try queue.write { db -> String in
            if let c = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'currency'") { return c }
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('currency', ?)", arguments: [currency])
            return currency
        }
        guard stored == currency else {
            throw StoreError("\(path) holds amounts in \(stored), not \(currency)")
        }
        self.currency = currency
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    CREATE TABLE catalog (
                      sku TEXT PRIMARY KEY, title TEXT NOT NULL, category TEXT NOT NULL, brand TEXT NOT NULL,
                      price INTEGER NOT NULL, cost INTEGER NOT NULL, stock INTEGER NOT NULL, tags TEXT NOT NULL);
                    CREATE TABLE customers (
                      id TEXT PRIMARY KEY, is_employee INTEGER NOT NULL, tier TEXT NOT NULL, country TEXT NOT NULL,
                      tags TEXT NOT NULL);
                    CREATE TABLE orders (
                      order_id TEXT NOT NULL, sku TEXT NOT NULL, customer_id TEXT NOT NULL, time INTEGER NOT NULL,
                      quantity INTEGER NOT NULL, unit_price INTEGER NOT NULL, discount INTEGER NOT NULL,
                      promotion_id TEXT, PRIMARY KEY (order_id, sku));
                    CREATE INDEX orders_by_customer ON orders (customer_id, time);
                    CREATE TABLE sales (
                      sku TEXT NOT NULL, location TEXT NOT NULL, period_start INTEGER NOT NULL, units REAL NOT NULL,
                      price INTEGER NOT NULL, promoted INTEGER NOT NULL, PRIMARY KEY (sku, location, period_start));
                    CREATE TABLE exposures (
                      customer_id TEXT NOT NULL, time INTEGER NOT NULL, offer TEXT NOT NULL, outcome REAL NOT NULL,
                      propensity REAL NOT NULL, PRIMARY KEY (customer_id, time, offer));
                    CREATE TABLE imports (
                      id INTEGER PRIMARY KEY, table_name TEXT NOT NULL, file TEXT NOT NULL, sha256 TEXT NOT NULL,
                      rows INTEGER NOT NULL, at INTEGER NOT NULL);
                    """)
        }
        return m
    }

    /// Rows per table.
    public func counts() throws -> [StoreTable: Int] {
        try queue.read { db in
            var out: [StoreTable: Int] = [:]
            for t in StoreTable.allCases {
                out[t] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(t.rawValue)") ?? 0
            }
            return out
        }
    }

    /// Every table, for training.
    public func data() throws -> StoreData {
        try queue.read { db in
            var d = StoreData(currency: currency)
            let catalogRows = try Row.fetchCursor(db, sql: "SELECT * FROM catalog ORDER BY sku")
            while let row = try catalogRows.next() {
                d.catalog.append(
                    CatalogItem(
                        sku: row["sku"], title: row["title"], category: row["category"], brand: row["brand"],
                        price: row["price"], cost: row["cost"], stock: row["stock"],
                        tags: (row["tags"] as String).split(separator: "|").map(String.init)))
            }
            let customersRows = try Row.fetchCursor(db, sql: "SELECT * FROM customers ORDER BY id")
            while let row = try customersRows.next() {
                d.customers.append(
                    Customer(
                        id: row["id"], isEmployee: row["is_employee"], tier: row["tier"], country: row["country"],
                        tags: (row["tags"] as String).split(separator: "|").map(String.init)))
            }
            let ordersRows = try Row.fetchCursor(db, sql: "SELECT * FROM orders ORDER BY time, order_id, sku")
            while let row = try ordersRows.next() {
                d.orders.append(
                    OrderLine(
                        orderID: row["order_id"], customerID: row["customer_id"], time: row["time"], sku: row["sku"],
                        quantity: row["quantity"], unitPrice: row["unit_price"], discount: row["discount"],
                        promotionID: row["promotion_id"]))
            }
            let salesRows = try Row.fetchCursor(db, sql: "SELECT * FROM sales ORDER BY period_start, sku, location")
            while let row = try salesRows.next() {
                d.sales.append(
                    SalesRow(
                        sku: row["sku"], location: row["location"], periodStart: row["period_start"],
                        units: row["units"], price: row["price"], promoted: row["promoted"]))
            }
            let exposuresRows = try Row.fetchCursor(
                db, sql: "SELECT * FROM exposures ORDER BY time, customer_id, offer")
            while let row = try exposuresRows.next() {
                d.exposures.append(
                    Exposure(
                        customerID: row["customer_id"], time: row["time"], offer: row["offer"], outcome: row["outcome"],
                        propensity: row["propensity"]))
            }
            return d
        }
    }
}

/// The canonical tables.
public enum StoreTable: String, Sendable, Hashable, CaseIterable {
    case catalog, customers, orders, sales, exposures

    /// Canonical columns; the key columns first.
    public var columns: [String] {
        switch self {
        case .catalog: ["sku", "title", "category", "brand", "price", "cost", "stock", "tags"]
        case .customers: ["id", "is_employee", "tier", "country", "tags"]
        case .orders: ["order_id", "sku", "customer_id", "time", "quantity", "unit_price", "discount", "promotion_id"]
        case .sales: ["sku", "location", "period_start", "units", "price", "promoted"]
        case .exposures: ["customer_id", "time", "offer", "outcome", "propensity"]
        }
    }

    /// Columns a CSV must have (after mapping).
    public var required: [String] {
        switch self {
        case .catalog: ["sku", "price"]
        case .customers: ["id"]
        case .orders: ["order_id", "customer_id", "time", "sku", "quantity", "unit_price"]
        case .sales: ["sku", "period_start", "units", "price"]
        case .exposures: ["customer_id", "time", "outcome", "propensity"]
        }
    }

    public var key: [String] {
        switch self {
        case .catalog: ["sku"]
        case .customers: ["id"]
        case .orders: ["order_id", "sku"]
        case .sales: ["sku", "location", "period_start"]
        case .exposures: ["customer_id", "time", "offer"]
        }
    }
}

/// A store problem that is not about one input line.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
