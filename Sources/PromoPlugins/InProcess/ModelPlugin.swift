import Crypto
public import Foundation
public import PromoCore
public import PromoDSL

/// One batch of predictions asked of a plugin: for one customer and the decision's items, a
/// column per call. Per-customer calls have one row; per-item calls one row per item.
public struct PredictRequest: Sendable, Hashable {
    public struct Call: Sendable, Hashable {
        /// The function's name in the manifest (`demand`, not `forecast.demand`).
        public var function: String
        /// Arguments other than the item, by the manifest's parameter names.
        public var arguments: [String: Value]
        public var perItem: Bool

        public init(function: String, arguments: [String: Value] = [:], perItem: Bool) {
            self.function = function
            self.arguments = arguments
            self.perItem = perItem
        }
    }

    public var customerID: String
    public var skus: [String]
    public var calls: [Call]

    public init(customerID: String, skus: [String], calls: [Call]) {
        self.customerID = customerID
        self.skus = skus
        self.calls = calls
    }

    public func rows(_ c: Int) -> Int { calls[c].perItem ? skus.count : 1 }
}

/// A model plugin that runs in the engine's process: the contract every role protocol refines.
///
/// Contract (checked by `PluginConformance` in PromoTesting):
/// - `train(on:)` is deterministic for the same store and settings (seed any randomness from
///   `settings`), and succeeds on an empty store (predictions are then missing, not invented).
/// - `load(_:)` accepts what `train` returned, and rejects a snapshot of another plugin or format
///   with `SnapshotError` naming both.
/// - `predict(_:)` answers one column per call with `rows(c)` values, nil where it has no value;
///   a batch answers what the same queries answer one by one.
///
/// ```swift
/// var model = MovingAverageForecaster(settings: [:])
/// let snapshot = try await model.train(on: store)
/// try model.load(snapshot)
/// let columns = try model.predict(PredictRequest(customerID: "c1", skus: ["A"], calls: [.init(function: "days_of_cover", perItem: true)]))
/// ```
public protocol ModelPlugin: Sendable {
    /// The name manifests use in `runtime: { builtin: <name> }`.
    static var builtinName: String { get }
    /// The snapshot format this build reads and writes; bump it when the snapshot's shape changes.
    static var snapshotFormat: Int { get }

    /// A fresh, untrained plugin with the manifest's settings (defaults filled in).
    init(settings: [String: String])
    func train(on store: StoreData) async throws -> ModelSnapshot
    mutating func load(_ snapshot: ModelSnapshot) throws
    func predict(_ request: PredictRequest) throws -> [[Value?]]
    /// Learns from outcomes the service reports (the same objects a stdio plugin's `feedback`
    /// receives) and returns the snapshot of the updated model, which the registry saves as the
    /// new current version. Plugins that do not learn online keep the default, which refuses.
    mutating func feedback(_ outcomes: [JSON]) throws -> ModelSnapshot
}

extension ModelPlugin {
    public mutating func feedback(_ outcomes: [JSON]) throws -> ModelSnapshot {
        throw PluginFault(.refused, "\(Self.builtinName) takes no feedback; retrain it with `promo train`")
    }
}

/// Manifest settings reach in-process plugins as text (`"80%"`, `"28d"`, `"42"`).
public enum SettingText {
    /// A percent setting as a fraction: `"80%"` (or `"80"`) is 0.8; nil when absent or not a number.
    public static func fraction(_ text: String?) -> Double? {
        guard let text else { return nil }
        return Double(text.hasSuffix("%") ? String(text.dropLast()) : text).map { $0 / 100 }
    }
}

/// `forecast`: expected demand per item.
public protocol ForecastModel: ModelPlugin {
    /// Expected units sold over `horizon` seconds, per sku.
    func demand(skus: [String], horizon: Int64) -> [Double?]
    /// Stock divided by expected daily demand, per sku.
    func daysOfCover(skus: [String]) -> [Double?]
    /// An interval around `demand` (`demand_low`, `demand_high`); none by default.
    func demandInterval(skus: [String], horizon: Int64) -> [(low: Double, high: Double)?]
}

extension ForecastModel {
    public func demandInterval(skus: [String], horizon: Int64) -> [(low: Double, high: Double)?] {
        skus.map { _ in nil }
    }

    public func predict(_ request: PredictRequest) throws -> [[Value?]] {
        try request.calls.map { try forecastColumn($0, skus: request.skus) }
    }

    /// The column of one of the role's functions (`demand`, `demand_low`, `demand_high`,
    /// `days_of_cover`); a forecaster serving more answers its own and hands the rest here.
    public func forecastColumn(_ call: PredictRequest.Call, skus: [String]) throws -> [Value?] {
        func horizon() throws -> Int64 {
            guard case .duration(let h)? = call.arguments["horizon"], h >= 0 else {
                throw PluginFault(.badValue, "\(call.function) needs a horizon (a duration of at least 0)")
            }
            return h
        }
        switch call.function {
        case "demand": return demand(skus: skus, horizon: try horizon()).map { $0.map(Value.number) }
        case "demand_low":
            return demandInterval(skus: skus, horizon: try horizon()).map { $0.map { .number($0.low) } }
        case "demand_high":
            return demandInterval(skus: skus, horizon: try horizon()).map { $0.map { .number($0.high) } }
        case "days_of_cover": return daysOfCover(skus: skus).map { $0.map(Value.number) }
        default: throw PluginFault(.pluginError, "\(Self.builtinName) does not serve '\(call.function)'")
        }
    }
}

