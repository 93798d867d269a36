import Foundation
public import PromoCore
public import PromoPlugins

/// The built-in demand forecast (`runtime: { builtin: DemandForecaster }`).
///
/// Training builds one weekly series per sku (from `sales` when the store has them, summed over
/// locations, else from `orders`; weeks end on the last day with data) and then:
/// - series whose price varies (standard deviation of log price above 1%) get the pooled,
///   promotion-aware ridge model (`PromotionDemandModel`, elasticity and promotion effects per
///   category, penalty chosen on the last 4 weeks);
/// - the others get exponential smoothing chosen by AICc (`ExponentialSmoothing.auto`, season of
///   `season` periods when two whole seasons exist), or seasonal naive when no ETS model fits.
/// The snapshot holds, per sku, 52 weekly forecasts at the catalog price without promotion, the
/// variance of their running sums, and the elasticity used by `demand_at_price` (the ridge model's
/// at the list price; for the others the median over ridge items, or -2 when there is none).
public struct DemandForecaster: ForecastModel {
    public static let builtinName = "DemandForecaster"
    public static let snapshotFormat = 1

    public struct ItemForecast: Codable, Hashable, Sendable {
        /// "ridge", "ETS(A,Ad,N)", "seasonal naive".
        public var method: String
        /// Expected units in each of the next 52 weeks.
        public var weekly: [Double]
        /// Variance of the units over the first 1, 2, ... 52 weeks.
        public var cumulativeVariance: [Double]
        public var elasticity: Double
        public var listPrice: Int64
        public var stock: Int
    }

    struct State: Codable, Hashable {
        var items: [String: ItemForecast]
    }

    static let weeksAhead = 52
    let season: Int
    let level: Double
    var state: State?

    public init(settings: [String: String]) {
        season = max(1, Int(settings["season"].flatMap(Double.init) ?? 52))
        level = min(0.999, max(0.01, SettingText.fraction(settings["level"]) ?? 0.8))
    }

    // MARK: Training

    /// Weekly series per sku: units, average paid price (the list price in weeks without sales)
    /// and whether any unit was sold on promotion.
    static func weeklySeries(_ store: StoreData) -> [WeeklySeries] {
        let week: Int64 = 7 * 86_400
        let list = Dictionary(store.catalog.map { ($0.sku, $0.price) }, uniquingKeysWith: { a, _ in a })
        let category = Dictionary(store.catalog.map { ($0.sku, $0.category) }, uniquingKeysWith: { a, _ in a })
        var units: [String: [Int: Double]] = [:]
        var paid: [String: [Int: Double]] = [:]
        var promoted: [String: Set<Int>] = [:]
        let last: Int64
        if !store.sales.isEmpty {
            last = store.sales.map(\.periodStart).max()! + week
            for s in store.sales {
                let k = Int((last - 1 - s.periodStart) / week)
                units[s.sku, default: [:]][k, default: 0] += s.units
                paid[s.sku, default: [:]][k, default: 0] += s.units * Double(s.price)
                if s.promoted { promoted[s.sku, default: []].insert(k) }
            }
        } else if let lastOrder = store.orders.map(\.time).max() {
            last = (lastOrder / 86_400 + 1) * 86_400  // the end of the last day with an order
            for o in store.orders {
                let k = Int((last - 1 - o.time) / week)
                let q = Double(o.quantity)
                units[o.sku, default: [:]][k, default: 0] += q
                paid[o.sku, default: [:]][k, default: 0] += Double(o.unitPrice) * q - Double(o.discount)
                if o.discount > 0 || o.promotionID != nil { promoted[o.sku, default: []].insert(k) }
            }
        } else {
            return []
        }
        // Weeks back from the end: k = 0 is the last week. Every series spans the store's weeks.
        let count = 1 + (units.values.flatMap(\.keys).max() ?? 0)
        let skus = Set(list.keys).union(units.keys).sorted()
        return skus.map { sku in
            var s = WeeklySeries(item: sku, location: "all")
            s.group = category[sku].flatMap { $0.isEmpty ? nil : $0 } ?? sku
            let u = units[sku] ?? [:]
            let fallbackPrice = Double(list[sku] ?? 0)
            for k in stride(from: count - 1, through: 0, by: -1) {
                let q = u[k] ?? 0
                let price = q > 0 ? (paid[sku]![k]! / q) : fallbackPrice
                s.periods.append(count - 1 - k)
                s.units.append(q)
                s.price.append(max(price, 1e-6))
                s.deal.append(promoted[sku]?.contains(k) == true ? 1 : 0)
                s.feature.append(0)
            }
            return s
        }
    }

