import ArgumentParser
import Foundation
import PromoCore
import PromoDSL
import PromoStore

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a CSV file into a table of the store (an SQLite file).",
        discussion: """
            Tables: catalog, customers, orders, sales, exposures. The import is one transaction: a bad row
            aborts it with file:line:column and leaves the store as it was. Rows whose key is already in the
            store replace it, so importing the same file again changes nothing.
            Exit status: 0 imported, 2 usage or input error.
            """
    )

    @Option(help: "The store file; created when missing.")
    var store: String

    @Argument(help: "The table: catalog, customers, orders, sales or exposures.")
    var table: String

    @Argument(help: "The CSV file (header row first).")
    var csv: String

    @Option(name: .customLong("map"), help: "A column mapping (YAML: columns, time_format, currency_column).")
    var mapping: String?

    @Option(help: "The store's currency, when it is created.")
    var currency: String = "CNY"

    func run() throws {
        guard let t = StoreTable(rawValue: table) else {
            let names = StoreTable.allCases.map(\.rawValue)
            writeError(
                "promo import: no table '\(table)'" + (Suggestions.hint(for: table, in: names).map { "; \($0)" } ?? "")
                    + " (tables: \(names.joined(separator: ", ")))\n")
            throw ExitCode(2)
        }
        do {
            let db = try StoreDatabase(path: store, currency: currency)
            let map = try mapping.map { try ColumnMapping.load($0, table: t) } ?? ColumnMapping()
            let s = try db.importCSV(table: t, file: csv, mapping: map)
            print(
                "\(t.rawValue): \(s.rows) rows from \(csv) in "
                    + String(
                        format: "%.2f s (%.0f rows/s); the table has %d rows", s.seconds,
                        Double(s.rows) / max(s.seconds, 1e-9), s.total))
        } catch let e as InputError {
            writeError("promo import: \(e)\n")
            throw ExitCode(2)
        } catch {
            writeError("promo import: \(error)\n")
            throw ExitCode(2)
        }
    }
}

/// A store given as an SQLite file or a folder of CSV files.
func loadStore(_ path: String, currency: String) throws -> StoreData {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw InputError(
            file: path, line: 1, column: 1, message: "no such store (an SQLite file or a folder of CSV files)")
    }
    if isDirectory.boolValue { return try StoreData.load(folder: path, currency: currency) }
    return try StoreDatabase(path: path, currency: currency).data()
}
