import Foundation

/// Exponential smoothing in state-space form with additive errors (Hyndman et al., "Forecasting
/// with Exponential Smoothing", 2008): trend none, additive or damped; season none, additive or
/// multiplicative. Parameters and the initial level and slope are fitted by Nelder-Mead on the sum
/// of squared one-step errors; the seasonal states start from the first two seasons (classical
/// decomposition) and count as parameters. `auto` picks the model with the lowest AICc.
public struct ExponentialSmoothing: Sendable, Codable, Hashable {
    public enum Trend: String, Sendable, Codable, CaseIterable { case none = "N", additive = "A", damped = "Ad" }
    public enum Season: String, Sendable, Codable, CaseIterable {
        case none = "N", additive = "A", multiplicative = "M"
    }

    public var trend: Trend
    public var season: Season
    /// Periods per season (52 for weekly data with a yearly season).
    public var period: Int
    public var alpha: Double
    public var beta: Double
    public var gamma: Double
    public var phi: Double
    /// States after the last observation: level, slope and the last `period` seasonal states, in
    /// the order of the periods they apply to next (`seasonal[0]` applies to the first forecast).
    public var level: Double
    public var slope: Double
    public var seasonal: [Double]
    /// One-step error variance (SSE / (n - k)) and the AICc of the fit.
    public var variance: Double
    public var aicc: Double

    /// "ETS(A,Ad,M)": error, trend, season.
    public var name: String { "ETS(A,\(trend.rawValue),\(season.rawValue))" }

    /// Smoothing parameters (alpha, beta, phi, gamma), initial states (l0, b0, s0) and the error
    /// variance.
    var parameterCount: Int {
        let smoothing = 1 + (trend == .none ? 0 : 1) + (trend == .damped ? 1 : 0) + (season == .none ? 0 : 1)
        let initial = 1 + (trend == .none ? 0 : 1) + (season == .none ? 0 : period - 1)
        return smoothing + initial + 1
    }

    /// How much of the slope the level has gathered j periods ahead, for j = 1 ... n: nothing
    /// without a trend, j with an additive one, phi + ... + phi^j when damped.
    func trendMultipliers(_ n: Int) -> [Double] {
        var damp = 0.0
        var power = 1.0
        return (0..<max(0, n)).map { i in
            switch trend {
            case .none: return 0
            case .additive: return Double(i + 1)
            case .damped:
                power *= phi
                damp += power
                return damp
            }
        }
    }

    /// Point forecasts for the next `h` periods.
    public func forecast(_ h: Int) -> [Double] {
        trendMultipliers(h).enumerated().map { i, damp in
            let base = level + damp * slope
            switch season {
            case .none: return base
            case .additive: return base + seasonal[i % period]
            case .multiplicative: return base * seasonal[i % period]
            }
        }
    }

    /// The forecast error's weights on future innovations: y(n+j) - forecast = e(n+j) + sum over
    /// i < j of c(i) e(n+j-i), with c(i) = alpha + beta x (i, or phi + ... + phi^i when damped)
    /// + gamma when i is a whole number of seasons. Exact for the linear models, a first-order
    /// approximation for the multiplicative season.
    func innovationWeights(_ h: Int) -> [Double] {
        trendMultipliers(h - 1).enumerated().map { k, damp in
            alpha + beta * damp + (season != .none && (k + 1) % period == 0 ? gamma : 0)
        }
    }

    /// Variance of each of the next `h` forecasts.
    public func forecastVariances(_ h: Int) -> [Double] {
        let c = innovationWeights(h)
        var sum = 0.0
        return (0..<h).map { j in
            if j > 0 { sum += c[j - 1] * c[j - 1] }
            return variance * (1 + sum)
        }
    }

    /// Variance of the sum of the next `h` values, for each h from 1 to `horizon`: the innovation
    /// e(n+k) enters the sum with weight 1 + c(1) + ... + c(h-k).
    public func cumulativeVariances(_ horizon: Int) -> [Double] {
        let c = innovationWeights(horizon)
        var prefix = [0.0]
        for w in c { prefix.append(prefix.last! + w) }
        var sums: [Double] = []
        for h in 1..<(horizon + 1) {
            var total = 0.0
            for k in 1...h {
                let w: Double = 1 + prefix[h - k]
                total += w * w
            }
            sums.append(variance * total)
        }
        return sums
    }

    // MARK: Fitting

