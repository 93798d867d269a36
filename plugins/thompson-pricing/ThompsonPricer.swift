import Foundation
public import PromoCore
public import PromoDSL
public import PromoPlugins

/// Bayesian log-linear demand per item, log(units) = a + b log(price / list price), with a
/// conjugate normal-inverse-gamma posterior, and Thompson sampling over allowed discounts: each
/// period one draw of (a, b, noise) per item, and the discount whose expected profit under that
/// draw is highest among those the guardrails allow.
public struct LogLinearDemand: Codable, Hashable, Sendable {
    /// Posterior mean of (a, b), precision matrix (2x2, row-major), and inverse-gamma a0, b0.
    public var mean: [Double]
    public var precision: [Double]
    public var shape: Double
    public var scale: Double

    /// Prior: a ~ N(level, s^2), b ~ N(-2, 5^2 s^2), s^2 the noise variance ~ IG(2, 1). The level
    /// (log units at list price, from history) anchors a, so that b is identified even when the
    /// sampler keeps to a few discounts; b's prior is weak.
    public init(level: Double) {
        mean = [level, -2]
        precision = [1, 0, 0, 1 / 25]
        shape = 2
        scale = 1
    }

    /// Conjugate update with one observation x = (1, log price ratio), y = log units.
    public mutating func update(logPriceRatio z: Double, logUnits y: Double) {
        let x = [1, z]
        let p0 = precision
        let m0 = mean
        var p1 = p0
        for a in 0..<2 { for b in 0..<2 { p1[a * 2 + b] += x[a] * x[b] } }
        // m1 = P1^-1 (P0 m0 + x y)
        let rhs = [p0[0] * m0[0] + p0[1] * m0[1] + x[0] * y, p0[2] * m0[0] + p0[3] * m0[1] + x[1] * y]
        let det = p1[0] * p1[3] - p1[1] * p1[2]
        let m1 = [(p1[3] * rhs[0] - p1[1] * rhs[1]) / det, (-p1[2] * rhs[0] + p1[0] * rhs[1]) / det]
        func quad(_ p: [Double], _ m: [Double]) -> Double {
            m[0] * (p[0] * m[0] + p[1] * m[1]) + m[1] * (p[2] * m[0] + p[3] * m[1])
        }
        shape += 0.5
        scale += 0.5 * (y * y + quad(p0, m0) - quad(p1, m1))
        precision = p1
        mean = m1
    }

    /// One posterior draw of (a, b, noise variance).
    public func sample(_ rng: inout SplitMix64) -> (a: Double, b: Double, variance: Double) {
        // Inverse-gamma via a gamma draw.
        let variance = scale / rng.gamma(shape)
        // Covariance = variance x P^-1; Cholesky of the 2x2.
        let det = precision[0] * precision[3] - precision[1] * precision[2]
        let c00 = variance * precision[3] / det
        let c01 = -variance * precision[1] / det
        let c11 = variance * precision[0] / det
        let l00 = c00.squareRoot()
        let l10 = c01 / l00
        let l11 = max(0, c11 - l10 * l10).squareRoot()
        let z0 = rng.gaussian()
        let z1 = rng.gaussian()
        return (mean[0] + l00 * z0, mean[1] + l10 * z0 + l11 * z1, variance)
    }
}

/// The guardrails of a pricing decision.
public struct PricingGuardrails: Sendable, Hashable, Codable {
    /// Allowed discounts, as fractions (0.1 is 10%).
    public var steps: [Double]
    public var minMargin: Double
    public var maxChange: Double
    /// The lowest price allowed, as a share of the list price (0.5: never below half the list price).
    public var floor: Double

    public init(steps: [Double], minMargin: Double, maxChange: Double, floor: Double = 0) {
        self.steps = steps
        self.minMargin = minMargin
        self.maxChange = maxChange
        self.floor = floor
    }

    /// The steps a period may choose, given the list price, cost and last period's discount; the
    /// nearest allowed step to the last one when none passes the margin floor and the price floor.
    public func allowed(list: Double, cost: Double, last: Double) -> [Double] {
        let ok = steps.filter { d in
            let price = list * (1 - d)
            return abs(d - last) <= maxChange + 1e-12 && 1 - d >= floor - 1e-12
                && (price <= 0 ? false : (price - cost) / price >= minMargin - 1e-12)
        }
        if !ok.isEmpty { return ok }
        let near = steps.filter { abs($0 - last) <= maxChange + 1e-12 }
        return [near.min(by: { $0 < $1 }) ?? last]
    }
}

public struct ThompsonPricer: PricingModel {
    public static let builtinName = "ThompsonPricer"
    public static let snapshotFormat = 1

    public struct ItemState: Codable, Hashable, Sendable {
        public var model: LogLinearDemand
        public var list: Int64
        public var cost: Int64
        public var discount: Double
    }

    struct State: Codable, Hashable {
        var items: [String: ItemState]
    }

    public let guardrails: PricingGuardrails
    let seed: UInt64
    var state: State?

    public init(settings: [String: String]) {
        let steps = (settings["steps"] ?? "0,5,10,15,20,25,30").split(separator: ",").compactMap {
            Double($0.trimmingCharacters(in: .whitespaces)).map { $0 / 100 }
        }
        guardrails = PricingGuardrails(
            steps: steps.isEmpty ? [0] : steps.sorted(), minMargin: SettingText.fraction(settings["min_margin"]) ?? 0.1,
            maxChange: SettingText.fraction(settings["max_change"]) ?? 0.15,
            floor: SettingText.fraction(settings["floor"]) ?? 0.5)
        seed = UInt64(settings["seed"].flatMap(Double.init) ?? 42)
    }

