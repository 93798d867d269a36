import Foundation
public import PromoCore

/// A log-linear demand simulator for one item and the pricing policies compared on it.
///
/// Each round the policy picks one of the grid's prices; units = exp(a + b log(p / top) + s z),
/// z standard normal; the reward is (p - cost) x units. Regret is measured on expected profits
/// (the oracle always plays the price whose expected profit is highest), so it is not blurred by
/// the noise of the draws.
public struct DemandSimulator: Sendable, Hashable {
    /// Log units at the top price of the grid.
    public var level: Double
    public var elasticity: Double
    public var noise: Double
    public var cost: Double
    /// Prices, highest first.
    public var prices: [Double]

    public init(level: Double, elasticity: Double, noise: Double, cost: Double, prices: [Double]) {
        self.level = level
        self.elasticity = elasticity
        self.noise = noise
        self.cost = cost
        self.prices = prices.sorted(by: >)
    }

    public var top: Double { prices[0] }
    /// The grid as discounts off the top price.
    public var discounts: [Double] { prices.map { 1 - $0 / top } }

    public func expectedProfit(_ arm: Int) -> Double {
        let p = prices[arm]
        return (p - cost) * exp(level + elasticity * log(p / top) + noise * noise / 2)
    }

    public var oracle: Double { prices.indices.map(expectedProfit).max()! }

    /// Units sold at the arm's price in one round.
    public func draw(_ arm: Int, _ rng: inout SplitMix64) -> Double {
        exp(level + elasticity * log(prices[arm] / top) + noise * rng.gaussian())
    }
}

/// The policies `promo evaluate pricing` compares.
public enum PricingPolicy: String, Sendable, CaseIterable {
    /// The plugin: Thompson sampling on the Bayesian log-linear model, choosing among the grid's
    /// discounts with `ThompsonPricer.choose` (no margin floor, no change limit).
    case modelThompson = "plugin: log-linear Thompson sampling"
    /// One normal-inverse-gamma posterior of profit per price, sampled each round.
    case armThompson = "per-price Thompson sampling"
    /// UCB1 on profits scaled by the best mean profit so far.
    case ucb1 = "UCB1"
    /// Explores a uniformly random price with probability 0.1, else plays the best mean so far.
    case epsilonGreedy = "epsilon-greedy (0.1)"
}

public enum PricingRun {
    /// Cumulative expected-profit regret after each round, for one run of `rounds` rounds.
    /// `limits`: the plugin's margin floor and change limit (its steps are the simulator's grid);
    /// the other policies play any price of the grid.
    public static func regret(
        _ policy: PricingPolicy, on sim: DemandSimulator, rounds: Int, seed: UInt64, limits: PricingGuardrails? = nil
    ) -> [Double] {
        var rng = SplitMix64(seed: seed)
        var world = SplitMix64(seed: seed ^ 0x5DEE_CE66_D1CE_5EED)
        let k = sim.prices.count
        let oracle = sim.oracle
        let expected = sim.prices.indices.map(sim.expectedProfit)
        var cumulative = 0.0
        var out: [Double] = []
        out.reserveCapacity(rounds)
        // Per-arm statistics of observed profit.
        var n = [Double](repeating: 0, count: k)
        var sum = [Double](repeating: 0, count: k)
        var squares = [Double](repeating: 0, count: k)
        // The model-based policy's posterior, anchored on its first observation.
        var model: LogLinearDemand?
        var guardrails = limits ?? PricingGuardrails(steps: [], minMargin: -.infinity, maxChange: .infinity)
        guardrails.steps = sim.discounts
        var last = 0.0
        for t in 0..<rounds {
            let arm: Int
            switch policy {
            case .modelThompson:
                if let m = model {
                    let d = ThompsonPricer.choose(
                        m, list: sim.top, cost: sim.cost, last: last, guardrails: guardrails, rng: &rng)
                    arm = sim.discounts.firstIndex { abs($0 - d) < 1e-12 } ?? 0
                } else {
                    arm = 0
                }
            case .armThompson:
                if t < k {
                    arm = t
                } else {
                    var top = (value: -Double.infinity, arm: 0)
                    for a in 0..<k {
                        // Normal-inverse-gamma with a flat prior: mean ~ t(n - 1) around the sample mean.
                        let mean = sum[a] / n[a]
                        let variance = max((squares[a] - n[a] * mean * mean) / max(1, n[a] - 1), 1e-12)
                        let shape = max(0.5, (n[a] - 1) / 2)
                        let precision = rng.gamma(shape) / (shape * variance)
                        let value = mean + rng.gaussian() / (n[a] * precision).squareRoot()
                        if value > top.value { top = (value, a) }
                    }
                    arm = top.arm
                }
            case .ucb1:
                if t < k {
                    arm = t
                } else {
                    // Profits in units of the best mean so far, so that the bonus compares with them.
                    let scale = max((0..<k).map { sum[$0] / n[$0] }.max()!, 1e-12)
                    var top = (value: -Double.infinity, arm: 0)
                    for a in 0..<k {
                        let value = sum[a] / n[a] / scale + (2 * log(Double(t)) / n[a]).squareRoot()
                        if value > top.value { top = (value, a) }
                    }
                    arm = top.arm
                }
            case .epsilonGreedy:
                if t < k {
                    arm = t
                } else if rng.unit() < 0.1 {
                    arm = Int(rng.next() % UInt64(k))
                } else {
                    arm = (0..<k).max { sum[$0] / n[$0] < sum[$1] / n[$1] }!
                }
            }
            let units = sim.draw(arm, &world)
            let profit = (sim.prices[arm] - sim.cost) * units
            n[arm] += 1
            sum[arm] += profit
            squares[arm] += profit * profit
            if policy == .modelThompson {
                let z = log(sim.prices[arm] / sim.top)
                // The first observation anchors the prior's level (it is not counted twice).
                if model == nil {
                    model = LogLinearDemand(level: log(units))
                } else {
                    model!.update(logPriceRatio: z, logUnits: log(units))
                }
                last = sim.discounts[arm]
            }
            cumulative += oracle - expected[arm]
            out.append(cumulative)
        }
        return out
    }
}

