import Foundation
import Logging
import PromoCore
import PromoDSL
import PromoPlugins
import PromoTesting
import Synchronization

/// Log lines captured from a logger, for tests that check what plugins wrote on stderr.
final class LogCapture: Sendable {
    let lines = Mutex<[String]>([])

    var logger: Logger {
        Logger(label: "test") { _ in Handler(capture: self) }
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let plugin = event.metadata?["plugin"].map { "\($0)" } ?? "-"
            capture.lines.withLock { $0.append("[\(plugin)] \(event.message)") }
        }
    }
}

enum Fixtures {
    static let bundle = Bundle.module.resourcePath!

    static let faultyDirectory = bundle + "/FaultyPlugin"

    static func manifest(
        mode: String, deadline: String = "200ms", program: String = "faulty.py", environment: [String: String] = [:]
    ) -> String {
        """
        plugin: 1
        name: faulty
        role: forecast
        version: 0.0.1
        functions:
          - name: days_of_cover
            params: [{ name: item, type: item }]
            result: number
            per: item
        runtime:
          command: [python3, \(program), \(mode)]
          environment: { \(environment.map { "\($0.key): \"\($0.value)\"" }.joined(separator: ", ")) }
          deadline: \(deadline)
          max_batch: 100
        """
    }

    static let workspace = """
        promo: 1
        currency: CNY
        rounding: half_up
        models: { forecast: faulty }
        """

    static let campaign = """
        promo: 1
        campaign: clearance
        holdout: 0%
        offers:
          - id: slow-movers
            kind: percent_off
            percent: 10%
            applies_to: forecast.days_of_cover(item) > 60
        """

    /// Rules whose only offer needs the faulty plugin's output, and a registry running it.
    static func faulty(
        _ mode: String, deadline: String = "200ms", program: String = "faulty.py", environment: [String: String] = [:],
        policy: RestartPolicy = .quick, logger: Logger = Logger(label: "test")
    )
        throws -> (Engine, PluginRegistry, RuleSet)
    {
        let loaded = RulesLoader(now: PromoTesting.fixedNow).load(
            workspace: ("rules/promo.yaml", Array(workspace.utf8)),
            campaigns: [("rules/clearance.yaml", Array(campaign.utf8))],
            manifests: [
                (
                    faultyDirectory + "/plugin.yaml",
                    Array(manifest(mode: mode, deadline: deadline, program: program, environment: environment).utf8)
                )
            ])
        let rules = try RuleSet(loaded)
        let registry = PluginRegistry(
            manifests: loaded.manifests, bound: ["faulty"],
            models: SnapshotStore(folder: NSTemporaryDirectory() + "none"),
            policy: policy, logger: logger)
        let engine = Engine(
            rules: rules,
            catalog: Catalog([
                CatalogItem(sku: "COAT", price: 89_900, cost: 42_000, stock: 140),
                CatalogItem(sku: "SLOW", price: 1000, cost: 500, stock: 10),
            ]))
        return (engine, registry, rules)
    }

    static func request(_ id: String = "d-1") -> DecisionRequest {
        RulesFixture.request([RulesFixture.line("1", "COAT", 1, 89_900)], id: id)
    }

    static var store: StoreData {
        get throws {
            try StoreData.load(folder: PromoTesting.repositoryRoot.path + "/rules/examples/store", currency: "CNY")
        }
    }
}

extension RestartPolicy {
    /// Short waits, so that restarts and the circuit breaker show within a test.
    static var quick: RestartPolicy {
        var p = RestartPolicy()
        p.initialBackoff = .milliseconds(50)
        p.maxBackoff = .milliseconds(200)
        p.failuresToOpen = 3
        p.openFor = .seconds(1)
        p.startTimeout = .seconds(10)
        p.hangGrace = .milliseconds(500)
        return p
    }
}

/// Waits until `condition` holds or `limit` passes; returns whether it held.
func eventually(_ limit: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
    let end = ContinuousClock.now + limit
    while ContinuousClock.now < end {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}
