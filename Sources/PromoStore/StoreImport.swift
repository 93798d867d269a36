import Crypto
import Foundation
import GRDB
public import PromoCore
import PromoDSL
import PromoYAML

/// How a CSV file's columns map to a table's canonical columns, from a small YAML file:
///
/// ```yaml
/// columns: { order_id: InvoiceNo, sku: StockCode, customer_id: CustomerID, time: InvoiceDate,
///            quantity: Quantity, unit_price: UnitPrice }
/// time_format: "MM/dd/yyyy HH:mm"      # a DateFormatter pattern, read in UTC (default: ISO 8601 or seconds)
/// currency_column: Currency            # each row's currency must be the store's
/// ```
public struct ColumnMapping: Sendable, Hashable {
    /// Canonical column → the CSV header that holds it.
    public var columns: [String: String] = [:]
    public var timeFormat: String?
    public var currencyColumn: String?

    public init(columns: [String: String] = [:], timeFormat: String? = nil, currencyColumn: String? = nil) {
        self.columns = columns
        self.timeFormat = timeFormat
        self.currencyColumn = currencyColumn
    }

    /// Reads a mapping file; errors name the file, line and column.
    public static func load(_ path: String, table: StoreTable) throws(InputError) -> ColumnMapping {
        try load(path, columns: table.columns + ["currency"], of: table.rawValue)
    }

    /// Reads a mapping file whose `columns` may name only `allowed` (the columns of `owner`).
    public static func load(_ path: String, columns allowed: [String], of owner: String) throws(InputError)
        -> ColumnMapping
    {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(file: path, line: 1, column: 1, message: "cannot read the file")
        }
        let doc: YAMLDocument
        do { doc = try YAMLReader().read(bytes: [UInt8](data)) } catch {
            throw InputError(file: path, line: error.mark.line, column: error.mark.column, message: error.message)
        }
        func fail(_ n: Node, _ m: String) -> InputError {
            InputError(file: path, line: n.start.line, column: n.start.column, message: m)
        }
        guard let root = doc.root, let pairs = root.mapping else {
            throw InputError(file: path, line: 1, column: 1, message: "a mapping file is a mapping with 'columns'")
        }
        var m = ColumnMapping()
        for p in pairs {
            let key = p.key.scalar?.value ?? ""
            switch key {
            case "columns":
                guard let cols = p.value.mapping else {
                    throw fail(p.value, "columns must be a mapping of canonical name to CSV header")
                }
                for c in cols {
                    let name = c.key.scalar?.value ?? ""
                    guard allowed.contains(name) else {
                        let listed = allowed.filter { $0 != "currency" }
                        throw fail(
                            c.key,
                            "'\(name)' is not a column of \(owner)"
                                + (Suggestions.hint(for: name, in: listed).map { "; \($0)" } ?? "")
                                + " (columns: \(listed.joined(separator: ", ")))")
                    }
                    guard let header = c.value.scalar?.value else {
                        throw fail(c.value, "a CSV header name is expected")
                    }
                    m.columns[name] = header
                }
            case "time_format":
                guard let v = p.value.scalar?.value else { throw fail(p.value, "time_format must be text") }
                m.timeFormat = v
            case "currency_column":
                guard let v = p.value.scalar?.value else { throw fail(p.value, "currency_column must be text") }
                m.currencyColumn = v
            default:
                throw fail(
                    p.key,
                    "unknown key '\(key)'"
                        + (Suggestions.hint(for: key, in: ["columns", "time_format", "currency_column"]).map {
                            "; \($0)"
                        } ?? ""))
            }
        }
        return m
    }
}

/// What an import did.
public struct ImportSummary: Sendable, Hashable {
    public var table: StoreTable
    public var file: String
    public var rows: Int
    /// Rows of the table after the import (re-importing the same file leaves it unchanged).
    public var total: Int
    public var sha256: String
    public var seconds: Double
}