    static func priceVaries(_ s: WeeklySeries) -> Bool {
        let logs = s.price.map(log)
        let mean = logs.reduce(0, +) / Double(max(1, logs.count))
        let sd = (logs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, logs.count))).squareRoot()
        return sd > 0.01 && s.units.count >= 16 && s.units.contains { $0 > 0 }
    }

    public func train(on store: StoreData) async throws -> ModelSnapshot {
        let series = Self.weeklySeries(store)
        let catalog = Dictionary(store.catalog.map { ($0.sku, $0) }, uniquingKeysWith: { a, _ in a })
        var items: [String: ItemForecast] = [:]
        let priced = series.filter(Self.priceVaries)
        var elasticities: [Double] = []
        if !priced.isEmpty {
            let validation = min(4, max(1, priced[0].units.count / 8))
            let model = PromotionDemandModel.fit(priced, validation: validation, heldOut: 0)
            let v = model.residualVariance
            for var s in priced {
                let n = s.units.count
                let list = Double(catalog[s.item]?.price ?? 0) > 0 ? Double(catalog[s.item]!.price) : s.price[n - 1]
                for k in 0..<Self.weeksAhead {
                    s.periods.append(s.periods[n - 1] + 1 + k)
                    s.units.append(0)
                    s.price.append(list)
                    s.deal.append(0)
                    s.feature.append(0)
                }
                let mu = model.forecastLog(s, origin: n, horizon: Self.weeksAhead)
                let weekly = mu.map { max(0, exp($0 + v / 2) - 1) }
                var running = 0.0
                let cumulative = mu.map { m in
                    running += (exp(v) - 1) * exp(2 * m + v)
                    return running
                }
                // Elasticity of units at the list price, from the model's response to a 10% rise.
                for t in n..<s.units.count { s.price[t] = list * 1.1 }
                let up = model.forecastLog(s, origin: n, horizon: 1)[0]
                let units1 = max(1e-9, exp(mu[0]) - 1)
                let e = (up - mu[0]) / log(1.1) * (units1 + 1) / units1
                elasticities.append(e)
                items[s.item] = ItemForecast(
                    method: "ridge", weekly: weekly, cumulativeVariance: cumulative, elasticity: e,
                    listPrice: Int64(list), stock: catalog[s.item]?.stock ?? 0)
            }
        }
        let sorted = elasticities.sorted()
        let prior = sorted.isEmpty ? -2 : sorted[sorted.count / 2]
        for s in series where items[s.item] == nil {
            let h = Self.weeksAhead
            var method = "seasonal naive"
            var weekly: [Double]
            var cumulative: [Double]
            if let ets = ExponentialSmoothing.auto(s.units, period: season) {
                method = ets.name
                weekly = ets.forecast(h).map { max(0, $0) }
                cumulative = ets.cumulativeVariances(h)
            } else {
                let naive = SeasonalNaive(s.units, period: season)
                weekly = naive.forecast(h)
                var running = 0.0
                cumulative = naive.forecastVariances(h).map {
                    running += $0
                    return running
                }
            }
            items[s.item] = ItemForecast(
                method: method, weekly: weekly, cumulativeVariance: cumulative, elasticity: prior,
                listPrice: catalog[s.item]?.price ?? Int64(s.price.last ?? 0), stock: catalog[s.item]?.stock ?? 0)
        }
        return try .encoding(State(items: items), by: Self.self)
    }

    public mutating func load(_ snapshot: ModelSnapshot) throws {
        state = try snapshot.decoding(State.self, by: Self.self)
    }

    // MARK: Serving

    /// Units over `days` (fractional weeks pro rata) and the variance of that sum.
    static func over(_ f: ItemForecast, days: Double) -> (mean: Double, variance: Double) {
        let weeks = max(0, days / 7)
        let whole = Int(weeks)
        let part = weeks - Double(whole)
        let n = f.weekly.count
        var mean = 0.0
        for k in 0..<min(whole, n) { mean += f.weekly[k] }
        if whole >= n {  // beyond the table: the last week's rate
            mean += Double(whole - n) * (f.weekly.last ?? 0) + part * (f.weekly.last ?? 0)
            let perWeek = n > 1 ? f.cumulativeVariance[n - 1] - f.cumulativeVariance[n - 2] : f.cumulativeVariance[0]
            return (mean, (f.cumulativeVariance.last ?? 0) + (weeks - Double(n)) * perWeek)
        }
        mean += part * f.weekly[whole]
        let below = whole > 0 ? f.cumulativeVariance[whole - 1] : 0
        return (mean, below + part * (f.cumulativeVariance[whole] - below))
    }

    public func demand(skus: [String], horizon: Int64) -> [Double?] {
        skus.map { sku in state?.items[sku].map { Self.over($0, days: Double(horizon) / 86_400).mean } }
    }

    public func interval(skus: [String], horizon: Int64, level: Double) -> [(low: Double, high: Double)?] {
        let z = normalQuantile(0.5 + min(0.999, max(0.01, level)) / 2)
        return skus.map { sku in
            guard let f = state?.items[sku] else { return nil }
            let (m, v) = Self.over(f, days: Double(horizon) / 86_400)
            return (max(0, m - z * v.squareRoot()), m + z * v.squareRoot())
        }
    }

    public func demandInterval(skus: [String], horizon: Int64) -> [(low: Double, high: Double)?] {
        interval(skus: skus, horizon: horizon, level: level)
    }

    public func daysOfCover(skus: [String]) -> [Double?] {
        skus.map { sku in
            guard let f = state?.items[sku] else { return nil }
            let daily = (f.weekly.first ?? 0) / 7
            if daily <= 1e-9 { return f.stock > 0 ? 3650 : 0 }
            return min(3650, Double(f.stock) / daily)
        }
    }

    /// Expected units a day in the coming week at `price` (minor units), from the log-linear
    /// response around the list price.
    public func demandAtPrice(skus: [String], price: Int64) -> [Double?] {
        skus.map { sku in
            guard let f = state?.items[sku] else { return nil }
            let daily = (f.weekly.first ?? 0) / 7
            guard f.listPrice > 0, price > 0 else { return daily }
            return daily * pow(Double(price) / Double(f.listPrice), f.elasticity)
        }
    }

    /// The method each sku's forecast comes from.
    public func method(skus: [String]) -> [String?] { skus.map { state?.items[$0]?.method } }

    public func predict(_ request: PredictRequest) throws -> [[Value?]] {
        try request.calls.map { call -> [Value?] in
            switch call.function {
            case "interval":
                guard case .duration(let h)? = call.arguments["horizon"], h >= 0,
                    case .percent(let ppm)? = call.arguments["level"], ppm > 0, ppm < 1_000_000
                else {
                    throw PluginFault(
                        .badValue, "interval needs a horizon (a duration of at least 0) and a level between 0% and 100%"
                    )
                }
                return interval(skus: request.skus, horizon: h, level: Double(ppm) / 1_000_000).map {
                    $0.map { .list([.number($0.low), .number($0.high)]) }
                }
            case "demand_at_price":
                guard case .money(let p)? = call.arguments["price"], p >= 0 else {
                    throw PluginFault(.badValue, "demand_at_price needs a price (an amount of money of at least 0)")
                }
                return demandAtPrice(skus: request.skus, price: p).map { $0.map(Value.number) }
            case "method": return method(skus: request.skus).map { $0.map(Value.string) }
            default: return try forecastColumn(call, skus: request.skus)
            }
        }
    }
}