    /// Runs the recursions from initial states; returns the sum of squared errors (infinite when
    /// a state leaves its domain) and the final states.
    static func filter(
        _ y: [Double], trend: Trend, season: Season, period m: Int, alpha: Double, beta: Double, gamma: Double,
        phi: Double, level l0: Double, slope b0: Double, seasonal s0: [Double]
    ) -> (sse: Double, level: Double, slope: Double, seasonal: [Double]) {
        var l = l0
        var b = b0
        var s = s0
        var sse = 0.0
        for t in y.indices {
            let k = season == .none ? 0 : t % m
            let sPrev = season == .none ? 0 : s[k]
            let damped: Double =
                switch trend {
                case .none: 0
                case .additive: b
                case .damped: phi * b
                }
            let base = l + damped
            let fitted: Double =
                switch season {
                case .none: base
                case .additive: base + sPrev
                case .multiplicative: base * sPrev
                }
            let e = y[t] - fitted
            sse += e * e
            switch season {
            case .none, .additive:
                l = base + alpha * e
                b = damped + beta * e
                if season == .additive { s[k] = sPrev + gamma * e }
            case .multiplicative:
                guard sPrev > 1e-6, abs(base) > 1e-9 else { return (.infinity, l, b, s) }
                l = base + alpha * e / sPrev
                b = damped + beta * e / sPrev
                s[k] = sPrev + gamma * e / base
            }
            if !sse.isFinite { return (.infinity, l, b, s) }
        }
        // Rotate so that seasonal[0] applies to the period after the last observation.
        if season != .none {
            let next = y.count % m
            s = Array(s[next...] + s[..<next])
        }
        return (sse, l, b, s)
    }

    /// Fits one model, or nil when the series is too short for it (or not positive for a
    /// multiplicative season).
    public static func fit(_ y: [Double], trend: Trend, season: Season, period: Int) -> ExponentialSmoothing? {
        let m = season == .none ? 1 : period
        let n = y.count
        if season != .none && (m < 2 || n < 2 * m + 2) { return nil }
        if season == .multiplicative && y.contains(where: { $0 <= 0 }) { return nil }
        // Initial states: seasonal from the first two seasons around their mean, level and slope
        // from the seasonally adjusted start.
        var s0 = [Double](repeating: season == .multiplicative ? 1 : 0, count: m)
        if season != .none {
            let mean = y[0..<2 * m].reduce(0, +) / Double(2 * m)
            let slope = (y[m..<2 * m].reduce(0, +) - y[0..<m].reduce(0, +)) / Double(m * m)
            for i in 0..<m {
                let trendAt = { (t: Int) in mean + slope * (Double(t) - Double(2 * m - 1) / 2) }
                let a = y[i], c = y[i + m]
                s0[i] =
                    season == .additive
                    ? ((a - trendAt(i)) + (c - trendAt(i + m))) / 2
                    : ((a / max(trendAt(i), 1e-9)) + (c / max(trendAt(i + m), 1e-9))) / 2
            }
            let centre = s0.reduce(0, +) / Double(m)
            s0 = s0.map { season == .additive ? $0 - centre : $0 / max(centre, 1e-9) }
        }
        let adjusted = y.enumerated().map { t, v in
            season == .none ? v : season == .additive ? v - s0[t % m] : v / s0[t % m]
        }
        let head = Array(adjusted.prefix(max(2, min(n, m == 1 ? 4 : m))))
        let l0 = head.reduce(0, +) / Double(head.count)
        let b0 = trend == .none ? 0 : (head.count > 1 ? (head.last! - head.first!) / Double(head.count - 1) : 0)
        let scale = max(1e-6, y.map(abs).reduce(0, +) / Double(n))

        // Unconstrained coordinates: logits of alpha, beta / alpha, gamma / (1 - alpha),
        // (phi - 0.8) / 0.18, and the initial level and slope in units of the series' scale.
        func sigmoid(_ u: Double) -> Double { 1 / (1 + exp(-u)) }
        func params(_ u: [Double]) -> (Double, Double, Double, Double, Double, Double) {
            let alpha = 0.0001 + 0.9998 * sigmoid(u[0])
            let beta = trend == .none ? 0 : alpha * 0.9999 * sigmoid(u[1])
            let gamma = season == .none ? 0 : (1 - alpha) * 0.9999 * sigmoid(u[2])
            let phi = trend == .damped ? 0.8 + 0.18 * sigmoid(u[3]) : 1
            return (alpha, beta, gamma, phi, l0 + u[4] * scale, b0 + u[5] * scale)
        }
        func objective(_ u: [Double]) -> Double {
            let (a, b, g, p, l, sl) = params(u)
            return filter(
                y, trend: trend, season: season, period: m, alpha: a, beta: b, gamma: g, phi: p, level: l, slope: sl,
                seasonal: s0
            ).sse
        }
        var start = [-1.0, -1.5, -2.0, 1.0, 0, 0]
        // Keep unused coordinates fixed by giving them no simplex step.
        var steps = [1.0, trend == .none ? 0 : 1, season == .none ? 0 : 1, trend == .damped ? 1 : 0, 0.2, 0]
        if trend != .none { steps[5] = 0.05 }
        start = NelderMead.minimize(objective, start: start, steps: steps, iterations: 400)
        let (a, b, g, p, l, sl) = params(start)
        let run = filter(
            y, trend: trend, season: season, period: m, alpha: a, beta: b, gamma: g, phi: p, level: l, slope: sl,
            seasonal: s0)
        guard run.sse.isFinite else { return nil }
        var model = ExponentialSmoothing(
            trend: trend, season: season, period: m, alpha: a, beta: b, gamma: g, phi: p, level: run.level,
            slope: run.slope, seasonal: run.seasonal, variance: 0, aicc: 0)
        let k = Double(model.parameterCount)
        let nd = Double(n)
        guard nd - k - 1 > 0 else { return nil }
        let sigma2 = max(run.sse / nd, 1e-12)
        model.variance = run.sse / max(1, nd - k + 1)
        model.aicc = nd * log(sigma2) + nd * (1 + log(2 * .pi)) + 2 * k + 2 * k * (k + 1) / (nd - k - 1)
        return model
    }

