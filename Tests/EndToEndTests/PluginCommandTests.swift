import Foundation
import PromoTesting
import Testing

/// `promo train`, `promo plugins list|check` and `promo decide --models plugins` with the
/// reference Python plugin as a real process.
@Suite(.serialized) struct PluginCommandTests {
    static func scratch() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("promo-models-\(UUID().uuidString)").path
    }

    @Test func trainListDecideAndTrace() throws {
        let models = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: models) }
        let train = try PromoCommand.run(["train", "python-moving-average", "--models", models])
        #expect(train.status == 0, "\(train.stderr)")
        let version = try #require(
            train.stdout.firstMatch(
                of:
                    /python-moving-average: trained (1\.[0-9a-f]{10}) on orders \(2785 rows\), catalog \(11 rows\) in [0-9.]+ s\n/
            )?
            .output.1)

        let list = try PromoCommand.run(["plugins", "list", "--models", models])
        #expect(list.status == 0)
        let row = try #require(list.stdout.split(separator: "\n").first { $0.hasPrefix("python-moving-average") })
        #expect(row.contains("forecast   0.1.0    python3 moving_average.py (200 ms)  forecast   ready"), "\(row)")
        #expect(row.contains(" \(version)  "), "\(row)")
        // Built-in plugins not trained yet say what to do; manifests without a runtime here say so.
        #expect(list.stdout.contains("unavailable: not trained yet: run `promo train thompson-pricing`"))
        #expect(list.stdout.contains("demand-forecast") && list.stdout.contains("not bound"))

        let trace = models + "/trace.json"
        let decide = try PromoCommand.run([
            "decide", "--customer", "c-2002", "--cart", "rules/examples/cart-winter.yaml", "--at",
            "2026-12-05T12:00+08:00", "--models", "plugins", "--models-dir", models, "--trace-out", trace, "--format",
            "json",
        ])
        #expect(decide.status == 0, "\(decide.stderr)")
        #expect(decide.stderr.isEmpty, "\(decide.stderr)")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: trace))) as? [String: Any])
        let outputs = try #require(json["model_outputs"] as? [[String: Any]])
        let cover = try #require(
            outputs.first { $0["key"] as? String == "forecast.days_of_cover" && $0["sku"] as? String == "AP-COAT-01" })
        #expect(cover["plugin"] as? String == "python-moving-average")
        #expect(cover["model_version"] as? String == String(version))
        #expect(cover["value"] as? NSDictionary == ["type": "number", "value": 196])
        let price = try #require(outputs.first { $0["key"] as? String == "pricing.discount" })
        // An untrained plugin's outputs are missing, and the trace says what to do.
        #expect(
            price["fault"] as? String
                == "thompson-pricing unavailable: not trained yet: run `promo train thompson-pricing`")
        // The scarf is fixed-priced because the forecast says its 2-week demand is below stock.
        let decision = try #require(try JSONSerialization.jsonObject(with: Data(decide.stdout.utf8)) as? [String: Any])
        let chosen = (decision["chosen"] as? [[String: Any]] ?? []).compactMap { $0["offer"] as? String }
        #expect(chosen.contains("knitwear-fixed"), "\(chosen)")
    }

    @Test func checkGivesAVerdict() throws {
        let check = try PromoCommand.run(["plugins", "check", "python-moving-average", "--color", "never"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.hasPrefix("✓ starts and handshakes: ready; health: ok\n✓ trains on the store: model 1."))
        #expect(check.stdout.hasSuffix("python-moving-average: conforms (6 checks passed)\n"))

        let unknown = try PromoCommand.run(["plugins", "check", "python-moving-avg"])
        #expect(unknown.status == 2)
        #expect(
            unknown.stderr.hasPrefix(
                "promo plugins check: no plugin named 'python-moving-avg'; did you mean 'python-moving-average'?"))
    }

    /// The main job's pipeline: a sample store, every bound plugin trained on it, and a decision
    /// whose trace names the snapshot versions it used.
    @Test func sampleStoreTrainDecide() throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sample = try PromoCommand.run([
            "sample-store", "--customers", "300", "--skus", "60", "--out", dir + "/sample", "--store",
            dir + "/store.sqlite",
        ])
        #expect(sample.status == 0, "\(sample.stderr)")
        #expect(sample.stdout.hasPrefix("sample store (synthetic): 300 customers, 60 skus, "))
        let train = try PromoCommand.run(["train", "--store", dir + "/store.sqlite", "--models", dir + "/models"])
        #expect(train.status == 0, "\(train.stderr)")
        var versions: [String: String] = [:]
        for line in train.stdout.split(separator: "\n") {
            if let m = line.firstMatch(of: #/^([a-z-]+): trained ([0-9a-f.]+) on /#) {
                versions[String(m.output.1)] = String(m.output.2)
            }
        }
        #expect(
            versions.keys.sorted() == [
                "customer-profiler", "item-features", "python-moving-average", "recommender", "thompson-pricing",
                "uplift-model",
            ])
        let trace = dir + "/trace.json"
        let decide = try PromoCommand.run([
            "decide", "--customer", "c-1001", "--cart", "rules/examples/cart-winter.yaml", "--at",
            "2026-12-05T12:00+08:00",
            "--models", "plugins", "--models-dir", dir + "/models", "--trace-out", trace,
        ])
        #expect(decide.status == 0, "\(decide.stderr)")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: trace))) as? [String: Any])
        let outputs = try #require(json["model_outputs"] as? [[String: Any]])
        for (plugin, key) in [
            ("customer-profiler", "customer.segment"), ("recommender", "recommend.rank"),
            ("python-moving-average", "forecast.demand(2w)"), ("uplift-model", "uplift.score"),
            ("thompson-pricing", "pricing.price"),
        ] {
            let o = try #require(outputs.first { $0["key"] as? String == key }, "\(key)")
            #expect(o["plugin"] as? String == plugin)
            #expect(o["model_version"] as? String == versions[plugin], "\(key)")
            #expect(o["value"] != nil && o["fault"] == nil, "\(key): \(o)")
        }
    }

    /// What docs/implementing-a-plugin.md tells an engineer to do: copy the reference plugin,
    /// change the model, bind it, train, and have a rule use it.
    @Test func aCopiedPluginWithAChangedModelServesTheRules() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("promo-copy-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let fm = FileManager.default
        let repo = PromoTesting.repositoryRoot
        try fm.createDirectory(at: root, withIntermediateDirectories: true)
        try fm.copyItem(at: repo.appendingPathComponent("rules"), to: root.appendingPathComponent("rules"))
        try fm.copyItem(at: repo.appendingPathComponent("plugins"), to: root.appendingPathComponent("plugins"))
        let mine = root.appendingPathComponent("plugins/my-forecast")
        try fm.copyItem(at: repo.appendingPathComponent("plugins/python-moving-average"), to: mine)
        func edit(_ file: String, _ change: (String) -> String) throws {
            let url = mine.appendingPathComponent(file)
            try change(String(contentsOf: url, encoding: .utf8)).write(to: url, atomically: true, encoding: .utf8)
        }
        try edit("plugin.yaml") {
            $0.replacingOccurrences(of: "name: python-moving-average", with: "name: my-forecast")
        }
        // The changed model: twice the moving average's demand.
        try edit("moving_average.py") {
            $0.replacingOccurrences(of: "name = \"python-moving-average\"", with: "name = \"my-forecast\"")
                .replacingOccurrences(of: "out.append(mean * h)", with: "out.append(2 * mean * h)")
        }
        let workspace = root.appendingPathComponent("rules/promo.yaml")
        try String(contentsOf: workspace, encoding: .utf8)
            .replacingOccurrences(of: "forecast: python-moving-average", with: "forecast: my-forecast")
            .write(to: workspace, atomically: true, encoding: .utf8)
        let rules = root.appendingPathComponent("rules").path
        let train = try PromoCommand.run(["train", "--rules", rules])
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("\nmy-forecast: trained 1."), "\(train.stdout)")
        let trace = root.appendingPathComponent("trace.json").path
        let decide = try PromoCommand.run([
            "decide", "--rules", rules, "--customer", "c-2002", "--cart", rules + "/examples/cart-winter.yaml", "--at",
            "2026-12-05T12:00+08:00", "--models", "plugins", "--trace-out", trace,
        ])
        #expect(decide.status == 0, "\(decide.stderr)")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: trace))) as? [String: Any])
        let demand = try #require(
            (json["model_outputs"] as? [[String: Any]])?.first {
                $0["key"] as? String == "forecast.demand(2w)" && $0["sku"] as? String == "AP-SCARF-01"
            })
        #expect(demand["plugin"] as? String == "my-forecast")
        // 2 x the reference plugin's 14-day scarf demand (84.8 days of cover on 400 in stock: 66 units).
        #expect(demand["value"] as? NSDictionary == ["type": "number", "value": 132])
    }
}
