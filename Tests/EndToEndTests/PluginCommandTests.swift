import Foundation
import PromoTesting
import Testing

/// `promo train`, `promo plugins list|check` and `promo decide --models plugins` with the
/// reference Python plugin as a real process.
@Suite(.serialized) struct PluginCommandTests {
    static func scratch() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("promo-models-\(UUID().uuidString)").path
    }

    /// A copy of the example workspace (rules and plugins) with `forecast` bound to `forecast`.
    static func workspace(forecast: String) throws -> (root: URL, rules: String) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("promo-copy-\(UUID().uuidString)")
        let fm = FileManager.default
        let repo = PromoTesting.repositoryRoot
        try fm.createDirectory(at: root, withIntermediateDirectories: true)
        try fm.copyItem(at: repo.appendingPathComponent("rules"), to: root.appendingPathComponent("rules"))
        try fm.copyItem(at: repo.appendingPathComponent("plugins"), to: root.appendingPathComponent("plugins"))
        let file = root.appendingPathComponent("rules/promo.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.contains("  forecast: demand-forecast\n"))
        try text.replacingOccurrences(of: "  forecast: demand-forecast\n", with: "  forecast: \(forecast)\n")
            .write(to: file, atomically: true, encoding: .utf8)
        return (root, root.appendingPathComponent("rules").path)
    }

    @Test func trainListDecideAndTrace() throws {
        let (root, rules) = try Self.workspace(forecast: "python-moving-average")
        defer { try? FileManager.default.removeItem(at: root) }
        let models = root.appendingPathComponent("models").path
        let train = try PromoCommand.run(["train", "python-moving-average", "--rules", rules, "--models", models])
        #expect(train.status == 0, "\(train.stderr)")
        let version = try #require(
            train.stdout.firstMatch(
                of:
                    /python-moving-average: trained (1\.[0-9a-f]{10}) on orders \(2785 rows\), catalog \(11 rows\) in [0-9.]+ s\n/
            )?
            .output.1)

        let list = try PromoCommand.run(["plugins", "list", "--rules", rules, "--models", models])
        #expect(list.status == 0)
        let row = try #require(list.stdout.split(separator: "\n").first { $0.hasPrefix("python-moving-average") })
        #expect(row.contains("forecast   0.1.0    python3 moving_average.py (200 ms)  forecast   ready"), "\(row)")
        #expect(row.contains(" \(version)  "), "\(row)")
        // Built-in plugins not trained yet say what to do; manifests without a runtime here say so.
        #expect(list.stdout.contains("unavailable: not trained yet: run `promo train thompson-pricing`"))
        #expect(list.stdout.contains("demand-forecast") && list.stdout.contains("not bound"))

        let trace = models + "/trace.json"
        let decide = try PromoCommand.run([
            "decide", "--rules", rules, "--customer", "c-2002", "--cart", rules + "/examples/cart-winter.yaml", "--at",
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
                "customer-profiler", "demand-forecast", "item-features", "recommender", "thompson-pricing",
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
            ("demand-forecast", "forecast.demand(2w)"), ("uplift-model", "uplift.score"),
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
        let (root, rules) = try Self.workspace(forecast: "my-forecast")
        defer { try? FileManager.default.removeItem(at: root) }
        let fm = FileManager.default
        let repo = PromoTesting.repositoryRoot
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

    /// The pricing plugin learns online: outcomes sent with `promo plugins feedback` make a new
    /// current snapshot that the next decision uses; a bad outcome is refused and changes nothing.
    @Test func pricingFeedbackMakesANewCurrentModel() throws {
        let models = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: models) }
        let train = try PromoCommand.run(["train", "thompson-pricing", "--models", models])
        #expect(train.status == 0, "\(train.stderr)")
        let trained = try #require(train.stdout.firstMatch(of: /trained (1\.[0-9a-f]{10})/)?.output.1)
        func current() throws -> String {
            try String(contentsOfFile: models + "/thompson-pricing/CURRENT", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try current() == String(trained))

        // Many units sold at a 30% discount: the coat's posterior moves.
        let outcomes = models + "/outcomes.jsonl"
        try (0..<12).map { _ in #"{"item": "AP-COAT-01", "price": 62930, "units": 40}"# }.joined(separator: "\n")
            .write(toFile: outcomes, atomically: true, encoding: .utf8)
        let fed = try PromoCommand.run(["plugins", "feedback", "thompson-pricing", outcomes, "--models", models])
        #expect(fed.status == 0, "\(fed.stderr)")
        let updated = try #require(
            fed.stdout.firstMatch(of: /12 outcomes applied; model (1\.[0-9a-f]{10}) is current/)?.output.1)
        #expect(updated != trained)
        #expect(try current() == String(updated))

        // The next decision reads the new model version.
        let trace = models + "/trace.json"
        let decide = try PromoCommand.run([
            "decide", "--customer", "c-2002", "--cart", "rules/examples/cart-winter.yaml", "--at",
            "2026-12-05T12:00+08:00", "--models", "plugins", "--models-dir", models, "--trace-out", trace,
        ])
        #expect(decide.status == 0, "\(decide.stderr)")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: trace))) as? [String: Any])
        let price = try #require(
            (json["model_outputs"] as? [[String: Any]])?.first { $0["key"] as? String == "pricing.price" })
        #expect(price["model_version"] as? String == String(updated))

        // An unknown item is refused; nothing is applied.
        try #"[{"item": "AP-COAT-01", "price": 62930, "units": 3}, {"item": "NOPE", "price": 100, "units": 1}]"#
            .write(toFile: outcomes, atomically: true, encoding: .utf8)
        let refused = try PromoCommand.run(["plugins", "feedback", "thompson-pricing", outcomes, "--models", models])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("outcome 2: unknown item 'NOPE'"), "\(refused.stderr)")
        #expect(try current() == String(updated))
        // Not JSON: a usage error naming the line.
        try "{\"item\": \"AP-COAT-01\"\nnot json".write(toFile: outcomes, atomically: true, encoding: .utf8)
        let broken = try PromoCommand.run(["plugins", "feedback", "thompson-pricing", outcomes, "--models", models])
        #expect(broken.status == 2)
        #expect(broken.stderr.contains("line 1"), "\(broken.stderr)")
    }
}
