import Foundation
public import PromoCore
public import PromoDSL
public import PromoPlugins

/// The built-in recommender (`runtime: { builtin: ALSRecommender }`), role `recommend`: ALS,
/// item-kNN or popularity (setting `algorithm`) trained on who bought what.
public struct ALSRecommender: Recommender {
    public static let builtinName = "ALSRecommender"
    public static let snapshotFormat = 1

    struct State: Codable, Hashable {
        var model: RecommendationModel
        var customers: [String]
        var skus: [String]
        var start: [Int]
        var bought: [Int32]
    }

    public let algorithm: String
    let factors: Int
    let iterations: Int
    let regularization: Float
    let alpha: Float
    let neighbours: Int
    let excludeBought: Bool
    let seed: UInt64
    var state: State?
    var customerIndex: [String: Int] = [:]
    var skuIndex: [String: Int] = [:]

    public init(settings: [String: String]) {
        func number(_ k: String, _ d: Double) -> Double { settings[k].flatMap(Double.init) ?? d }
        algorithm = settings["algorithm"] ?? "als"
        factors = max(1, Int(number("factors", 64)))
        iterations = max(1, Int(number("iterations", 15)))
        regularization = Float(number("regularization", 0.01))
        alpha = Float(number("alpha", 1))
        neighbours = max(1, Int(number("neighbours", 100)))
        excludeBought = settings["exclude_bought"] != "false"
        seed = UInt64(number("seed", 42))
    }

    /// Fits the configured algorithm on an interaction matrix.
    public func fit(_ data: Interactions) -> RecommendationModel {
        switch algorithm {
        case "item_knn": .itemKNN(data, k: neighbours)
        case "popularity": .popularity(data)
        default:
            .als(
                data, factors: factors, iterations: iterations, regularization: regularization, alpha: alpha, seed: seed
            )
        }
    }

    public func train(on store: StoreData) async throws -> ModelSnapshot {
        let customers = Array(Set(store.orders.map(\.customerID))).sorted()
        let skus = Array(Set(store.catalog.map(\.sku)).union(store.orders.map(\.sku))).sorted()
        var ci: [String: Int] = [:]
        for (k, c) in customers.enumerated() { ci[c] = k }
        var si: [String: Int] = [:]
        for (k, s) in skus.enumerated() { si[s] = k }
        let data = Interactions(
            users: customers.count, items: skus.count,
            triples: store.orders.map { (ci[$0.customerID]!, si[$0.sku]!, Float($0.quantity)) })
        let state = State(
            model: fit(data), customers: customers, skus: skus, start: data.userStart, bought: data.userItems)
        return try .encoding(state, by: Self.self)
    }

    public mutating func load(_ snapshot: ModelSnapshot) throws {
        let s = try snapshot.decoding(State.self, by: Self.self)
        state = s
        customerIndex = Dictionary(uniqueKeysWithValues: s.customers.enumerated().map { ($1, $0) })
        skuIndex = Dictionary(uniqueKeysWithValues: s.skus.enumerated().map { ($1, $0) })
    }

    /// Scores of every item for a customer (popularity's for one the model has not seen), and what they bought.
    func scored(_ customerID: String) -> (scores: [Float], bought: ArraySlice<Int32>)? {
        guard let s = state else { return nil }
        let u = customerIndex[customerID] ?? -1
        let bought = u >= 0 ? s.bought[s.start[u]..<s.start[u + 1]] : []
        if u < 0, case .als = s.model {
            // A customer the model has not seen: fall back to how many bought each item.
            var counts = [Float](repeating: 0, count: s.skus.count)
            for i in s.bought { counts[Int(i)] += 1 }
            return (counts, bought)
        }
        return (s.model.scores(user: u, bought: bought, items: s.skus.count), bought)
    }

    /// 0 to 1: the score over the customer's best score (clamped at 0).
    public func score(customerID: String, skus: [String]) -> [Double?] {
        guard let (scores, _) = scored(customerID) else { return skus.map { _ in nil } }
        let best = max(scores.max() ?? 0, 1e-9)
        return skus.map { sku in skuIndex[sku].map { Double(max(0, scores[$0]) / best) } }
    }

    /// 1 is best; bought items rank after all others when `exclude_bought` is on.
    public func rank(customerID: String, skus: [String]) -> [Double?] {
        guard let (scores, bought) = scored(customerID) else { return skus.map { _ in nil } }
        let excluded = excludeBought ? Set(bought) : []
        return skus.map { sku in
            guard let i = skuIndex[sku] else { return nil }
            let s = scores[i]
            var better = 0
            for (j, t) in scores.enumerated() where j != i && !excluded.contains(Int32(j)) {
                if t > s || (t == s && j < i) { better += 1 }
            }
            return Double(better + 1) + (excluded.contains(Int32(i)) ? Double(scores.count) : 0)
        }
    }

    public func top(customerID: String, k: Int) -> [String]? {
        guard let s = state, let (scores, bought) = scored(customerID) else { return nil }
        return RankingMetrics.top(scores, k: max(0, k), excluding: excludeBought ? Set(bought) : []).map { s.skus[$0] }
    }

    public func predict(_ request: PredictRequest) throws -> [[Value?]] {
        try request.calls.map { call -> [Value?] in
            switch call.function {
            case "score": return score(customerID: request.customerID, skus: request.skus).map { $0.map(Value.number) }
            case "rank": return rank(customerID: request.customerID, skus: request.skus).map { $0.map(Value.number) }
            case "top":
                guard case .number(let k)? = call.arguments["k"] else {
                    throw PluginFault(.badValue, "top needs k (number)")
                }
                return [top(customerID: request.customerID, k: Int(k)).map { .list($0.map(Value.string)) }]
            default: throw PluginFault(.pluginError, "\(Self.builtinName) does not serve '\(call.function)'")
            }
        }
    }
}
