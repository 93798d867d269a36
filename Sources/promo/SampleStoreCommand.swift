import ArgumentParser
import Foundation
import PromoCore
import PromoStore

struct SampleStoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample-store",
        abstract: "Generate a synthetic store (deterministic for a seed) matching the example rules.",
        discussion: """
            Writes catalog, customers, orders and exposures as CSV, the planted truth (truth_customers.csv,
            truth_items.csv) and a README.md stating the generating model, into --out; with --store also
            imports them into that SQLite store. The data is synthetic and says so.
            """
    )

    @Option(help: "Number of customers.")
    var customers: Int = 2_000

    @Option(help: "Number of skus (the example catalog's 11 first).")
    var skus: Int = 300

    @Option(help: "Months of history, ending 2026-11-28.")
    var months: Int = 12

    @Option(help: "Random seed: the same seed gives the same files.")
    var seed: UInt64 = 42

    @Option(help: "Folder for the CSV files.")
    var out: String = "sample-store"

    @Option(help: "Also import into this SQLite store (replacing rows with the same keys).")
    var store: String?

    func validate() throws {
        guard customers >= 1, customers <= 10_000_000 else {
            throw ValidationError("--customers must be 1 to 10,000,000")
        }
        guard skus >= 1, skus <= 1_000_000 else { throw ValidationError("--skus must be 1 to 1,000,000") }
        guard months >= 1, months <= 60 else { throw ValidationError("--months must be 1 to 60") }
    }

    func run() throws {
        let began = ContinuousClock.now
        let s = try SampleStore(customers: customers, skus: skus, months: months, seed: seed).write(folder: out)
        print(
            "sample store (synthetic): \(s.customers) customers, \(s.skus) skus, \(s.orderLines) order lines, "
                + "\(s.exposures) exposures in \(out)/")
        if let store {
            let db = try StoreDatabase(path: store, currency: "CNY")
            for t in [StoreTable.catalog, .customers, .orders, .exposures] {
                let r = try db.importCSV(table: t, file: out + "/\(t.rawValue).csv")
                print("  \(t.rawValue): \(r.rows) rows into \(store)")
            }
        }
        let took = ContinuousClock.now - began
        print(
            String(
                format: "done in %.1f s", took.inSeconds))
    }
}
