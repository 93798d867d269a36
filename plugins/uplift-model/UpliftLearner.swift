import Foundation
public import PromoCore
public import PromoDSL
public import PromoPlugins

/// Uplift from logged exposures: would this customer buy because of the offer, or anyway?
/// A T-learner (logistic models of the outcome for treated and for control customers) or an
/// S-learner (one logistic model with the treatment and its interactions as features), weighted by
/// the inverse of the logging propensity. `uplift.score()` is P(buy | offer) - P(buy | no offer),
/// `uplift.propensity()` is P(buy | no offer).
public struct UpliftLearner: UpliftModel {
    public static let builtinName = "UpliftLearner"
    public static let snapshotFormat = 1

    struct State: Codable, Hashable {
        var learner: String
        /// T: [control, treated]; S: [one model].
        var models: [[Double]]
        var scores: [String: [Double]]
    }

    let learner: String
    let l2: Double
    var state: State?

    public init(settings: [String: String]) {
        learner = settings["learner"] == "s" ? "s" : "t"
        l2 = settings["l2"].flatMap(Double.init) ?? 1
    }

    /// Customer features from `CustomerHistory`: intercept, log recency, log order lines, log spend
    /// in the last year, log tenure, promoted share (recency and tenure capped at two years).
    static func features(_ store: StoreData) -> [String: [Double]] {
        let history = CustomerHistory(store)
        var out: [String: [Double]] = [:]
        for id in Set(history.customers.keys).union(store.customers.map(\.id)).union(store.exposures.map(\.customerID))
        {
            guard let h = history.customers[id] else {
                out[id] = [1, log1p(730), 0, 0, 0, 0]
                continue
            }
            out[id] = [
                1, log1p(min(730, h.recencyDays)), log1p(Double(h.lines)), log1p(Double(h.spendLastYear) / 100),
                log1p(min(730, h.tenureDays)), h.promotedShare,
            ]
        }
        return out
    }

    /// Fits the learner on rows of (features, treated, outcome, weight); returns its models.
    public static func fit(
        learner: String, l2: Double, rows: [(x: [Double], treated: Bool, outcome: Double, weight: Double)]
    ) -> [[Double]] {
        if learner == "s" {
            let x = rows.map { r in r.x + [r.treated ? 1 : 0] + r.x.dropFirst().map { r.treated ? $0 : 0 } }
            return [Logistic.fit(x, rows.map(\.outcome), rows.map(\.weight), l2: l2)]
        }
        let control = rows.filter { !$0.treated }
        let treated = rows.filter(\.treated)
        return [
            Logistic.fit(control.map(\.x), control.map(\.outcome), control.map(\.weight), l2: l2),
            Logistic.fit(treated.map(\.x), treated.map(\.outcome), treated.map(\.weight), l2: l2),
        ]
    }

    /// (P(buy | offer), P(buy | no offer)) for a customer's features.
    public static func predict(learner: String, models: [[Double]], x: [Double]) -> (treated: Double, control: Double) {
        if learner == "s" {
            let t = Logistic.probability(models[0], x + [1] + x.dropFirst())
            let c = Logistic.probability(models[0], x + [0] + x.dropFirst().map { _ in 0 })
            return (t, c)
        }
        return (Logistic.probability(models[1], x), Logistic.probability(models[0], x))
    }

    public func train(on store: StoreData) async throws -> ModelSnapshot {
        let features = Self.features(store)
        let rows = store.exposures.compactMap { e -> (x: [Double], treated: Bool, outcome: Double, weight: Double)? in
            guard let x = features[e.customerID] else { return nil }
            let treated = !e.offer.isEmpty
            let p = min(max(e.propensity, 0.01), 0.99)
            return (x, treated, e.outcome > 0 ? 1 : 0, treated ? 1 / p : 1 / (1 - p))
        }
        var models: [[Double]] = []
        var scores: [String: [Double]] = [:]
        if rows.contains(where: \.treated) && rows.contains(where: { !$0.treated }) {
            models = Self.fit(learner: learner, l2: l2, rows: rows)
            for (id, x) in features {
                let p = Self.predict(learner: learner, models: models, x: x)
                scores[id] = [p.treated - p.control, p.control]
            }
        }
        return try .encoding(State(learner: learner, models: models, scores: scores), by: Self.self)
    }

    public mutating func load(_ snapshot: ModelSnapshot) throws {
        state = try snapshot.decoding(State.self, by: Self.self)
    }

    public func score(customerID: String) -> Double? { state?.scores[customerID]?[0] }
    public func propensity(customerID: String) -> Double? { state?.scores[customerID]?[1] }
}

