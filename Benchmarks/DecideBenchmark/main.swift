// Decisions per second on one core and latency percentiles for 100, 1,000 and 10,000 offers with
// 1-, 10- and 50-line carts over a 100,000-sku catalog; model outputs precomputed, no trace; and
// a hand-written Swift function for the 100-offer workload, the practical limit.
// Run: swift run -c release promo-bench-decide
import Foundation
import PromoCore
import PromoDSL
import PromoTesting

func nanos(_ body: () -> Void) -> UInt64 {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return DispatchTime.now().uptimeNanoseconds - start
}

struct Figures {
    var perSecond: Double
    var p50: Double
    var p99: Double
}

extension Figures {
    /// From the time of each decision (nanoseconds) and their sum.
    init(_ samples: [UInt64], total: UInt64) {
        let s = samples.sorted()
        let p = { (q: Double) in Double(s[min(s.count - 1, Int(Double(s.count) * q))]) / 1000 }
        self.init(perSecond: Double(s.count) / (Double(total) / 1e9), p50: p(0.5), p99: p(0.99))
    }
}

/// Runs `decide` over the pool until `seconds` have passed (after a warm-up), timing each call.
func measure(_ pool: [DecisionRequest], seconds: Double = 1.5, _ decide: (DecisionRequest) -> Void) -> Figures {
    // PROMO_BENCH_COUNT=N runs exactly N decisions, for instruction counts under valgrind --tool=callgrind.
    if let n = ProcessInfo.processInfo.environment["PROMO_BENCH_COUNT"].flatMap({ Int($0) }) {
        for i in 0..<n { decide(pool[i % pool.count]) }
        return Figures(perSecond: 0, p50: 0, p99: 0)
    }
    for r in pool.prefix(500) { decide(r) }
    var samples: [UInt64] = []
    samples.reserveCapacity(200_000)
    var total: UInt64 = 0
    var i = 0
    while Double(total) < seconds * 1e9 {
        // The request taken from the pool before the clock starts: only the decision is timed.
        let r = pool[i % pool.count]
        let t = nanos { decide(r) }
        samples.append(t)
        total += t
        i += 1
    }
    return Figures(samples, total: total)
}

/// Two ways of deciding measured together: blocks of 50 requests, each decided one way then the
/// other, the order alternating between blocks (ABBA), so that both see the same machine (whose
/// speed drifts within seconds here) and the same share of warm caches.
func measurePair(
    _ pool: [DecisionRequest], seconds: Double = 3, _ a: (DecisionRequest) -> Void, _ b: (DecisionRequest) -> Void
) -> (Figures, Figures) {
    for r in pool.prefix(500) {
        a(r)
        b(r)
    }
    var samples: ([UInt64], [UInt64]) = ([], [])
    var total: (UInt64, UInt64) = (0, 0)
    var block = 0
    while Double(total.0 + total.1) < seconds * 1e9 {
        let requests = (0..<50).map { pool[(block * 50 + $0) % pool.count] }
        for first in block % 2 == 0 ? [true, false] : [false, true] {
            for r in requests {
                let t = nanos { first ? a(r) : b(r) }
                if first {
                    samples.0.append(t)
                    total.0 += t
                } else {
                    samples.1.append(t)
                    total.1 += t
                }
            }
        }
        block += 1
    }
    return (Figures(samples.0, total: total.0), Figures(samples.1, total: total.1))
}

