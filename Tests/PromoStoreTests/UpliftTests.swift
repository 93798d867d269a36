import Foundation
import PromoCore
import PromoPlugins
import PromoStore
import PromoTesting
import Testing
import UpliftPlugin

@Suite struct UpliftTests {
    /// Logged exposures where only customers with feature 1 above 0 respond to treatment (+0.3).
    static func planted(_ n: Int, seed: UInt64) -> [(x: [Double], treated: Bool, outcome: Double, weight: Double)] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in
            let a = rng.unit() * 2 - 1
            let b = rng.unit() * 2 - 1
            let treated = rng.unit() < 0.5
            let p = 0.2 + 0.1 * b + (treated && a > 0 ? 0.3 : 0)
            return ([1, a, b], treated, rng.unit() < p ? 1 : 0, 2)
        }
    }

    @Test(arguments: ["t", "s"]) func learnersRankPlantedRespondersFirst(_ learner: String) {
        let train = Self.planted(6000, seed: 1)
        let test = Self.planted(3000, seed: 2)
        let models = UpliftLearner.fit(learner: learner, l2: 1, rows: train)
        let scored = test.map { r -> (score: Double, treated: Bool, outcome: Double) in
            let p = UpliftLearner.predict(learner: learner, models: models, x: r.x)
            return (p.treated - p.control, r.treated, r.outcome)
        }
        let m = UpliftMetrics.evaluate(scored)
        #expect(m.qini > 0.02, "qini \(m.qini)")
        #expect((m.upliftAt[0.3] ?? 0) > 0.08, "\(m.upliftAt)")
        // Random scores: no gain.
        var rng = SplitMix64(seed: 9)
        let random = UpliftMetrics.evaluate(scored.map { (rng.unit(), $0.treated, $0.outcome) })
        #expect(abs(random.qini) < m.qini / 2)
    }

    @Test func theSampleStoresPlantedUpliftReachesDecisions() async throws {
        let dir = NSTemporaryDirectory() + "promo-uplift-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try SampleStore(customers: 800, skus: 60, seed: 6).write(folder: dir)
        let store = try StoreData.load(folder: dir, currency: "CNY")
        var model = UpliftLearner(settings: [:])
        try model.load(try await model.train(on: store))
        var truth: [String: String] = [:]
        for line in try String(contentsOfFile: dir + "/truth_customers.csv", encoding: .utf8).split(separator: "\n")
            .dropFirst()
        {
            let f = line.split(separator: ",")
            truth[String(f[0])] = String(f[1])
        }
        func mean(_ b: String) -> Double {
            let s = truth.filter { $0.value == b }.compactMap { model.score(customerID: $0.key) }
            return s.reduce(0, +) / Double(s.count)
        }
        // Planted uplift: bargain 0.12, lapsed 0.08, frequent 0.01, high value 0.
        #expect(
            mean("bargain") > mean("frequent") && mean("bargain") > mean("high_value"),
            "bargain \(mean("bargain")), frequent \(mean("frequent"))")
        #expect(model.propensity(customerID: "c-1001").map { (0...1).contains($0) } == true)
        #expect(
            await PluginConformance.failures(
                UpliftLearner.self, store: store, customer: "c-2002", skus: ["X"],
                calls: [.init(function: "score", perItem: false), .init(function: "propensity", perItem: false)]) == [])
    }
}
