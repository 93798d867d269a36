// Store import: a generated orders CSV of 1,000,000 lines streamed into a fresh SQLite store in
// one transaction. Prints the rate and the peak resident memory. See Benchmarks/README.md.
//
//   swift run -c release promo-bench-store            # PROMO_BENCH_ROWS=N to change the size
import Foundation
import PromoCore
import PromoStore

#if canImport(Glibc)
    import Glibc
#endif

let rows = Int(ProcessInfo.processInfo.environment["PROMO_BENCH_ROWS"] ?? "") ?? 1_000_000
let dir = NSTemporaryDirectory() + "promo-bench-store-\(getpid())"
try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: dir) }

// Deterministic orders: 2 lines per order on average, 50,000 customers, 5,000 skus, one year.
let csv = dir + "/orders.csv"
FileManager.default.createFile(atPath: csv, contents: nil)
let out = FileHandle(forWritingAtPath: csv)!
var rng = SplitMix64(seed: 42)
var text = "order_id,customer_id,time,sku,quantity,unit_price,discount,promotion_id\n"
let start: Int64 = 1_767_225_600  // 2026-01-01
for i in 0..<rows {
    let order = i / 2
    let t = start + Int64(order) * 31_536_000 / Int64(max(1, rows / 2))
    do {
        let sku = rng.next() % 5000
        text += "o-\(order),c-\(rng.next() % 50_000),\(CivilTime.iso(t)),"
        text +=
            "SKU-\(i % 2)-\(sku),\(1 + rng.next() % 3),\(10 + rng.next() % 200).\(String(format: "%02d", Int(rng.next() % 100))),0.00,\n"
    }
    if text.utf8.count > 1 << 20 {
        out.write(Data(text.utf8))
        text = ""
    }
}
out.write(Data(text.utf8))
try out.close()
let size = (try FileManager.default.attributesOfItem(atPath: csv)[.size] as? Int) ?? 0

func peakMiB() -> Double {
    var u = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
    return Double(u.ru_maxrss) / 1024
}
let before = peakMiB()
let store = try StoreDatabase(path: dir + "/store.sqlite", currency: "CNY")
let s = try store.importCSV(table: .orders, file: csv)
print(
    String(
        format: "import of %d order lines (%.0f MiB of CSV): %.2f s, %.0f rows/s", s.rows, Double(size) / 1048576,
        s.seconds, Double(s.rows) / s.seconds))
print(
    String(
        format: "peak resident memory: %.1f MiB (%.1f MiB before the import, with the CSV generator's buffers)",
        peakMiB(), before))
let again = try store.importCSV(table: .orders, file: csv)
print(String(format: "the same file again: %.2f s, the table still has %d rows", again.seconds, again.total))