/// `recommend`: affinity of a customer for items.
public protocol Recommender: ModelPlugin {
    func score(customerID: String, skus: [String]) -> [Double?]
    func rank(customerID: String, skus: [String]) -> [Double?]
}

extension Recommender {
    public func predict(_ request: PredictRequest) throws -> [[Value?]] {
        try request.calls.map { call -> [Value?] in
            switch call.function {
            case "score": return score(customerID: request.customerID, skus: request.skus).map { $0.map(Value.number) }
            case "rank": return rank(customerID: request.customerID, skus: request.skus).map { $0.map(Value.number) }
            default: throw PluginFault(.pluginError, "\(Self.builtinName) does not serve '\(call.function)'")
            }
        }
    }
}

/// `pricing`: discounts and prices per item.
public protocol PricingModel: ModelPlugin {
    /// Parts per million (100_000 is 10%).
    func discount(skus: [String]) -> [Int64?]
    /// Minor units.
    func price(skus: [String]) -> [Int64?]
}

extension PricingModel {
    public func predict(_ request: PredictRequest) throws -> [[Value?]] {
        try request.calls.map { call -> [Value?] in
            switch call.function {
            case "discount": return discount(skus: request.skus).map { $0.map(Value.percent) }
            case "price": return price(skus: request.skus).map { $0.map(Value.money) }
            default: throw PluginFault(.pluginError, "\(Self.builtinName) does not serve '\(call.function)'")
            }
        }
    }
}

/// `profile`: customer fields (`customer.segment`).
public protocol CustomerProfiler: ModelPlugin {
    func profile(customerID: String, field: String) -> Value?
}

extension CustomerProfiler {
    public func predict(_ request: PredictRequest) throws -> [[Value?]] {
        request.calls.map { [profile(customerID: request.customerID, field: $0.function)] }
    }
}

/// `uplift`: incremental purchase probability of an offer.
public protocol UpliftModel: ModelPlugin {
    func score(customerID: String) -> Double?
    func propensity(customerID: String) -> Double?
}

extension UpliftModel {
    public func predict(_ request: PredictRequest) throws -> [[Value?]] {
        try request.calls.map { call -> [Value?] in
            switch call.function {
            case "score": return [score(customerID: request.customerID).map(Value.number)]
            case "propensity": return [propensity(customerID: request.customerID).map(Value.number)]
            default: throw PluginFault(.pluginError, "\(Self.builtinName) does not serve '\(call.function)'")
            }
        }
    }
}

// MARK: - Snapshots

/// A trained model as bytes, with what it is: the plugin, the snapshot format and a version that
/// decisions name. Stored as `<models>/<plugin>/<version>/` (`snapshot.json` + `payload`).
public struct ModelSnapshot: Sendable, Hashable {
    public var plugin: String
    public var format: Int
    public var payload: Data
    /// Seconds since 1970.
    public var createdAt: Int64

    public init(plugin: String, format: Int, payload: Data, createdAt: Int64 = Int64(Date().timeIntervalSince1970)) {
        self.plugin = plugin
        self.format = format
        self.payload = payload
        self.createdAt = createdAt
    }

    /// `<format>.<first 10 hex digits of SHA-256(payload)>`: the same training data and settings
    /// give the same version.
    public var version: String {
        let digest = SHA256.hash(data: payload).map { String(format: "%02x", $0) }.joined()
        return "\(format).\(digest.prefix(10))"
    }

    /// A snapshot of a `Codable` model state.
    public static func encoding<T: Encodable, P: ModelPlugin>(_ state: T, by: P.Type) throws -> ModelSnapshot {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return ModelSnapshot(plugin: P.builtinName, format: P.snapshotFormat, payload: try encoder.encode(state))
    }

    /// The model state, after checking that the snapshot is this plugin's, in this format.
    public func decoding<T: Decodable, P: ModelPlugin>(_ type: T.Type, by: P.Type) throws(SnapshotError) -> T {
        guard plugin == P.builtinName else {
            throw SnapshotError("the snapshot is of \(plugin), not \(P.builtinName)")
        }
        guard format == P.snapshotFormat else {
            throw SnapshotError(
                "the snapshot of \(plugin) has format \(format); this build reads format \(P.snapshotFormat): retrain with `promo train`"
            )
        }
        do {
            return try JSONDecoder().decode(T.self, from: payload)
        } catch {
            throw SnapshotError("the snapshot of \(plugin) is damaged: \(error)")
        }
    }
}

/// A snapshot that cannot be loaded, with why.
public struct SnapshotError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
