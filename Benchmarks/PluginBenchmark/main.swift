// Plugin round trips: the stdio path (the reference Python plugin) against the in-process path
// (the same model in Swift), and the cost of the protocol's JSON. See Benchmarks/README.md.
//
//   swift run -c release promo-bench-plugins
//
// Environment: PROMO_BENCH_CALLS (one-item calls, default 3000), PROMO_BENCH_BATCHES (default 100).
import Foundation
import PromoCore
import PromoDSL
import PromoPlugins
import SwiftMovingAverage

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
let calls = Int(ProcessInfo.processInfo.environment["PROMO_BENCH_CALLS"] ?? "") ?? 3000
let batches = Int(ProcessInfo.processInfo.environment["PROMO_BENCH_BATCHES"] ?? "") ?? 100

// A store of 1,000 skus with 60 days of orders.
var rng = SystemRandomNumberGenerator()
let skus = (0..<1000).map { String(format: "SKU-%04d", $0) }
var store = StoreData(currency: "CNY")
store.catalog = skus.map { CatalogItem(sku: $0, price: 1990, cost: 1000, stock: Int.random(in: 0...500, using: &rng)) }
let start: Int64 = 1_790_000_000
var n = 0
for day in 0..<60 {
    for sku in skus where Int.random(in: 0..<4, using: &rng) == 0 {
        n += 1
        store.orders.append(
            OrderLine(
                orderID: "o\(n)", customerID: "c\(n % 300)", time: start + Int64(day) * 86_400 + 3600, sku: sku,
                quantity: Int.random(in: 1...3, using: &rng), unitPrice: 1990))
    }
}

let loaded = RulesLoader().load(
    workspace: ("rules/promo.yaml", Array("promo: 1\ncurrency: CNY\n".utf8)), campaigns: [],
    manifests: try ["python-moving-average", "swift-moving-average"].map { name in
        let path = root + "/plugins/\(name)/plugin.yaml"
        return (path, [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    })
let models = NSTemporaryDirectory() + "promo-bench-models-\(getpid())"
defer { try? FileManager.default.removeItem(atPath: models) }
let registry = PluginRegistry(
    manifests: loaded.manifests, bound: ["python-moving-average", "swift-moving-average"],
    models: SnapshotStore(folder: models), builtins: [MovingAverageForecaster.self])
let problems = registry.start()
guard problems.isEmpty else { fatalError("plugins did not start: \(problems)") }
for name in ["python-moving-average", "swift-moving-average"] { _ = try await registry.train(name, on: store) }

func batch(_ plugin: String, _ items: [String]) -> ModelBatch {
    ModelBatch(
        customerID: "c1", skus: items, ordinals: items.map { _ in -1 },
        calls: [
            ModelCall(
                plugin: plugin, role: "forecast", function: "forecast.demand", arguments: [.duration(14 * 86_400)],
                perCustomer: false, perItem: true),
            ModelCall(
                plugin: plugin, role: "forecast", function: "forecast.days_of_cover", arguments: [], perCustomer: false,
                perItem: true),
        ])
}

func percentile(_ xs: [Double], _ p: Double) -> Double {
    let s = xs.sorted()
    return s[min(s.count - 1, Int(Double(s.count) * p))]
}

func measure(_ label: String, _ plugin: String) {
    var oneItem: [Double] = []
    for i in 0..<calls {
        let b = batch(plugin, [skus[i % skus.count]])
        let t = ContinuousClock.now
        let a = registry.answer(for: b)
        let d = ContinuousClock.now - t
        precondition(a.faults.allSatisfy { $0 == nil }, "\(a.faults)")
        oneItem.append(Double(d.components.attoseconds) / 1e12 + Double(d.components.seconds) * 1e6)
    }
    var big: [Double] = []
    let b = batch(plugin, skus)
    for _ in 0..<batches {
        let t = ContinuousClock.now
        let a = registry.answer(for: b)
        let d = ContinuousClock.now - t
        precondition(a.faults.allSatisfy { $0 == nil }, "\(a.faults)")
        big.append(Double(d.components.attoseconds) / 1e12 + Double(d.components.seconds) * 1e6)
    }
    let p50 = percentile(big, 0.5)
    print(
        String(
            format:
                "%-32@ one item: p50 %8.1f us  p99 %8.1f us | 1,000-item batch (2 functions): p50 %8.1f us  p99 %8.1f us  %9.0f items/s",
            label as NSString, percentile(oneItem, 0.5), percentile(oneItem, 0.99), p50, percentile(big, 0.99),
            1000 / (p50 / 1e6)))
}

print(
    "Plugin round trips (\(calls) one-item calls, \(batches) batches of 1,000 items; demand(item, 14d) and days_of_cover(item))"
)
measure("stdio: python-moving-average", "python-moving-average")
measure("in process: swift-moving-average", "swift-moving-average")
registry.stop()

// The protocol's JSON on a big numeric answer: 28,000 doubles as decimal text and as base64.
let values = (0..<28_000).map { _ in Double.random(in: 0..<1000, using: &rng) }
let decimal = JSON.object([("columns", .array([.array(values.map { .number($0) })]))]).text
let packed = JSON.object([("columns", .array([JSON.doubles(values)]))]).text
func time(_ body: () throws -> Void) rethrows -> Double {
    var best = Double.infinity
    for _ in 0..<20 {
        let t = ContinuousClock.now
        try body()
        let d = ContinuousClock.now - t
        best = min(best, Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1e3)
    }
    return best
}
let parseDecimal = try time { _ = try JSON.parse(decimal) }
let parseBase64 = try time { _ = try JSON.parse(packed)["columns"]?.array?[0].base64Doubles }
let writeDecimal = time { _ = JSON.array(values.map { .number($0) }).text }
let foundation = try time { _ = try JSONSerialization.jsonObject(with: Data(decimal.utf8)) }
print("")
print("28,000 doubles (best of 20):")
print(String(format: "  parse, decimal text (%d KB):  %6.2f ms", decimal.utf8.count / 1024, parseDecimal))
print(String(format: "  parse, base64 f64   (%d KB):  %6.2f ms", packed.utf8.count / 1024, parseBase64))
print(String(format: "  write, decimal text:           %6.2f ms", writeDecimal))
print(String(format: "  Foundation JSONSerialization:  %6.2f ms (for comparison)", foundation))