extension StoreDatabase {
    /// Imports a CSV file into a table in one transaction. A bad row (missing column, unparsable
    /// number or date, unknown currency, a key twice in the file) aborts the import with the file,
    /// line and column, and leaves the store as it was. Rows whose key is already in the store
    /// replace it, so importing the same file again changes nothing. Streams: memory stays bounded
    /// whatever the file's size.
    @discardableResult
    public func importCSV(table: StoreTable, file: String, mapping: ColumnMapping = ColumnMapping()) throws
        -> ImportSummary
    {
        let began = ContinuousClock.now
        let digits = Currencies.minorDigits[currency] ?? 2
        let digest = try Self.sha256(file)
        let csv = try CSVStream(path: file)
        // The CSV's header for each canonical column: mapped, else the canonical name itself.
        let headerOf = { (c: String) -> String in mapping.columns[c] ?? c }
        for c in table.required where !csv.header.contains(headerOf(c)) {
            let mapped = mapping.columns[c] != nil ? " (mapped from '\(c)')" : ""
            throw InputError(
                file: file, line: 1, column: 1,
                message:
                    "the header has no column '\(headerOf(c))'\(mapped) (it has: \(csv.header.joined(separator: ", ")))"
            )
        }
        let currencyHeader =
            mapping.currencyColumn ?? mapping.columns["currency"]
            ?? (csv.header.contains("currency") ? "currency" : nil)
        let formatter: DateFormatter? = mapping.timeFormat.map {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "UTC")
            f.dateFormat = $0
            return f
        }
        let columns = table.columns
        let staging = "staging_\(table.rawValue)"
        var rows = 0
        let total = try queue.write { db -> Int in
            try db.execute(sql: "DROP TABLE IF EXISTS temp.\(staging)")
            try db.execute(
                sql: """
                    CREATE TEMP TABLE \(staging) (\(columns.joined(separator: ", ")), line INTEGER,
                    PRIMARY KEY (\(table.key.joined(separator: ", "))))
                    """)
            let insert = try db.makeStatement(
                sql:
                    "INSERT INTO temp.\(staging) VALUES (\(Array(repeating: "?", count: columns.count + 1).joined(separator: ", ")))"
            )
            var index: [String: Int] = [:]
            for (i, h) in csv.header.enumerated() { index[h] = i }
            // The row seen through the mapping: canonical names.
            var mapped: [String: Int] = [:]
            for c in columns + ["currency"] { if let i = index[headerOf(c)] { mapped[c] = i } }
            let currencyIndex = currencyHeader.flatMap { index[$0] }
            while let (line, fields) = try csv.next() {
                guard fields.count == csv.header.count else {
                    throw InputError(
                        file: file, line: line, column: 1,
                        message: "the row has \(fields.count) fields; the header has \(csv.header.count)")
                }
                let r = CSVRow(file: file, line: line, index: mapped, fields: fields)
                if let h = currencyHeader, let i = currencyIndex {
                    let code = fields[i].trimmingCharacters(in: .whitespaces)
                    guard Currencies.minorDigits[code] != nil else {
                        throw InputError(
                            file: file, line: line, column: i + 1,
                            message: "\(h): unknown currency '\(code)'"
                                + (Suggestions.hint(for: code, in: Currencies.minorDigits.keys).map { "; \($0)" } ?? "")
                        )
                    }
                    guard code == currency else {
                        throw InputError(
                            file: file, line: line, column: i + 1,
                            message: "\(h): the amounts are in \(code); the store holds \(currency)")
                    }
                }
                let values = try Self.values(table, r, digits: digits, format: formatter)
                do {
                    try insert.execute(arguments: StatementArguments(values + [line]))
                } catch let e as DatabaseError where e.resultCode == .SQLITE_CONSTRAINT {
                    let keys = table.key.map { r.optional($0) ?? "" }
                    let first = try Int.fetchOne(
                        db,
                        sql: "SELECT line FROM temp.\(staging) WHERE "
                            + table.key.map { "\($0) = ?" }.joined(separator: " AND "),
                        arguments: StatementArguments(Array(values.prefix(table.key.count))))
                    throw InputError(
                        file: file, line: line, column: (mapped[table.key[0]] ?? 0) + 1,
                        message:
                            "duplicate key (\(table.key.joined(separator: ", "))) = (\(keys.joined(separator: ", ")))"
                            + (first.map { ", first on line \($0)" } ?? ""))
                }
                rows += 1
            }
            try db.execute(
                sql: "INSERT OR REPLACE INTO \(table.rawValue) (\(columns.joined(separator: ", "))) "
                    + "SELECT \(columns.joined(separator: ", ")) FROM temp.\(staging)")
            try db.execute(sql: "DROP TABLE temp.\(staging)")
            try db.execute(
                sql: "INSERT INTO imports (table_name, file, sha256, rows, at) VALUES (?, ?, ?, ?, ?)",
                arguments: [table.rawValue, file, digest, rows, Int(Date().timeIntervalSince1970)])
            return try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.rawValue)") ?? 0
        }
        let took = ContinuousClock.now - began
        return ImportSummary(
            table: table, file: file, rows: rows, total: total, sha256: digest,
            seconds: took.inSeconds)
    }

    /// A row's values in the table's canonical column order.
    static func values(_ table: StoreTable, _ r: CSVRow, digits: Int, format: DateFormatter?) throws(InputError)
        -> [(any DatabaseValueConvertible)?]
    {
        switch table {
        case .catalog:
            return [
                try r.text("sku"), r.optional("title") ?? r.optional("sku"), r.optional("category") ?? "",
                r.optional("brand") ?? "", try r.money("price", digits), try r.optionalMoney("cost", digits) ?? 0,
                try r.optionalInt("stock") ?? 0, r.optional("tags") ?? "",
            ]
        case .customers:
            return [
                try r.text("id"), try r.bool("is_employee"), r.optional("tier") ?? "", r.optional("country") ?? "",
                r.optional("tags") ?? "",
            ]
        case .orders:
            let quantity = try r.int("quantity")
            guard quantity > 0 else { throw r.fail("quantity", "must be at least 1, not \(quantity)") }
            return [
                try r.text("order_id"), try r.text("sku"), try r.text("customer_id"),
                try r.time("time", format: format),
                quantity, try r.money("unit_price", digits), try r.optionalMoney("discount", digits) ?? 0,
                r.optional("promotion_id"),
            ]
        case .sales:
            return [
                try r.text("sku"), r.optional("location") ?? "", try r.time("period_start", format: format),
                try r.number("units"), try r.money("price", digits), try r.bool("promoted"),
            ]
        case .exposures:
            let p = try r.number("propensity")
            guard p > 0, p <= 1 else { throw r.fail("propensity", "must be in (0, 1], not \(p)") }
            return [
                try r.text("customer_id"), try r.time("time", format: format), r.optional("offer") ?? "",
                try r.number("outcome"), p,
            ]
        }
    }

    static func sha256(_ file: String) throws -> String {
        guard let h = FileHandle(forReadingAtPath: file) else {
            throw InputError(file: file, line: 1, column: 1, message: "cannot read the file")
        }
        defer { try? h.close() }
        var hasher = SHA256()
        while let chunk = try h.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
