import Foundation

/// One weekly series: units with their own price and promotion flags, per period.
public struct WeeklySeries: Sendable {
    public var item: String
    public var location: String
    /// The group whose price elasticity and promotion effects the series shares (the item itself
    /// by default; the category when there are many items and little data per item).
    public var group: String
    public var periods: [Int]
    public var units: [Double]
    public var price: [Double]
    public var deal: [Double]
    public var feature: [Double]

    public init(item: String, location: String) {
        self.item = item
        self.location = location
        group = item
        periods = []
        units = []
        price = []
        deal = []
        feature = []
    }

    /// The final run of consecutive periods.
    public func finalRun() -> WeeklySeries {
        var start = periods.count - 1
        while start > 0 && periods[start - 1] == periods[start] - 1 { start -= 1 }
        var s = self
        s.periods = Array(periods[start...])
        s.units = Array(units[start...])
        s.price = Array(price[start...])
        s.deal = Array(deal[start...])
        s.feature = Array(feature[start...])
        return s
    }
}

/// The promotion-aware demand model: log units on the series' level, recent demand, own price
/// (with an elasticity per item), promotion and feature flags, yearly seasonality and item effects,
/// pooled over series and fitted by ridge regression with the penalty chosen on a holdout.
public struct PromotionDemandModel: Sendable {
    public var weights: [Double]
    public var means: [Double]
    public var scales: [Double]
    public var items: [String]
    public var penalty: Double
    /// Variance of the residuals of log(units + 1) on the training rows.
    public var residualVariance: Double = 0

    /// Features of period `t` of a series whose training part ends before `origin`.
    static func features(_ s: WeeklySeries, _ t: Int, origin: Int, items: [String], level: Double, meanLogPrice: Double)
        -> [Double]
    {
        let recentEnd = min(t, origin)
        let recentStart = max(0, recentEnd - 4)
        let recent =
            recentEnd > recentStart
            ? (recentStart..<recentEnd).reduce(0) { $0 + log(s.units[$1] + 1) } / Double(recentEnd - recentStart)
            : level
        let lp = log(s.price[t]) - meanLogPrice
        let w = 2 * Double.pi * Double(s.periods[t]) / 52
        var x = [level, recent, lp, s.deal[t], s.feature[t], sin(w), cos(w), sin(2 * w), cos(2 * w)]
        for item in items {
            let on: Double = item == s.group ? 1 : 0
            x.append(on)
            x.append(on * lp)
            x.append(on * s.deal[t])
            x.append(on * s.feature[t])
        }
        return x
    }

    static func rows(_ series: [WeeklySeries], trainEnd: (WeeklySeries) -> Int, items: [String]) -> (
        x: [[Double]], y: [Double]
    ) {
        var x: [[Double]] = []
        var y: [Double] = []
        for s in series {
            let end = trainEnd(s)
            guard end > 8 else { continue }
            let level = (0..<end).reduce(0) { $0 + log(s.units[$1] + 1) } / Double(end)
            let mlp = (0..<end).reduce(0) { $0 + log(s.price[$1]) } / Double(end)
            for t in 4..<end {
                x.append(features(s, t, origin: t, items: items, level: level, meanLogPrice: mlp))
                y.append(log(s.units[t] + 1))
            }
        }
        return (x, y)
    }

    /// Fits on every series but its last `horizon` periods, choosing the penalty on the `horizon`
    /// periods before those.
    public static func fit(_ series: [WeeklySeries], horizon: Int) -> PromotionDemandModel {
        fit(series, validation: horizon, heldOut: horizon)
    }

    /// Fits on every series but its last `heldOut` periods (0 to serve), choosing the penalty by
    /// fitting without the `validation` periods before those and scoring on them.
    public static func fit(_ series: [WeeklySeries], validation: Int, heldOut: Int) -> PromotionDemandModel {
        let items = Array(Set(series.map(\.group))).sorted()
        let horizon = validation
        let inner = rows(series, trainEnd: { $0.units.count - heldOut - validation }, items: items)
        var best = (penalty: 1.0, error: Double.infinity)
        for penalty in [0.1, 1, 10, 100, 1000, 3000, 10_000, 30_000, 100_000] {
            let m = solve(inner.x, inner.y, penalty: penalty, items: items)
            var error = 0.0
            for s in series where s.units.count > heldOut + horizon + 8 {
                let origin = s.units.count - heldOut - horizon
                for (k, f) in m.forecast(s, origin: origin, horizon: horizon).enumerated() {
                    let a = s.units[origin + k]
                    error += abs(f - a) / max(1e-9, abs(f) + abs(a))
                }
            }
            if error < best.error { best = (penalty, error) }
        }
        let all = rows(series, trainEnd: { $0.units.count - heldOut }, items: items)
        return solve(all.x, all.y, penalty: best.penalty, items: items)
    }

