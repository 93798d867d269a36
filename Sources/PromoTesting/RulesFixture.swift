import Foundation
public import PromoCore
import PromoDSL

/// Builds rule sets, catalogs and requests for tests and benchmarks from short YAML texts.
public enum RulesFixture {
    /// A workspace with one group of each mode and every role bound to the repository's plugins.
    public static let workspace = """
        promo: 1
        currency: CNY
        rounding: half_up
        stacking:
          seasonal: { mode: best }
          basket: { mode: stack, base: discounted }
          flat: { mode: stack, base: original }
          perks: { mode: first }
        arbitration: { objective: incremental_profit, max_offers_per_customer: 5 }
        models:
          forecast: demand-forecast
          recommend: recommender
          pricing: thompson-pricing
          profile: customer-profiler
          uplift: uplift-model
        """

    /// The repository's plugin manifests.
    public static func manifests() throws -> [(path: String, bytes: [UInt8])] {
        let dir = PromoTesting.pluginsDirectory
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted().filter {
            FileManager.default.fileExists(atPath: dir + "/\($0)/plugin.yaml")
        }
        return try names.map { name in
            (
                "plugins/\(name)/plugin.yaml",
                [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/\(name)/plugin.yaml")))
            )
        }
    }

    /// Loads and compiles campaigns (YAML texts); fails with the diagnostics if they have errors.
    public static func ruleSet(_ campaigns: [String], workspace: String = workspace) throws -> RuleSet {
        let loaded = RulesLoader(now: PromoTesting.fixedNow).load(
            workspace: ("rules/promo.yaml", Array(workspace.utf8)),
            campaigns: campaigns.enumerated().map { ("rules/c\($0.offset).yaml", Array($0.element.utf8)) },
            manifests: try manifests())
        return try RuleSet(loaded)
    }

    /// A campaign text with one group, holdout 0, and the given offers (YAML list items, indented by 2).
    public static func campaign(_ id: String, group: String? = nil, extra: String = "", offers: String) -> String {
        """
        promo: 1
        campaign: \(id)
        holdout: 0%
        \(group.map { "group: \($0)\n" } ?? "")\(extra)offers:
        \(offers)
        """
    }

    /// 2026-12-05T12:00+08:00.
    public static let noon: Int64 = 1_796_443_200

    public static func request(
        _ lines: [CartLine], customer: String = "c-1", channel: String = "web", shipping: Int64 = 0, time: Int64 = noon,
        id: String = "d-1"
    ) -> DecisionRequest {
        DecisionRequest(
            decisionID: id, customer: Customer(id: customer), cart: Cart(lines: lines, shipping: shipping),
            channel: channel, time: time)
    }

    /// Cart line helper: `line("1", "SKU", 2, 1990)`.
    public static func line(_ id: String, _ sku: String, _ quantity: Int, _ unitPrice: Int64) -> CartLine {
        CartLine(id: id, sku: sku, quantity: quantity, unitPrice: unitPrice)
    }
}
