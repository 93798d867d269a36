import Foundation
public import PromoCore
public import PromoDSL
public import PromoPlugins

/// The moving-average demand forecast, in process: the same model as the Python reference plugin
/// (`plugins/python-moving-average`), so the two paths can be compared value for value.
///
/// Trained on `orders` and `catalog`: per sku, the units sold each day over the `window` days
/// ending on the day of the last order; mean `m` and sample standard deviation `s` of those days.
/// `demand(item, h)` is `m * h` (h in days); the interval is `m*h ± z*s*sqrt(h)` (low floored at
/// 0); `days_of_cover(item)` is stock / m, capped at 3650 (3650 when nothing sold but stock is left).
public struct MovingAverageForecaster: ForecastModel {
    public static let builtinName = "MovingAverageForecaster"
    public static let snapshotFormat = 1

    struct State: Codable, Hashable {
        var windowDays: Int
        var z: Double
        /// Per sku: mean and standard deviation of daily units.
        var mean: [String: Double]
        var sd: [String: Double]
        var stock: [String: Int]
    }

    let windowDays: Int
    let z: Double
    var state: State?

    public init(settings: [String: String]) {
        let window = settings["window"].flatMap(DurationValue.parse)?.seconds ?? 28 * 86_400
        windowDays = max(1, Int(window / 86_400))
        z = settings["z"].flatMap(Double.init) ?? 1.2816
    }

    public func train(on store: StoreData) async throws -> ModelSnapshot {
        var state = State(windowDays: windowDays, z: z, mean: [:], sd: [:], stock: [:])
        for item in store.catalog { state.stock[item.sku] = item.stock }
        guard let last = store.orders.map(\.time).max() else { return try .encoding(state, by: Self.self) }
        let lastDay = Int(floorDiv(last, 86_400))
        let firstDay = lastDay - windowDays + 1
        var daily: [String: [Double]] = [:]
        for sku in Set(store.catalog.map(\.sku)).union(store.orders.map(\.sku)) {
            daily[sku] = Array(repeating: 0, count: windowDays)
        }
        for o in store.orders {
            let day = Int(floorDiv(o.time, 86_400))
            guard day >= firstDay, day <= lastDay else { continue }
            daily[o.sku]![day - firstDay] += Double(o.quantity)
        }
        for (sku, days) in daily {
            let m = days.reduce(0, +) / Double(windowDays)
            let variance =
                windowDays > 1 ? days.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(windowDays - 1) : 0
            state.mean[sku] = m
            state.sd[sku] = variance.squareRoot()
        }
        return try .encoding(state, by: Self.self)
    }

    public mutating func load(_ snapshot: ModelSnapshot) throws {
        state = try snapshot.decoding(State.self, by: Self.self)
    }

    public func demand(skus: [String], horizon: Int64) -> [Double?] {
        let h = Double(horizon) / 86_400
        return skus.map { sku in state?.mean[sku].map { $0 * h } }
    }

    public func demandInterval(skus: [String], horizon: Int64) -> [(low: Double, high: Double)?] {
        let h = Double(horizon) / 86_400
        return skus.map { sku in
            guard let state, let m = state.mean[sku], let s = state.sd[sku] else { return nil }
            let half = state.z * s * h.squareRoot()
            return (max(0, m * h - half), m * h + half)
        }
    }

    public func daysOfCover(skus: [String]) -> [Double?] {
        skus.map { sku in
            guard let state, let m = state.mean[sku] else { return nil }
            let stock = Double(state.stock[sku] ?? 0)
            if m <= 0 { return stock > 0 ? 3650 : 0 }
            return min(3650, stock / m)
        }
    }
}

private func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
