import Foundation
import PromoCore
import PromoPlugins
import PromoStore
import PromoTesting
import RecommenderPlugin
import Testing

@Suite struct RecommenderTests {
    /// 300 users in 6 taste groups over 120 items (20 per group): each user bought 12 of their
    /// group's items and 2 others. A quarter of each user's items is held out.
    static func planted() -> (train: Interactions, test: [Int: Set<Int32>]) {
        var rng = SplitMix64(seed: 5)
        var triples: [(Int, Int, Float)] = []
        var test: [Int: Set<Int32>] = [:]
        for u in 0..<300 {
            let group = u % 6
            var own = Array(group * 20..<group * 20 + 20)
            for a in stride(from: own.count - 1, to: 0, by: -1) { own.swapAt(a, Int(rng.next() % UInt64(a + 1))) }
            var items = Array(own.prefix(12))
            while items.count < 14 {
                let i = Int(rng.next() % 120)
                if !items.contains(i) { items.append(i) }
            }
            for (n, i) in items.enumerated() {
                if n < 3 { test[u, default: []].insert(Int32(i)) } else { triples.append((u, i, 1)) }
            }
        }
        return (Interactions(users: 300, items: 120, triples: triples), test)
    }

    @Test func alsAndItemKNNRecoverHeldOutPositivesFarAbovePopularity() {
        let (train, test) = Self.planted()
        func precision(_ algorithm: String) -> Double {
            let model = ALSRecommender(settings: ["algorithm": algorithm, "factors": "8", "iterations": "10"]).fit(
                train)
            return RankingMetrics.evaluate(model, train: train, test: test, k: 10).precision
        }
        let popularity = precision("popularity")
        let als = precision("als")
        let knn = precision("item_knn")
        #expect(popularity < 0.15, "popularity \(popularity)")
        #expect(als > 3 * popularity && als > 0.4, "als \(als), popularity \(popularity)")
        #expect(knn > 3 * popularity && knn > 0.4, "item-kNN \(knn), popularity \(popularity)")
    }

    @Test func metricsFollowTheirDefinitions() {
        // One user, held out {1, 3}; ranking 0, 1, 2, 3 ... with item 0 bought: top-2 is 1, 2.
        let train = Interactions(users: 1, items: 5, triples: [(0, 0, 1)])
        let model = RecommendationModel.popularity(counts: [9, 4, 3, 2, 1])
        let m = RankingMetrics.evaluate(model, train: train, test: [0: [1, 3]], k: 2)
        #expect(m.precision == 0.5)  // 1 hit over min(2, 2)
        #expect(m.recall == 0.5)
        #expect(abs(m.ndcg - 1 / (1 + 1 / log2(3))) < 1e-12)
    }

    @Test func theRecommenderConformsAndServesItsFunctions() async throws {
        let dir = NSTemporaryDirectory() + "promo-rec-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try SampleStore(customers: 200, skus: 60, seed: 3).write(folder: dir)
        let store = try StoreData.load(folder: dir, currency: "CNY")
        let skus = Array(store.catalog.map(\.sku).prefix(12)) + ["NOT-A-SKU"]
        let calls = [
            PredictRequest.Call(function: "score", perItem: true), PredictRequest.Call(function: "rank", perItem: true),
            PredictRequest.Call(function: "top", arguments: ["k": .number(5)], perItem: false),
        ]
        for algorithm in ["als", "item_knn", "popularity"] {
            #expect(
                await PluginConformance.failures(
                    ALSRecommender.self, settings: ["algorithm": algorithm, "factors": "8"], store: store,
                    customer: "c-1001",
                    skus: skus, calls: calls) == [], "\(algorithm)")
        }
        var model = ALSRecommender(settings: ["factors": "8"])
        try model.load(try await model.train(on: store))
        let answer = try model.predict(PredictRequest(customerID: "c-1001", skus: skus, calls: calls))
        #expect(answer[0].last == .some(nil))  // an unknown sku has no score
        #expect(
            answer[0].dropLast().allSatisfy {
                if case .number(let s)? = $0 { return (0...1).contains(s) } else { return false }
            })
        guard case .list(let top)? = answer[2][0] else {
            Issue.record("no top list")
            return
        }
        #expect(top.count == 5)
        // The best item ranks first.
        if case .string(let best) = top[0] {
            let r = try model.predict(PredictRequest(customerID: "c-1001", skus: [best], calls: [calls[1]]))
            #expect(r[0] == [.number(1)])
        }
    }
}