/// Per-item price elasticities from weekly sales: log units on log price and the control columns
/// (e.g. promotion flags) within each item x location series (fixed effects), pooled per item, by
/// least squares. The residual noise is what the price and the controls leave unexplained.
public struct ElasticityFit: Sendable, Hashable {
    public struct Row: Sendable, Hashable {
        public var item: String
        public var location: String
        public var units: Double
        public var price: Double
        public var cost: Double
        public var controls: [Double]

        public init(item: String, location: String, units: Double, price: Double, cost: Double, controls: [Double] = [])
        {
            self.item = item
            self.location = location
            self.units = units
            self.price = price
            self.cost = cost
            self.controls = controls
        }
    }

    public var item: String
    public var elasticity: Double
    /// Residual standard deviation of log units.
    public var noise: Double
    /// Mean log units over the item's rows, and their prices and unit costs.
    public var meanLogUnits: Double
    public var prices: [Double]
    public var costs: [Double]
    public var rows: Int

    /// Rows with units or price not above 0 are left out.
    public static func fit(_ rows: [Row]) -> [ElasticityFit] {
        let byItem = Dictionary(grouping: rows.filter { $0.units > 0 && $0.price > 0 }, by: \.item)
        return byItem.keys.sorted().compactMap { item in
            let r = byItem[item]!
            let d = 1 + (r.first?.controls.count ?? 0)
            let bySeries = Dictionary(grouping: r, by: \.location)
            var xs: [[Double]] = []
            var ys: [Double] = []
            for location in bySeries.keys.sorted() {
                let s = bySeries[location]!
                let rowsX = s.map { [log($0.price)] + $0.controls }
                let means = (0..<d).map { j in rowsX.reduce(0) { $0 + $1[j] } / Double(s.count) }
                let my = s.reduce(0) { $0 + log($1.units) } / Double(s.count)
                for (row, x) in zip(s, rowsX) {
                    xs.append((0..<d).map { x[$0] - means[$0] })
                    ys.append(log(row.units) - my)
                }
            }
            let dof = xs.count - bySeries.count - d
            guard dof > 0, let w = leastSquares(xs, ys, d) else { return nil }
            var sse = 0.0
            for (x, y) in zip(xs, ys) {
                let e = y - (0..<d).reduce(0) { $0 + w[$1] * x[$1] }
                sse += e * e
            }
            return ElasticityFit(
                item: item, elasticity: w[0], noise: (sse / Double(dof)).squareRoot(),
                meanLogUnits: r.reduce(0) { $0 + log($1.units) } / Double(r.count), prices: r.map(\.price),
                costs: r.map(\.cost), rows: r.count)
        }
    }

    /// Solves the normal equations by Gaussian elimination with partial pivoting; nil when singular.
    static func leastSquares(_ x: [[Double]], _ y: [Double], _ d: Int) -> [Double]? {
        var a = [[Double]](repeating: [Double](repeating: 0, count: d + 1), count: d)
        for (row, target) in zip(x, y) {
            for i in 0..<d {
                for j in 0..<d { a[i][j] += row[i] * row[j] }
                a[i][d] += row[i] * target
            }
        }
        for c in 0..<d {
            let p = (c..<d).max { abs(a[$0][c]) < abs(a[$1][c]) }!
            guard abs(a[p][c]) > 1e-12 else { return nil }
            a.swapAt(c, p)
            for r in 0..<d where r != c {
                let f = a[r][c] / a[c][c]
                for k in c...d { a[r][k] -= f * a[c][k] }
            }
        }
        return (0..<d).map { a[$0][d] / a[$0][$0] }
    }

    public enum Grid: Sendable, Hashable {
        /// Discounts (fractions) off the item's regular price, the median of its observed prices.
        case discounts([Double])
        /// `n` prices evenly spaced in log between the 5th and 95th percentile of observed prices.
        case range(Int)
    }

    /// The simulator calibrated from this fit: the grid's prices, the median unit cost, the fitted
    /// elasticity and noise, and the level at the grid's top price from the mean log units at the
    /// median price.
    public func simulator(grid: Grid) -> DemandSimulator {
        func quantile(_ v: [Double], _ q: Double) -> Double {
            let s = v.sorted()
            return s[min(s.count - 1, Int(q * Double(s.count - 1)))]
        }
        let median = quantile(prices, 0.5)
        let points: [Double]
        switch grid {
        case .discounts(let steps):
            points = steps.map { median * (1 - $0) }
        case .range(let arms):
            let low = quantile(prices, 0.05)
            let high = max(quantile(prices, 0.95), low * 1.01)
            points = (0..<arms).map { exp(log(high) - Double($0) * (log(high) - log(low)) / Double(max(1, arms - 1))) }
        }
        let top = points.max()!
        return DemandSimulator(
            level: meanLogUnits + elasticity * log(top / median), elasticity: elasticity, noise: noise,
            cost: quantile(costs, 0.5), prices: points)
    }
}
