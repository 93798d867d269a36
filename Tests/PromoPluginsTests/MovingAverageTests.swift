import Foundation
import PromoCore
import PromoDSL
import PromoPlugins
import PromoTesting
import SwiftMovingAverage
import Testing

/// The reference Python plugin as a real process, against its in-process Swift twin.
@Suite(.serialized) struct MovingAverageTests {
    static let skus = ["AP-COAT-01", "AP-SCARF-01", "GR-JUI-ORG", "GR-MILK-1L", "NOT-IN-STORE"]

    static func manifests() throws -> [PluginManifest] {
        let loaded = RulesLoader().load(
            workspace: ("rules/promo.yaml", Array("promo: 1\ncurrency: CNY\n".utf8)), campaigns: [],
            manifests: try ["python-moving-average", "swift-moving-average"].map { name in
                let path = PromoTesting.pluginsDirectory + "/\(name)/plugin.yaml"
                return (path, [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
            })
        #expect(loaded.diagnostics.filter { $0.severity == .error }.isEmpty, "\(loaded.diagnostics)")
        return loaded.manifests
    }

    static func scratch() -> String {
        NSTemporaryDirectory() + "promo-models-\(UUID().uuidString)"
    }

    func batch(_ plugin: String, namespace: String = "forecast") -> ModelBatch {
        ModelBatch(
            customerID: "c-1001", skus: Self.skus, ordinals: Self.skus.map { _ in -1 },
            calls: [
                ModelCall(
                    plugin: plugin, role: "forecast", function: "forecast.demand", arguments: [.duration(14 * 86_400)],
                    perCustomer: false, perItem: true),
                ModelCall(
                    plugin: plugin, role: "forecast", function: "forecast.demand_low",
                    arguments: [.duration(14 * 86_400)], perCustomer: false, perItem: true),
                ModelCall(
                    plugin: plugin, role: "forecast", function: "forecast.demand_high",
                    arguments: [.duration(14 * 86_400)], perCustomer: false, perItem: true),
                ModelCall(
                    plugin: plugin, role: "forecast", function: "forecast.days_of_cover", arguments: [],
                    perCustomer: false, perItem: true),
            ])
    }

    @Test func pythonAndSwiftGiveTheSameForecast() async throws {
        let models = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: models) }
        let registry = PluginRegistry(
            manifests: try Self.manifests(), bound: ["python-moving-average", "swift-moving-average"],
            models: SnapshotStore(folder: models), builtins: [MovingAverageForecaster.self])
        defer { registry.stop() }
        #expect(registry.start().isEmpty)
        let store = try Fixtures.store
        let pyVersion = try await registry.train("python-moving-average", on: store)
        let swiftVersion = try await registry.train("swift-moving-average", on: store)
        #expect(pyVersion.hasPrefix("1."))
        #expect(swiftVersion.hasPrefix("1."))

        let py = registry.answer(for: batch("python-moving-average"))
        let sw = registry.answer(for: batch("swift-moving-average"))
        #expect(py.faults == [nil, nil, nil, nil])
        #expect(py.versions == Array(repeating: pyVersion, count: 4))
        #expect(py.columns == sw.columns)
        // Coats sell slowly: 10 in 14 days, about 196 days of cover; unknown skus have no value.
        #expect(py.columns[0][0] == .number(10))
        #expect(py.columns[3][0] == .number(196))
        #expect(py.columns[0][4] == nil)
        if case .number(let low)? = py.columns[1][2], case .number(let mid)? = py.columns[0][2],
            case .number(let high)? = py.columns[2][2]
        {
            #expect(low < mid && mid < high)
        } else {
            Issue.record("no interval for GR-JUI-ORG")
        }
    }

    @Test func snapshotsAreLoadedAtStartAndFeedbackMovesTheForecast() async throws {
        let models = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: models) }
        let manifests = try Self.manifests()
        let first = PluginRegistry(
            manifests: manifests, bound: ["python-moving-average"], models: SnapshotStore(folder: models))
        #expect(first.start().isEmpty)
        let version = try await first.train("python-moving-average", on: try Fixtures.store)
        let trained = first.answer(for: batch("python-moving-average"))
        first.stop()

        let store = SnapshotStore(folder: models)
        #expect(store.current("python-moving-average")?.version == version)
        #expect(store.current("python-moving-average")?.pluginVersion == "0.1.0")

        // A new process loads the current snapshot in its handshake.
        let second = PluginRegistry(manifests: manifests, bound: ["python-moving-average"], models: store)
        defer { second.stop() }
        #expect(second.start().isEmpty)
        #expect(second.status("python-moving-average").modelVersion == version)
        #expect(second.answer(for: batch("python-moving-average")).columns == trained.columns)

        // 40 coats sold on the last day: the 14-day demand rises by 40/28*14 = 20.
        let last = try Fixtures.store.orders.map(\.time).max()!
        let result = second.feedback(
            "python-moving-average",
            outcomes: [
                .object([("sku", .string("AP-COAT-01")), ("time", .number(Double(last))), ("units", .number(40))])
            ])
        #expect(try result.get()["accepted"]?.int == 1)
        let after = second.answer(for: batch("python-moving-average"))
        #expect(after.columns[0][0] == .number(30))
    }

    @Test func aSnapshotOfAnotherPluginVersionIsRefused() async throws {
        let models = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: models) }
        var manifests = try Self.manifests()
        let r = PluginRegistry(
            manifests: manifests, bound: ["python-moving-average"], models: SnapshotStore(folder: models))
        #expect(r.start().isEmpty)
        let version = try await r.train("python-moving-average", on: try Fixtures.store)
        r.stop()
        let i = manifests.firstIndex { $0.name == "python-moving-average" }!
        manifests[i].version = "0.2.0"
        let newer = PluginRegistry(
            manifests: manifests, bound: ["python-moving-average"], models: SnapshotStore(folder: models))
        #expect(
            newer.start()["python-moving-average"]?.description
                == "refused: the snapshot \(version) was trained by python-moving-average 0.1.0; this is python-moving-average 0.2.0: retrain it with `promo train python-moving-average`"
        )
    }

    @Test func theSwiftPluginConforms() async throws {
        let calls = [
            PredictRequest.Call(function: "demand", arguments: ["horizon": .duration(7 * 86_400)], perItem: true),
            PredictRequest.Call(function: "demand_high", arguments: ["horizon": .duration(7 * 86_400)], perItem: true),
            PredictRequest.Call(function: "days_of_cover", perItem: true),
        ]
        #expect(
            await PluginConformance.failures(
                MovingAverageForecaster.self, store: try Fixtures.store, skus: Self.skus, calls: calls) == [])
    }

    @Test(arguments: ["python-moving-average", "swift-moving-average"])
    func thePluginCheckPasses(_ name: String) async throws {
        let manifest = try #require(try Self.manifests().first { $0.name == name })
        let results = await PluginCheck(manifest: manifest, builtins: [MovingAverageForecaster.self]).run(
            store: try Fixtures.store, customer: "c-1001", skus: Self.skus)
        #expect(
            results.map(\.name) == [
                "starts and handshakes", "trains on the store", "is deterministic",
                "answers a batch as it answers single items", "survives an empty store",
                "refuses a snapshot of another version",
            ])
        for r in results { #expect(r.passed, "\(r.name): \(r.detail)") }
    }
}
