import Foundation
import PricingPlugin
import PromoCore
import PromoPlugins
import PromoStore
import PromoTesting
import PropertyBased
import Testing

@Suite struct PricingTests {
    /// Planted: log units = log 50 - 3 log(price / list) + N(0, 0.3^2); list 100, cost 50. Profit
    /// peaks at a 25% discount. Thompson sampling with online updates converges to it.
    @Test func thompsonSamplingConvergesToThePlantedOptimum() {
        let guardrails = PricingGuardrails(steps: [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3], minMargin: 0, maxChange: 1)
        var model = LogLinearDemand(level: log(50))
        var rng = SplitMix64(seed: 8)
        var noise = SplitMix64(seed: 9)
        var last = 0.0
        var chosen: [Double] = []
        for _ in 0..<2000 {
            let d = ThompsonPricer.choose(model, list: 100, cost: 50, last: last, guardrails: guardrails, rng: &rng)
            let z = noise.gaussian()
            model.update(logPriceRatio: log(1 - d), logUnits: log(50) - 3 * log(1 - d) + 0.3 * z)
            chosen.append(d)
            last = d
        }
        // Expected profit of the last 500 of 2,000 choices against the oracle's (25% off: 59.26 a period).
        func profit(_ d: Double) -> Double { (100 * (1 - d) - 50) * 50 * pow(1 - d, -3) }
        let late = chosen.suffix(500)
        let share = late.reduce(0) { $0 + profit($1) } / Double(late.count) / profit(0.25)
        #expect(share > 0.98, "\(share) of the oracle's profit; late choices \(Array(late))")
        #expect(abs(model.mean[1] + 3) < 0.3, "elasticity \(model.mean[1])")
    }

    /// Whatever the settings, the chosen discount is an allowed step, moves at most max_change,
    /// and keeps the margin floor and the price floor whenever some allowed step can.
    @Test func guardrailsAreNeverBroken() async {
        await propertyCheck(count: 500, input: Gen.int(in: 0...Int(Int32.max))) { seed in
            var rng = SplitMix64(seed: UInt64(seed))
            let all: [Double] = [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5]
            var steps = all.filter { _ in rng.unit() < 0.6 }
            if steps.isEmpty { steps = [0] }
            let g = PricingGuardrails(
                steps: steps, minMargin: rng.unit() * 0.5, maxChange: rng.unit() * 0.3, floor: 0.4 + rng.unit() * 0.6)
            let list = 10 + rng.unit() * 990
            let cost = list * rng.unit() * 0.9
            let last = steps[Int(rng.next() % UInt64(steps.count))]
            var model = LogLinearDemand(level: rng.unit() * 5)
            for _ in 0..<Int(rng.next() % 10) {
                model.update(logPriceRatio: log(1 - rng.unit() * 0.4), logUnits: rng.unit() * 5)
            }
            let d = ThompsonPricer.choose(model, list: list, cost: cost, last: last, guardrails: g, rng: &rng)
            #expect(steps.contains(d))
            #expect(abs(d - last) <= g.maxChange + 1e-9)
            let feasible = steps.filter { s in
                abs(s - last) <= g.maxChange + 1e-9 && (list * (1 - s) - cost) / (list * (1 - s)) >= g.minMargin - 1e-9
                    && 1 - s >= g.floor - 1e-9
            }
            if !feasible.isEmpty {
                #expect((list * (1 - d) - cost) / (list * (1 - d)) >= g.minMargin - 1e-9)
                #expect(1 - d >= g.floor - 1e-9)
            } else {
                // None feasible: the smallest discount within reach of the last one.
                #expect(d == steps.filter { abs($0 - last) <= g.maxChange + 1e-9 }.min())
            }
        }
    }

    @Test func thePricerConformsAndRecoversPlantedElasticities() async throws {
        let dir = NSTemporaryDirectory() + "promo-pricing-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try SampleStore(customers: 400, skus: 40, seed: 12).write(folder: dir)
        let store = try StoreData.load(folder: dir, currency: "CNY")
        let skus = Array(store.catalog.map(\.sku).prefix(10)) + ["NOT-A-SKU"]
        let calls = ["discount", "price", "elasticity"].map { PredictRequest.Call(function: $0, perItem: true) }
        #expect(await PluginConformance.failures(ThompsonPricer.self, store: store, skus: skus, calls: calls) == [])
        var model = ThompsonPricer(settings: [:])
        try model.load(try await model.train(on: store))
        // Posterior elasticities are negative on average (the sample store plants -1.5 to -3.5 in choice).
        let e = model.elasticity(skus: store.catalog.map(\.sku)).compactMap { $0 }
        #expect(e.reduce(0, +) / Double(e.count) < 0)
        // Every discount is an allowed step that keeps the 10% margin floor (or no discount).
        for item in store.catalog {
            let d = Double(model.discount(skus: [item.sku])[0] ?? 0) / 1_000_000
            #expect([0, 0.05, 0.1, 0.15].contains(where: { abs($0 - d) < 1e-9 }), "\(item.sku): \(d)")
            let price = Double(item.price) * (1 - d)
            #expect(d == 0 || (price - Double(item.cost)) / price >= 0.1 - 1e-9)
        }
    }
}

@Suite struct PricingSimulationTests {
    /// Rows from 20 stores with their own levels, log units = level - 2.8 log price + 0.4 z: the
    /// fit recovers -2.8 within 0.1 and the noise within 0.05.
    @Test func elasticityFitRecoversThePlantedValues() {
        var rng = SplitMix64(seed: 3)
        var rows: [ElasticityFit.Row] = []
        for store in 0..<20 {
            let level = 5 + Double(store) * 0.1
            for _ in 0..<100 {
                let price = 2 * (0.7 + 0.3 * rng.unit())
                let units = exp(level - 2.8 * log(price) + 0.4 * rng.gaussian())
                rows.append(.init(item: "A", location: "s\(store)", units: units, price: price, cost: 1.2))
            }
        }
        let fit = ElasticityFit.fit(rows)
        #expect(fit.count == 1)
        #expect(abs(fit[0].elasticity + 2.8) < 0.1, "\(fit[0].elasticity)")
        #expect(abs(fit[0].noise - 0.4) < 0.05, "\(fit[0].noise)")
        let sim = fit[0].simulator(grid: .discounts([0, 0.1, 0.2, 0.3]))
        #expect(sim.prices.count == 4 && sim.prices[0] > sim.prices[3])
    }

    /// On a planted simulator with an interior optimum, the plugin's sampler keeps more than 97% of
    /// the oracle's profit over 1,000 rounds and beats per-price Thompson sampling, UCB1 and
    /// epsilon-greedy; regret never decreases.
    @Test func thePluginBeatsTheBanditsOnAPlantedSimulator() {
        let sim = DemandSimulator(
            level: log(50), elasticity: -3, noise: 0.5, cost: 50, prices: [100, 95, 90, 85, 80, 75, 70])
        var share: [PricingPolicy: Double] = [:]
        for policy in PricingPolicy.allCases {
            var total = 0.0
            for run in 0..<20 {
                let r = PricingRun.regret(policy, on: sim, rounds: 1000, seed: UInt64(run))
                #expect(zip(r, r.dropFirst()).allSatisfy { $0 <= $1 + 1e-9 })
                total += r.last!
            }
            share[policy] = 1 - total / 20 / (1000 * sim.oracle)
        }
        let plugin = share[.modelThompson]!
        #expect(plugin > 0.97, "\(share)")
        for other in PricingPolicy.allCases where other != .modelThompson {
            #expect(plugin > share[other]!, "\(share)")
        }
    }
}