let outputs = TableOutputs(catalog: Workload.catalog)
let manifests = try RulesFixture.manifests()
print(
    "promo-bench-decide (release build): catalog \(Workload.skuCount) skus, \(Workload.categories) categories; one thread"
)
print("offers  lines   decisions/s     p50 us     p99 us   candidates/decision")
var engines: [Int: (Engine, [Workload.OfferSpec])] = [:]
// PROMO_BENCH_POOL=N decides N different requests in turn (2,000 by default): a pool of a few
// dozen keeps their rules' and catalog's data in the caches, which shows what waiting on memory costs.
let poolSize = ProcessInfo.processInfo.environment["PROMO_BENCH_POOL"].flatMap { Int($0) } ?? 2_000
// PROMO_BENCH_ONLY=1000x10 runs one configuration (for profiling).
let only = ProcessInfo.processInfo.environment["PROMO_BENCH_ONLY"]?.split(separator: "x").compactMap { Int($0) }
for offers in [100, 1_000, 10_000] where only == nil || only![0] == offers || offers == 100 {
    let specs = Workload.specs(offers)
    var loaded: LoadedRules!
    let compileTime = nanos {
        loaded = RulesLoader(now: PromoTesting.fixedNow).load(
            workspace: ("rules/promo.yaml", Array(Workload.workspace.utf8)),
            campaigns: Workload.campaigns(specs).enumerated().map {
                ("rules/c\($0.offset).yaml", Array($0.element.utf8))
            },
            manifests: manifests)
    }
    let rules = try RuleSet(loaded)
    let engine = Engine(rules: rules, catalog: Workload.catalog)
    engines[offers] = (engine, specs)
    for lines in [1, 10, 50] where only == nil || (only![0] == offers && only![1] == lines) {
        let pool = Workload.requests(lines: lines, count: poolSize)
        let considered = pool.prefix(200).reduce(0) {
            $0 + offers - engine.decide($1, models: outputs).offersNotConsidered
        }
        // PROMO_BENCH_TRACED=1 builds the trace of every decision, =2 only records it (for profiling).
        let traced = ProcessInfo.processInfo.environment["PROMO_BENCH_TRACED"] ?? "0"
        // (The way chosen once, not per decision: a switch on the string would be timed too.)
        let decide: (DecisionRequest) -> Void =
            switch traced {
            case "1": { _ = engine.decideTraced($0, models: outputs) }
            case "2": { _ = engine.decideRecorded($0, models: outputs) }
            default: { _ = engine.decide($0, models: outputs) }
            }
        let f = measure(pool, decide)
        if ProcessInfo.processInfo.environment["PROMO_BENCH_HOT"] != nil {
            // Each request decided once as it comes (its rules and tables as the requests before
            // left the caches) and then again four times: the first against the fifth is the time
            // a decision spends waiting on memory.
            for round in 1...3 {
                var cold: [UInt64] = []
                var hot: [UInt64] = []
                for r in pool {
                    cold.append(nanos { _ = engine.decide(r, models: outputs) })
                    for _ in 0..<3 { _ = engine.decide(r, models: outputs) }
                    hot.append(nanos { _ = engine.decide(r, models: outputs) })
                }
                cold.sort()
                hot.sort()
                let (c, h) = (Double(cold[cold.count / 2]) / 1000, Double(hot[hot.count / 2]) / 1000)
                print(
                    String(
                        format: "round %d: p50 as it comes %.1f us, the same request a fifth time %.1f us (%.2fx)",
                        round, c, h, c / h))
            }
        }
        if ProcessInfo.processInfo.environment["PROMO_BENCH_PERREQ"] != nil {
            // Each request's fastest of 10 passes: the spread that is the workload's, not the machine's.
            var best = [UInt64](repeating: .max, count: pool.count)
            for _ in 0..<10 {
                for (k, r) in pool.enumerated() {
                    best[k] = min(best[k], nanos { _ = engine.decide(r, models: outputs) })
                }
            }
            best.sort()
            print(
                "per-request best of 10: p50 \(Double(best[best.count / 2]) / 1000) us, p90 \(Double(best[best.count * 9 / 10]) / 1000) us, p99 \(Double(best[best.count * 99 / 100]) / 1000) us, max \(Double(best.last!) / 1000) us"
            )
        }
        print(
            String(
                format: "%6d  %5d  %12.0f  %9.1f  %9.1f   %8.1f", offers, lines, f.perSecond, f.p50, f.p99,
                Double(considered) / Double(min(200, pool.count)))
                + (offers == 1_000 && lines == 10 ? "   <- targets: >= 200,000/s, p99 < 50 us" : ""))
    }
    print(String(format: "        (load, check and compile of %d offers: %.0f ms)", offers, Double(compileTime) / 1e6))
}

// Decisions with the full trace recorded against without, at 1,000 offers x 10 lines; trace size.
if (only == nil || only! == [1_000, 10]) && ProcessInfo.processInfo.environment["PROMO_BENCH_COUNT"] == nil {
    let (engine, _) = engines[1_000]!
    let pool = Workload.requests(lines: 10, count: 2_000)
    // Without and with recording measured together (the ratio is the target); the rest alone.
    let (plain, recorded) = measurePair(
        pool, { _ = engine.decide($0, models: outputs) }, { _ = engine.decideRecorded($0, models: outputs) })
    let built = measure(pool) { _ = engine.decideTraced($0, models: outputs) }
    let encoded = measure(pool) { _ = try? DecisionTrace.encoder().encode(engine.decideTraced($0, models: outputs).1) }
    var bytes: [Int] = []
    for r in pool.prefix(200) {
        bytes.append(try DecisionTrace.encoder().encode(engine.decideTraced(r, models: outputs).1).count)
    }
    bytes.sort()
    if let path = ProcessInfo.processInfo.environment["PROMO_BENCH_TRACE_OUT"] {
        try DecisionTrace.encoder().encode(engine.decideTraced(pool[0], models: outputs).1).write(
            to: URL(fileURLWithPath: path))
    }
    print("\ntrace at 1000 offers x 10 lines (target: with trace at most 1.5x the time without):")
    print("                                         decisions/s   p50 us   time vs without")
    for (name, f) in [
        ("without trace", plain), ("trace recorded (decideRecorded)", recorded),
        ("trace built (decideTraced)", built), ("trace built and encoded as JSON", encoded),
    ] {
        let label = name.padding(toLength: 40, withPad: " ", startingAt: 0)
        print(label + String(format: " %10.0f %8.1f %9.2fx", f.perSecond, f.p50, plain.perSecond / f.perSecond))
    }
    print("trace size as JSON: median \(bytes[100]) bytes, largest \(bytes.last!) bytes (of 200 decisions)")
}

// The hand-written function on the 100-offer workload, and agreement with the engine.
if only != nil { exit(0) }
let (engine100, specs100) = engines[100]!
let hand = HandWritten(specs100, catalog: Workload.catalog, tables: outputs)
print("\nhand-written Swift for the 100-offer workload (the practical limit):")
print("lines   engine/s   hand-written/s   ratio (target <= 3x)   agreement")
for lines in [1, 10, 50] {
    let pool = Workload.requests(lines: lines, count: 2_000)
    var agree = 0
    for r in pool {
        let d = engine100.decide(r, models: outputs)
        let h = hand.decide(r)
        if d.total == h.total && d.chosen.map(\.offer) == h.chosen { agree += 1 }
    }
    let e = measure(pool) { _ = engine100.decide($0, models: outputs) }
    let h = measure(pool) { _ = hand.decide($0) }
    print(
        String(
            format: "%5d  %9.0f  %15.0f  %10.2fx             %d/%d", lines, e.perSecond, h.perSecond,
            h.perSecond / e.perSecond, agree, pool.count))
}
