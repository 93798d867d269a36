import CustomerProfilerPlugin
import Foundation
import PromoCore
import PromoPlugins
import PromoStore
import PromoTesting
import Testing

/// The profiler against the sample store's planted behaviours.
@Suite struct ProfilerTests {
    static func sample(customers: Int = 1_500) throws -> (StoreData, [String: String]) {
        let dir = NSTemporaryDirectory() + "promo-profile-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try SampleStore(customers: customers, skus: 150, seed: 11).write(folder: dir)
        var truth: [String: String] = [:]
        for line in try String(contentsOfFile: dir + "/truth_customers.csv", encoding: .utf8).split(separator: "\n")
            .dropFirst()
        {
            let f = line.split(separator: ",")
            truth[String(f[0])] = String(f[1])
        }
        return (try StoreData.load(folder: dir, currency: "CNY"), truth)
    }

    /// Adjusted Rand index of two labelings of the same items.
    static func adjustedRand(_ a: [String], _ b: [String]) -> Double {
        var table: [String: [String: Int]] = [:]
        for (x, y) in zip(a, b) { table[x, default: [:]][y, default: 0] += 1 }
        func c2(_ n: Int) -> Double { Double(n * (n - 1)) / 2 }
        let sumCells = table.values.flatMap(\.values).reduce(0) { $0 + c2($1) }
        let rows = table.values.map { $0.values.reduce(0, +) }.reduce(0) { $0 + c2($1) }
        var columns: [String: Int] = [:]
        for row in table.values { for (y, n) in row { columns[y, default: 0] += n } }
        let cols = columns.values.reduce(0) { $0 + c2($1) }
        let expected = rows * cols / c2(a.count)
        return (sumCells - expected) / ((rows + cols) / 2 - expected)
    }

    @Test func segmentsRecoverThePlantedBehaviours() async throws {
        let (store, truth) = try Self.sample()
        var model = RFMProfiler(settings: [:])
        try model.load(try await model.train(on: store))
        let ids = truth.keys.sorted().filter { model.profile(customerID: $0, field: "segment") != nil }
        let found = ids.map { id -> String in
            if case .string(let s)? = model.profile(customerID: id, field: "segment") { return s }
            return "?"
        }
        let planted = ids.map { truth[$0]! }
        let ari = Self.adjustedRand(found, planted)
        let table = try #require(model.clusters)
        let described = table.clusters.map {
            "\($0.name) n=\($0.size) R=\(Int($0.recencyDays)) F=\(String(format: "%.1f", $0.frequency)) M=\(Int($0.monetary)) promo=\(String(format: "%.2f", $0.promotedShare))"
        }
        print(
            "profiler on the sample store: ARI \(ari), k=\(table.k), silhouette \(table.silhouette)\n"
                + described.joined(separator: "\n"))
        #expect(ari > 0.4, "ARI \(ari); k=\(table.k), silhouette \(table.silhouette): \(described)")
        // The names mean what they say: most planted lapsed customers are called lapsed, most new ones new.
        func share(_ behaviour: String, named name: String) -> Double {
            let members = ids.indices.filter { planted[$0] == behaviour }
            return Double(members.filter { found[$0] == name }.count) / Double(members.count)
        }
        #expect(share("lapsed", named: "lapsed") > 0.6, "\(described)")
        #expect(share("new", named: "new") > 0.6, "\(described)")
    }

    @Test func dbscanIsAnOption() async throws {
        let (store, truth) = try Self.sample(customers: 400)
        var model = RFMProfiler(settings: ["clustering": "dbscan"])
        let snapshot = try await model.train(on: store)
        #expect(try await RFMProfiler(settings: ["clustering": "dbscan"]).train(on: store).payload == snapshot.payload)
        try model.load(snapshot)
        let found = try #require(model.clusters)
        #expect(found.k >= 1)
        let names = Set(found.clusters.map(\.name))
        let segments = truth.keys.compactMap { id -> String? in
            if case .string(let s)? = model.profile(customerID: id, field: "segment") { return s }
            return nil
        }
        #expect(segments.count == store.customers.count)
        #expect(Set(segments).isSubset(of: names.union(["other", "new"])))  // new: on file, never ordered
    }

    @Test func theProfilerConforms() async throws {
        let (store, truth) = try Self.sample(customers: 300)
        let customers = Array(truth.keys.sorted().prefix(2))
        let calls = ["segment", "recency_days", "frequency", "monetary", "churn_risk"].map {
            PredictRequest.Call(function: $0, perItem: false)
        }
        for c in customers {
            #expect(
                await PluginConformance.failures(RFMProfiler.self, store: store, customer: c, skus: ["X"], calls: calls)
                    == [])
        }
    }
}
