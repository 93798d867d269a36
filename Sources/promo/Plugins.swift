import ArgumentParser
import Foundation
import Logging
import PromoCore
import PromoDSL
import PromoPlugins

struct Plugins: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the workspace's model plugins, or check one against the plugin contract.",
        subcommands: [List.self, Check.self, Feedback.self]
    )

    struct Options: ParsableArguments {
        @Option(help: "Rules folder.")
        var rules: String = "rules"

        @Option(help: "Folder of plugin manifests (default: plugins/ beside the rules folder).")
        var plugins: String?

        @Option(help: "Models folder with the trained snapshots (default: models/ beside the rules folder).")
        var models: String?

        @Option(help: "Colour: auto, always or never.")
        var color: ColorChoice = .auto
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Name, role, version, runtime, status, and the current snapshot's version and age of each plugin.",
            discussion: "The plugins bound in promo.yaml are started to report their real status, then stopped."
        )

        @OptionGroup var options: Options

        func run() throws {
            let ws = try PluginWorkspace.load(
                rules: options.rules, plugins: options.plugins, models: options.models, command: "plugins list",
                color: options.color)
            let registry = ws.registry(logLevel: .critical)
            registry.start()
            defer { registry.stop() }
            let store = SnapshotStore(folder: ws.modelsFolder)
            var rows = [["NAME", "ROLE", "VERSION", "RUNTIME", "BOUND", "STATUS", "SNAPSHOT", "AGE"]]
            for m in ws.loaded.manifests.sorted(by: { $0.name < $1.name }) {
                let runtime: String
                switch m.runtime {
                case .builtin(let t): runtime = "builtin \(t)"
                case .command(let args, _, _, let ms, _): runtime = args.joined(separator: " ") + " (\(ms) ms)"
                }
                let bound = ws.workspace.models.filter { $0.plugin == m.name }.map(\.role)
                let status = ws.bound.contains(m.name) ? registry.status(m.name).description : "not bound"
                let snapshot = store.current(m.name)
                rows.append([
                    m.name, m.role, m.version, runtime, bound.isEmpty ? "-" : bound.joined(separator: ","), status,
                    snapshot?.version ?? "untrained", snapshot.map { age($0.createdAt) } ?? "-",
                ])
            }
            let widths = rows[0].indices.map { c in rows.map { $0[c].count }.max()! }
            for r in rows {
                print(
                    zip(r, widths).enumerated().map { i, p in
                        i == r.count - 1 ? p.0 : p.0.padding(toLength: p.1, withPad: " ", startingAt: 0)
                    }.joined(separator: "  "))
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a plugin, handshake, run the conformance checks on a store, and print a verdict.",
            discussion: """
                Checks run in a scratch models folder: the workspace's snapshots are not touched.
                Exit status: 0 the plugin conforms, 1 a check failed, 2 usage or input error.
                """
        )

        @Argument(help: "The plugin's name (its manifest's name).")
        var name: String

        @OptionGroup var options: Options

        @Option(help: "Store to train on: an SQLite file or a folder of CSV files (default: <rules>/examples/store).")
        var store: String?

        @Option(help: "Customer id for the prediction checks.")
        var customer: String = "c-1001"

        func run() throws {
            let ws = try PluginWorkspace.load(
                rules: options.rules, plugins: options.plugins, models: options.models, command: "plugins check",
                color: options.color)
            let manifest = try ws.manifest(name, command: "plugins check")
            let folder = store ?? options.rules + "/examples/store"
            let data: StoreData
            do {
                data = try loadStore(folder, currency: ws.workspace.currency)
            } catch {
                writeError("promo plugins check: \(error)\n")
                throw ExitCode(2)
            }
            let skus = Array(data.catalog.map(\.sku).prefix(20)) + ["NOT-A-SKU"]
            let customer = self.customer
            let results = try runBlocking {
                await PluginCheck(manifest: manifest, builtins: PluginWorkspace.builtins).run(
                    store: data, customer: customer, skus: skus)
            }
            let color = options.color.enabled(for: 1)
            for r in results {
                let mark = r.passed ? (color ? "\u{1B}[32m✓\u{1B}[0m" : "✓") : (color ? "\u{1B}[31m✗\u{1B}[0m" : "✗")
                print("\(mark) \(r.name): \(r.detail)")
            }
            let failed = results.filter { !$0.passed }.count
            if failed == 0 && results.count == 6 {
                print("\(name): conforms (\(results.count) checks passed)")
            } else {
                print("\(name): does not conform (\(failed == 0 ? 1 : failed) of 6 checks failed)")
                throw ExitCode(1)
            }
        }
    }
}