/// L2-regularised weighted logistic regression by Newton's method (the intercept, feature 0, is
/// not penalised).
public enum Logistic {
    public static func probability(_ w: [Double], _ x: [Double]) -> Double {
        var z = 0.0
        for k in w.indices where k < x.count { z += w[k] * x[k] }
        return 1 / (1 + exp(-z))
    }

    public static func fit(_ x: [[Double]], _ y: [Double], _ weights: [Double], l2: Double, iterations: Int = 25)
        -> [Double]
    {
        guard let d = x.first?.count else { return [] }
        var w = [Double](repeating: 0, count: d)
        let total = weights.reduce(0, +)
        let scale = total > 0 ? Double(x.count) / total : 1  // weights normalised to the row count
        for _ in 0..<iterations {
            var g = (0..<d).map { k in k == 0 ? 0 : l2 * w[k] }
            var h = (0..<d).map { a in (0..<d).map { b in a == b && a > 0 ? l2 : 0.0 } }
            h[0][0] += 1e-9
            for i in x.indices {
                let p = probability(w, x[i])
                let wi = weights[i] * scale
                let r = wi * (p - y[i])
                let s = wi * p * (1 - p)
                for a in 0..<d {
                    g[a] += r * x[i][a]
                    for b in a..<d { h[a][b] += s * x[i][a] * x[i][b] }
                }
            }
            for a in 0..<d { for b in 0..<a { h[a][b] = h[b][a] } }
            guard let step = solve(h, g) else { break }
            var change = 0.0
            for k in 0..<d {
                w[k] -= step[k]
                change = max(change, abs(step[k]))
            }
            if change < 1e-8 { break }
        }
        return w
    }

    /// Solves A x = b by Gaussian elimination with partial pivoting; nil when singular.
    static func solve(_ a: [[Double]], _ b: [Double]) -> [Double]? {
        let n = b.count
        var m = a
        var v = b
        for c in 0..<n {
            guard let p = (c..<n).max(by: { abs(m[$0][c]) < abs(m[$1][c]) }), abs(m[p][c]) > 1e-12 else { return nil }
            m.swapAt(c, p)
            v.swapAt(c, p)
            for r in c + 1..<n {
                let f = m[r][c] / m[c][c]
                if f == 0 { continue }
                for k in c..<n { m[r][k] -= f * m[c][k] }
                v[r] -= f * v[c]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            var s = v[r]
            for k in r + 1..<n { s -= m[r][k] * x[k] }
            x[r] = s / m[r][r]
        }
        return x
    }
}

/// How well predicted uplift ranks who responds to treatment: the Qini coefficient and the uplift
/// in the top fraction, against random targeting.
public enum UpliftMetrics {
    public struct Result: Sendable, Hashable {
        public var qini: Double
        /// Fraction targeted -> uplift (treated rate - control rate) among the top fraction, minus
        /// the uplift over everyone (what random targeting gets).
        public var upliftAt: [Double: Double]
    }

    /// `rows`: predicted uplift, treated, outcome.
    public static func evaluate(
        _ rows: [(score: Double, treated: Bool, outcome: Double)], fractions: [Double] = [0.1, 0.3, 0.5]
    )
        -> Result
    {
        let sorted = rows.enumerated().sorted {
            $0.element.score != $1.element.score ? $0.element.score > $1.element.score : $0.offset < $1.offset
        }.map(\.element)
        func uplift(_ part: ArraySlice<(score: Double, treated: Bool, outcome: Double)>) -> Double {
            let t = part.filter(\.treated)
            let c = part.filter { !$0.treated }
            guard !t.isEmpty, !c.isEmpty else { return 0 }
            return t.reduce(0) { $0 + $1.outcome } / Double(t.count) - c.reduce(0) { $0 + $1.outcome } / Double(c.count)
        }
        let overall = uplift(sorted[...])
        var at: [Double: Double] = [:]
        for f in fractions { at[f] = uplift(sorted.prefix(max(1, Int(Double(sorted.count) * f)))) - overall }
        // Qini curve: incremental responders among the first k, against the straight line to the total.
        let nt = Double(sorted.filter(\.treated).count)
        let nc = Double(sorted.count) - nt
        var yt = 0.0
        var yc = 0.0
        var kt = 0.0
        var kc = 0.0
        var area = 0.0
        var curve: [Double] = []
        for r in sorted {
            if r.treated {
                kt += 1
                yt += r.outcome
            } else {
                kc += 1
                yc += r.outcome
            }
            curve.append(yt - (kc > 0 ? yc * kt / kc : 0))
        }
        let final = nt > 0 && nc > 0 ? yt - yc * nt / nc : 0
        for (k, q) in curve.enumerated() { area += q - final * Double(k + 1) / Double(curve.count) }
        return Result(qini: nt > 0 ? area / Double(curve.count) / nt : 0, upliftAt: at)
    }
}