    static func solve(_ x: [[Double]], _ y: [Double], penalty: Double, items: [String]) -> PromotionDemandModel {
        let d = x.first?.count ?? 0
        let n = Double(x.count)
        var means = [Double](repeating: 0, count: d)
        var scales = [Double](repeating: 1, count: d)
        for j in 0..<d {
            means[j] = x.reduce(0) { $0 + $1[j] } / n
            let v = x.reduce(0) { $0 + ($1[j] - means[j]) * ($1[j] - means[j]) } / n
            scales[j] = v > 1e-12 ? v.squareRoot() : 1
        }
        let ym = y.reduce(0, +) / n
        var a = [Double](repeating: 0, count: d * d)
        var b = [Double](repeating: 0, count: d)
        var z = [Double](repeating: 0, count: d)
        for (row, target) in zip(x, y) {
            for j in 0..<d { z[j] = (row[j] - means[j]) / scales[j] }
            for i in 0..<d {
                b[i] += z[i] * (target - ym)
                for j in i..<d { a[i * d + j] += z[i] * z[j] }
            }
        }
        for i in 0..<d {
            a[i * d + i] += penalty
            for j in 0..<i { a[i * d + j] = a[j * d + i] }
        }
        // Cholesky solve.
        var l = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in 0...i {
                var s = a[i * d + j]
                for k in 0..<j { s -= l[i * d + k] * l[j * d + k] }
                l[i * d + j] = i == j ? max(s, 1e-12).squareRoot() : s / l[j * d + j]
            }
        }
        var w = [Double](repeating: 0, count: d)
        for i in 0..<d {
            var s = b[i]
            for k in 0..<i { s -= l[i * d + k] * w[k] }
            w[i] = s / l[i * d + i]
        }
        for i in stride(from: d - 1, through: 0, by: -1) {
            var s = w[i]
            for k in i + 1..<d { s -= l[k * d + i] * w[k] }
            w[i] = s / l[i * d + i]
        }
        var model = PromotionDemandModel(
            weights: [ym] + w, means: means, scales: scales, items: items, penalty: penalty)
        var sse = 0.0
        for (row, target) in zip(x, y) { sse += (target - model.predictLog(row)) * (target - model.predictLog(row)) }
        model.residualVariance = sse / max(1, n - Double(d) - 1)
        return model
    }

    /// log(units + 1) for one row of features.
    func predictLog(_ x: [Double]) -> Double {
        var yhat = weights[0]
        for j in x.indices { yhat += weights[j + 1] * (x[j] - means[j]) / scales[j] }
        return yhat
    }

    /// Units for the `horizon` periods from `origin`, with their (known, planned) prices and flags.
    public func forecast(_ s: WeeklySeries, origin: Int, horizon: Int) -> [Double] {
        forecastLog(s, origin: origin, horizon: horizon).map { max(0, exp($0) - 1) }
    }

    /// log(units + 1) for the `horizon` periods from `origin`.
    public func forecastLog(_ s: WeeklySeries, origin: Int, horizon: Int) -> [Double] {
        let level = (0..<origin).reduce(0) { $0 + log(s.units[$1] + 1) } / Double(origin)
        let mlp = (0..<origin).reduce(0) { $0 + log(s.price[$1]) } / Double(origin)
        return (origin..<min(s.units.count, origin + horizon)).map { t in
            predictLog(Self.features(s, t, origin: origin, items: items, level: level, meanLogPrice: mlp))
        }
    }
}

/// Forecast accuracy over held-out periods.
public enum ForecastMetrics {
    public struct Result: Sendable {
        public var smape: Double
        public var mae: Double
        public var rmse: Double
        public var mase: Double
    }

    /// `pairs`: per series, (forecasts, actuals, in-sample one-step naive MAE for MASE).
    public static func evaluate(_ pairs: [(forecast: [Double], actual: [Double], scale: Double)]) -> Result {
        var smape = 0.0
        var ae = 0.0
        var se = 0.0
        var n = 0.0
        var mase = 0.0
        for p in pairs {
            var seriesAE = 0.0
            for (f, a) in zip(p.forecast, p.actual) {
                smape += abs(f) + abs(a) > 0 ? 200 * abs(f - a) / (abs(f) + abs(a)) : 0
                ae += abs(f - a)
                se += (f - a) * (f - a)
                seriesAE += abs(f - a)
                n += 1
            }
            mase += seriesAE / Double(max(1, p.actual.count)) / max(p.scale, 1e-9)
        }
        return Result(
            smape: smape / n, mae: ae / n, rmse: (se / n).squareRoot(), mase: mase / Double(max(1, pairs.count)))
    }
}