extension Plugins {
    struct Feedback: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send observed outcomes to a plugin that learns online; its updated model becomes current.",
            discussion: """
                OUTCOMES is a file (or - for standard input) holding a JSON array of outcome objects, or one object
                per line. What an outcome holds is the plugin's: thompson-pricing takes
                {"item": "SKU", "price": 8990, "units": 12} (the price paid in minor units and the units sold in
                one period). Nothing is applied when any outcome is refused. Exit status: 0 applied, 1 refused by
                the plugin, 2 usage or input error.
                """
        )

        @Argument(help: "The plugin's name (its manifest's name).") var name: String
        @Argument(help: "File of outcomes (JSON array or JSON lines), or - for standard input.") var outcomes: String
        @OptionGroup var options: Options

        func run() throws {
            let ws = try PluginWorkspace.load(
                rules: options.rules, plugins: options.plugins, models: options.models, command: "plugins feedback",
                color: options.color)
            let text: String
            do {
                text =
                    outcomes == "-"
                    ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                    : try String(contentsOfFile: outcomes, encoding: .utf8)
            } catch {
                writeError("promo plugins feedback: cannot read \(outcomes): \(error.localizedDescription)\n")
                throw ExitCode(2)
            }
            var list: [JSON] = []
            do {
                let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
                if trimmed.hasPrefix("[") {
                    guard let a = try JSON.parse(trimmed).array else {
                        throw JSONError(offset: 0, message: "not an array")
                    }
                    list = a
                } else {
                    for (n, line) in trimmed.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                    where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                        do { list.append(try JSON.parse(String(line))) } catch {
                            throw JSONError(offset: error.offset, message: "line \(n + 1): \(error.message)")
                        }
                    }
                }
            } catch {
                writeError("promo plugins feedback: \(outcomes): \(error)\n")
                throw ExitCode(2)
            }
            _ = try ws.manifest(name, command: "plugins feedback")
            let registry = ws.registry()
            defer { registry.stop() }
            switch registry.feedback(name, outcomes: list) {
            case .success(let answer):
                print(
                    "\(name): \(list.count) outcome\(list.count == 1 ? "" : "s") applied"
                        + (answer["model_version"]?.string.map { "; model \($0) is current" } ?? ""))
            case .failure(let f):
                writeError("promo plugins feedback: \(name): \(f)\n")
                throw ExitCode(1)
            }
        }
    }
}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train model plugins on the store and make the new snapshots current.",
        discussion: """
            Snapshots go to <models>/<plugin>/<version>/; decisions name the version they used.
            Exit status: 0 trained, 1 a plugin failed to train, 2 usage or input error.
            """
    )

    @Argument(help: "Plugins to train (default: every plugin promo.yaml binds that can run here).")
    var names: [String] = []

    @OptionGroup var options: Plugins.Options

    @Option(help: "Store: an SQLite file (promo import) or a folder of CSV files (default: <rules>/examples/store).")
    var store: String?

    func run() throws {
        let ws = try PluginWorkspace.load(
            rules: options.rules, plugins: options.plugins, models: options.models, command: "train",
            color: options.color)
        let folder = store ?? options.rules + "/examples/store"
        let data: StoreData
        do {
            data = try loadStore(folder, currency: ws.workspace.currency)
        } catch {
            writeError("promo train: \(error)\n")
            throw ExitCode(2)
        }
        let registry = ws.registry()
        defer { registry.stop() }
        var targets = names
        if targets.isEmpty {
            targets = ws.bound.filter {
                if case .unavailable = registry.hosts[$0] { return false }
                return true
            }
        }
        for n in targets { _ = try ws.manifest(n, command: "train") }
        var failed = false
        for name in targets.sorted() {
            let manifest = registry.manifests[name]!
            let missing = manifest.trainsOn.filter { !data.tablesWithRows.contains($0) }
            if !missing.isEmpty {
                writeError(
                    "promo train: warning: \(name) trains on \(missing.joined(separator: ", ")), which \(folder) does not have\n"
                )
            }
            let began = ContinuousClock.now
            do {
                let bar = ProgressLine(label: name)
                defer { bar.finish() }
                let version = try runBlocking { try await registry.train(name, on: data) }
                let tables = manifest.trainsOn.filter { data.tablesWithRows.contains($0) }.map { t in
                    "\(t) (\(rows(data, t)) rows)"
                }
                let took = ContinuousClock.now - began
                print(
                    "\(name): trained \(version) on \(tables.joined(separator: ", ")) in "
                        + String(
                            format: "%.2f s",
                            took.inSeconds))
            } catch {
                writeError("promo train: \(name): \(error)\n")
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }

    private func rows(_ d: StoreData, _ table: String) -> Int {
        switch table {
        case "catalog": d.catalog.count
        case "customers": d.customers.count
        case "orders": d.orders.count
        case "sales": d.sales.count
        case "exposures": d.exposures.count
        default: 0
        }
    }
}