    /// The discount Thompson sampling picks for one item this period.
    public static func choose(
        _ model: LogLinearDemand, list: Double, cost: Double, last: Double, guardrails: PricingGuardrails,
        rng: inout SplitMix64
    ) -> Double {
        let draw = model.sample(&rng)
        var best = (profit: -Double.infinity, discount: last)
        for d in guardrails.allowed(list: list, cost: cost, last: last) {
            let price = list * (1 - d)
            let units = exp(draw.a + draw.b * log(1 - d) + draw.variance / 2)
            let profit = (price - cost) * units
            if profit > best.profit + 1e-12 { best = (profit, d) }
        }
        return best.discount
    }

    public func train(on store: StoreData) async throws -> ModelSnapshot {
        // Weekly units per item at each effective price.
        var weekly: [String: [Int64: (units: Double, revenue: Double)]] = [:]
        for o in store.orders {
            let week = o.time / (7 * 86_400)
            var w = weekly[o.sku, default: [:]][week] ?? (0, 0)
            w.units += Double(o.quantity)
            w.revenue += Double(o.unitPrice * Int64(o.quantity) - o.discount)
            weekly[o.sku, default: [:]][week] = w
        }
        var rng = SplitMix64(seed: seed)
        var items: [String: ItemState] = [:]
        for item in store.catalog.sorted(by: { $0.sku < $1.sku }) {
            let weeks = (weekly[item.sku] ?? [:]).sorted { $0.key < $1.key }  // sums in a fixed order
            let level = weeks.isEmpty ? 0 : weeks.reduce(0) { $0 + log($1.value.units + 0.5) } / Double(weeks.count)
            var model = LogLinearDemand(level: level)
            for (_, w) in weeks where w.units > 0 && item.price > 0 {
                let ratio = min(1, max(0.3, w.revenue / w.units / Double(item.price)))
                model.update(logPriceRatio: log(ratio), logUnits: log(w.units + 0.5))
            }
            let d = Self.choose(
                model, list: Double(item.price), cost: Double(item.cost), last: 0, guardrails: guardrails, rng: &rng)
            items[item.sku] = ItemState(model: model, list: item.price, cost: item.cost, discount: d)
        }
        return try .encoding(State(items: items), by: Self.self)
    }

    public mutating func load(_ snapshot: ModelSnapshot) throws {
        state = try snapshot.decoding(State.self, by: Self.self)
    }

    /// Outcomes of priced periods: `{"item": sku, "price": minor units paid, "units": units sold}`.
    /// Each updates the item's posterior and draws the item's next discount, within the guardrails
    /// and from the last one; unknown items and malformed outcomes are refused (nothing is applied).
    public mutating func feedback(_ outcomes: [JSON]) throws -> ModelSnapshot {
        guard var state else { throw PluginFault(.unavailable, "not trained yet: run `promo train`") }
        var parsed: [(sku: String, price: Double, units: Double)] = []
        for (k, o) in outcomes.enumerated() {
            guard let sku = o["item"]?.string, let price = o["price"]?.number, let units = o["units"]?.number,
                price > 0, units >= 0, price.isFinite, units.isFinite
            else {
                throw PluginFault(
                    .badValue, "outcome \(k + 1): needs item (text), price (minor units above 0) and units (at least 0)"
                )
            }
            guard state.items[sku] != nil else {
                throw PluginFault(.badValue, "outcome \(k + 1): unknown item '\(sku)'")
            }
            parsed.append((sku, price, units))
        }
        for o in parsed {
            var item = state.items[o.sku]!
            guard item.list > 0 else { continue }
            let ratio = min(1.5, max(0.3, o.price / Double(item.list)))
            item.model.update(logPriceRatio: log(ratio), logUnits: log(o.units + 0.5))
            // The draw is seeded by the seed, the item and how much the item has learnt, so the
            // same history gives the same prices.
            var rng = SplitMix64(seed: seed ^ Holdout.fnv1a64(Array(o.sku.utf8)) ^ UInt64(item.model.shape * 2))
            item.discount = Self.choose(
                item.model, list: Double(item.list), cost: Double(item.cost), last: item.discount,
                guardrails: guardrails, rng: &rng)
            state.items[o.sku] = item
        }
        self.state = state
        return try .encoding(state, by: Self.self)
    }

    public func discount(skus: [String]) -> [Int64?] {
        skus.map { s in state?.items[s].map { Int64(($0.discount * 1_000_000).rounded()) } }
    }

    public func price(skus: [String]) -> [Int64?] {
        skus.map { s in state?.items[s].map { Int64((Double($0.list) * (1 - $0.discount) / 10).rounded()) * 10 } }
    }

    public func elasticity(skus: [String]) -> [Double?] { skus.map { s in state?.items[s]?.model.mean[1] } }

    public func predict(_ request: PredictRequest) throws -> [[Value?]] {
        try request.calls.map { call -> [Value?] in
            switch call.function {
            case "discount": return discount(skus: request.skus).map { $0.map(Value.percent) }
            case "price": return price(skus: request.skus).map { $0.map(Value.money) }
            case "elasticity": return elasticity(skus: request.skus).map { $0.map(Value.number) }
            default: throw PluginFault(.pluginError, "\(Self.builtinName) does not serve '\(call.function)'")
            }
        }
    }
}
