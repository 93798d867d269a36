import Foundation
import ItemFeaturesPlugin
import PromoCore
import PromoDSL
import PromoPlugins
import PromoStore
import PromoTesting
import Testing

@Suite struct ItemFeaturesTests {
    @Test func featuresFromTheSampleStoreServeARule() async throws {
        let dir = NSTemporaryDirectory() + "promo-features-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try SampleStore(customers: 300, skus: 90, seed: 4).write(folder: dir + "/store")
        let store = try StoreData.load(folder: dir + "/store", currency: "CNY")

        var model = ItemFeatures(settings: [:])
        let snapshot = try await model.train(on: store)
        #expect(try await ItemFeatures(settings: [:]).train(on: store).payload == snapshot.payload)
        try model.load(snapshot)
        let features = store.catalog.compactMap { model.features($0.sku) }
        #expect(features.count == 90)
        #expect(Set(features.map(\.priceBand)) == ["low", "mid", "high"])
        #expect(Set(features.map(\.marginBand)) == ["low", "mid", "high"])
        #expect(features.map(\.popularity).max() == 1 && features.allSatisfy { (0...1).contains($0.popularity) })
        // The most expensive item of a category is in its high band.
        let coats = store.catalog.filter { $0.category == "outerwear" }
        let dearest = try #require(coats.max { $0.price < $1.price })
        #expect(model.features(dearest.sku)?.priceBand == "high")
        #expect(model.features(dearest.sku)?.brandPriceBand == "\(dearest.brand):high")
        let explained = try #require(model.explainedVariance)
        #expect(
            explained.count == 3 && explained[0] >= explained[1] && explained[1] >= explained[2] && explained[0] > 0)

        // Through the registry and the engine: a rule that reads item.price_band.
        let manifestPath = PromoTesting.pluginsDirectory + "/item-features/plugin.yaml"
        let loaded = RulesLoader(now: PromoTesting.fixedNow).load(
            workspace: (
                "rules/promo.yaml", Array("promo: 1\ncurrency: CNY\nmodels: { features: item-features }\n".utf8)
            ),
            campaigns: [
                (
                    "rules/top.yaml",
                    Array(
                        """
                        promo: 1
                        campaign: top-of-range
                        holdout: 0%
                        offers:
                          - id: premium-5
                            kind: percent_off
                            percent: 5%
                            applies_to: item.price_band == "high"
                        """.utf8)
                )
            ],
            manifests: [(manifestPath, [UInt8](try Data(contentsOf: URL(fileURLWithPath: manifestPath))))])
        let rules = try RuleSet(loaded)
        let registry = PluginRegistry(
            manifests: loaded.manifests, bound: ["item-features"], models: SnapshotStore(folder: dir + "/models"),
            builtins: [ItemFeatures.self])
        #expect(registry.start().isEmpty)
        let version = try await registry.train("item-features", on: store)
        let cheapest = try #require(coats.min { $0.price < $1.price })
        let engine = Engine(rules: rules, catalog: Catalog(store.catalog))
        let decision = engine.decide(
            RulesFixture.request([
                RulesFixture.line("1", dearest.sku, 1, dearest.price),
                RulesFixture.line("2", cheapest.sku, 1, cheapest.price),
            ]), models: registry)
        #expect(decision.chosen.map(\.offer) == ["premium-5"])
        #expect(decision.chosen.first?.allocation.map(\.line) == ["1"])
        #expect(decision.modelOutputs.allSatisfy { $0.plugin == "item-features" && $0.modelVersion == version })
    }
}