    /// The model with the lowest AICc over trend {N, A, Ad} x season {N, A, M} (seasonal ones only
    /// when there are two whole seasons and `period` > 1); nil when the series is too short for any.
    public static func auto(_ y: [Double], period: Int) -> ExponentialSmoothing? {
        var best: ExponentialSmoothing?
        for season in Season.allCases where season == .none || period > 1 {
            for trend in Trend.allCases {
                guard let m = fit(y, trend: trend, season: season, period: period) else { continue }
                if best == nil || m.aicc < best!.aicc - 1e-9 { best = m }
            }
        }
        return best
    }
}

/// Seasonal naive: each future period repeats the same period one season before (the last value
/// when the series is shorter than a season), with the variance of the seasonal differences.
public struct SeasonalNaive: Sendable, Codable, Hashable {
    public var lastSeason: [Double]
    public var variance: Double

    public init(_ y: [Double], period: Int) {
        let m = max(1, y.count >= period ? period : 1)
        lastSeason = Array(y.suffix(m))
        let diffs = y.count > m ? (m..<y.count).map { y[$0] - y[$0 - m] } : [0]
        variance = diffs.reduce(0) { $0 + $1 * $1 } / Double(diffs.count)
    }

    public func forecast(_ h: Int) -> [Double] {
        lastSeason.isEmpty ? Array(repeating: 0, count: h) : (0..<h).map { lastSeason[$0 % lastSeason.count] }
    }

    /// Variance of each forecast: one more season of accumulated differences per whole season ahead.
    public func forecastVariances(_ h: Int) -> [Double] {
        (0..<h).map { variance * Double(1 + $0 / max(1, lastSeason.count)) }
    }
}

/// Derivative-free minimisation (Nelder and Mead, 1965) with the standard coefficients; a
/// coordinate with step 0 stays where it starts.
enum NelderMead {
    static func minimize(_ f: ([Double]) -> Double, start: [Double], steps: [Double], iterations: Int) -> [Double] {
        let active = steps.indices.filter { steps[$0] != 0 }
        guard !active.isEmpty else { return start }
        func point(_ v: [Double]) -> [Double] {
            var p = start
            for (k, i) in active.enumerated() { p[i] = v[k] }
            return p
        }
        let d = active.count
        var simplex: [[Double]] = [active.map { start[$0] }]
        for k in 0..<d {
            var v = simplex[0]
            v[k] += steps[active[k]]
            simplex.append(v)
        }
        var values = simplex.map { f(point($0)) }
        for _ in 0..<iterations {
            let order = values.indices.sorted { values[$0] < values[$1] }
            simplex = order.map { simplex[$0] }
            values = order.map { values[$0] }
            if abs(values[d] - values[0]) <= 1e-10 * (abs(values[0]) + 1e-12) { break }
            var centroid = [Double](repeating: 0, count: d)
            for v in simplex.prefix(d) { for k in 0..<d { centroid[k] += v[k] / Double(d) } }
            func along(_ t: Double) -> [Double] { (0..<d).map { centroid[$0] + t * (simplex[d][$0] - centroid[$0]) } }
            let reflected = along(-1)
            let fr = f(point(reflected))
            if fr < values[0] {
                let expanded = along(-2)
                let fe = f(point(expanded))
                (simplex[d], values[d]) = fe < fr ? (expanded, fe) : (reflected, fr)
            } else if fr < values[d - 1] {
                (simplex[d], values[d]) = (reflected, fr)
            } else {
                let contracted = fr < values[d] ? along(-0.5) : along(0.5)
                let fc = f(point(contracted))
                if fc < min(fr, values[d]) {
                    (simplex[d], values[d]) = (contracted, fc)
                } else {
                    for i in 1...d {
                        simplex[i] = (0..<d).map { simplex[0][$0] + 0.5 * (simplex[i][$0] - simplex[0][$0]) }
                        values[i] = f(point(simplex[i]))
                    }
                }
            }
        }
        let best = values.indices.min { values[$0] < values[$1] }!
        return point(simplex[best])
    }
}

/// The standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9).
public func normalQuantile(_ p: Double) -> Double {
    let a = [
        -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
        -3.066479806614716e+01, 2.506628277459239e+00,
    ]
    let b = [
        -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
        -1.328068155288572e+01,
    ]
    let c = [
        -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
        4.374664141464968e+00, 2.938163982698783e+00,
    ]
    let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
    let p = min(max(p, 1e-12), 1 - 1e-12)
    if p < 0.02425 {
        let q = (-2 * log(p)).squareRoot()
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
            / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    }
    if p > 1 - 0.02425 { return -normalQuantile(1 - p) }
    let q = p - 0.5
    let r = q * q
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
        / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
}
