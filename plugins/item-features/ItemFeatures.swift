import Foundation
public import PromoCore
public import PromoDSL
public import PromoPlugins

/// Item features (`item.price_band`, `item.margin_band`, `item.popularity`,
/// `item.brand_price_band`, `item.pca_1..3`) computed from the catalog and who bought what.
public struct ItemFeatures: ModelPlugin {
    public static let builtinName = "ItemFeatures"
    public static let snapshotFormat = 1

    public struct Features: Codable, Hashable, Sendable {
        public var priceBand: String
        public var marginBand: String
        public var popularity: Double
        public var brandPriceBand: String
        public var pca: [Double]
    }

    struct State: Codable, Hashable {
        var features: [String: Features]
        /// Share of the variance each component explains.
        var explained: [Double]
    }

    let anchors: Int
    var state: State?

    public init(settings: [String: String]) {
        anchors = max(1, Int(settings["anchors"].flatMap(Double.init) ?? 50))
    }

    public var explainedVariance: [Double]? { state?.explained }

    public func features(_ sku: String) -> Features? { state?.features[sku] }

    static func band(_ value: Double, _ sorted: [Double]) -> String {
        guard sorted.count >= 3 else { return "mid" }
        let low = sorted[sorted.count / 3]
        let high = sorted[sorted.count * 2 / 3]
        return value < low ? "low" : (value >= high ? "high" : "mid")
    }

    public func train(on store: StoreData) async throws -> ModelSnapshot {
        let items = store.catalog.sorted { $0.sku < $1.sku }
        var index: [String: Int] = [:]
        for (k, it) in items.enumerated() { index[it.sku] = k }
        // Buyers per item and baskets per customer.
        var buyers = Array(repeating: Set<String>(), count: items.count)
        var baskets: [String: Set<Int>] = [:]
        for o in store.orders {
            guard let i = index[o.sku] else { continue }
            buyers[i].insert(o.customerID)
            baskets[o.customerID, default: []].insert(i)
        }
        let counts = buyers.map { Double($0.count) }
        let most = max(1, counts.max() ?? 1)
        var pricesByCategory: [String: [Double]] = [:]
        for it in items { pricesByCategory[it.category, default: []].append(Double(it.price)) }
        for k in pricesByCategory.keys { pricesByCategory[k]!.sort() }
        let margins = items.map { $0.price > 0 ? Double($0.price - $0.cost) / Double($0.price) : 0 }
        let sortedMargins = margins.sorted()
        // Vectors: co-purchase shares with the most-bought items, category and brand one-hots, log price.
        let anchorItems = counts.indices.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }.prefix(
            anchors)
        var co = Array(repeating: Array(repeating: 0.0, count: anchorItems.count), count: items.count)
        for basket in baskets.values {  // integer counts: the order does not matter
            for i in basket {
                for (a, j) in anchorItems.enumerated() where j != i && basket.contains(j) { co[i][a] += 1 }
            }
        }
        let categories = Array(Set(items.map(\.category))).sorted()
        let brands = Array(Set(items.map(\.brand))).sorted()
        var x: [[Double]] = []
        for (i, it) in items.enumerated() {
            var v = co[i].map { $0 / max(1, counts[i]) }
            v += categories.map { $0 == it.category ? 1 : 0 }
            v += brands.map { $0 == it.brand ? 1 : 0 }
            v.append(log(Double(max(1, it.price))))
            x.append(v)
        }
        let (scores, explained) = PCA.components(x, count: 3)
        var features: [String: Features] = [:]
        for (i, it) in items.enumerated() {
            let band = Self.band(Double(it.price), pricesByCategory[it.category]!)
            features[it.sku] = Features(
                priceBand: band, marginBand: Self.band(margins[i], sortedMargins), popularity: counts[i] / most,
                brandPriceBand: "\(it.brand):\(band)", pca: scores.isEmpty ? [] : scores[i])
        }
        return try .encoding(State(features: features, explained: explained), by: Self.self)
    }

    public mutating func load(_ snapshot: ModelSnapshot) throws {
        state = try snapshot.decoding(State.self, by: Self.self)
    }

    public func predict(_ request: PredictRequest) throws -> [[Value?]] {
        try request.calls.map { call -> [Value?] in
            try request.skus.map { sku -> Value? in
                guard let f = state?.features[sku] else { return nil }
                switch call.function {
                case "price_band": return .string(f.priceBand)
                case "margin_band": return .string(f.marginBand)
                case "popularity": return .number(f.popularity)
                case "brand_price_band": return .string(f.brandPriceBand)
                case "pca_1", "pca_2", "pca_3":
                    let k = Int(call.function.suffix(1))! - 1
                    return k < f.pca.count ? .number(f.pca[k]) : nil
                default: throw PluginFault(.pluginError, "\(Self.builtinName) does not serve '\(call.function)'")
                }
            }
        }
    }
}

/// Principal components by power iteration with deflation on the covariance matrix.
enum PCA {
    /// Each row's scores on the first `count` components (signs fixed so the largest loading is
    /// positive), and the share of variance each explains.
    static func components(_ x: [[Double]], count: Int) -> (scores: [[Double]], explained: [Double]) {
        guard let d = x.first?.count, x.count >= 2, d >= 1 else { return ([], []) }
        let n = Double(x.count)
        let mean = (0..<d).map { j in x.reduce(0) { $0 + $1[j] } / n }
        let centred = x.map { row in zip(row, mean).map { $0 - $1 } }
        var c = Array(repeating: Array(repeating: 0.0, count: d), count: d)
        for row in centred {
            for a in 0..<d where row[a] != 0 { for b in 0..<d { c[a][b] += row[a] * row[b] / (n - 1) } }
        }
        let total = (0..<d).reduce(0) { $0 + c[$1][$1] }
        var vectors: [[Double]] = []
        var explained: [Double] = []
        for _ in 0..<min(count, d) {
            var v = (0..<d).map { 1 / Double($0 + 1) }
            var lambda = 0.0
            for _ in 0..<500 {
                var w = (0..<d).map { a in (0..<d).reduce(0) { $0 + c[a][$1] * v[$1] } }
                let norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
                guard norm > 1e-12 else { break }
                w = w.map { $0 / norm }
                let change = zip(w, v).reduce(0) { $0 + abs($1.0 - $1.1) }
                v = w
                lambda = norm
                if change < 1e-10 { break }
            }
            if let big = v.indices.max(by: { abs(v[$0]) < abs(v[$1]) }), v[big] < 0 { v = v.map { -$0 } }
            vectors.append(v)
            explained.append(total > 0 ? lambda / total : 0)
            for a in 0..<d { for b in 0..<d { c[a][b] -= lambda * v[a] * v[b] } }
        }
        let scores = centred.map { row in vectors.map { v in zip(row, v).reduce(0) { $0 + $1.0 * $1.1 } } }
        return (scores, explained)
    }
}
