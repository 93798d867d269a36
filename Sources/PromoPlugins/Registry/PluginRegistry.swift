import Dispatch
import Foundation
public import Logging
public import PromoCore
public import PromoDSL
import Synchronization

/// The model plugins of a workspace, as the engine's `ModelOutputs`: built from the manifests and
/// the `models:` bindings, passed to the engine (no globals).
///
/// For a decision it asks each plugin only for the calls of that plugin in the batch, in one
/// request per plugin (split at the manifest's `max_batch`), plugins in parallel, and answers with
/// the values, the model version behind them and, for calls that failed, the fault. A plugin that
/// misbehaves costs at most its deadline; the offers then follow their `on_missing` fallback.
///
/// ```swift
/// let registry = PluginRegistry(manifests: loaded.manifests, bound: ["python-moving-average"],
///                               models: SnapshotStore(folder: "models"), builtins: [MovingAverageForecaster.self])
/// registry.start()
/// let decision = engine.decide(request, models: registry)
/// ```
public final class PluginRegistry: ModelOutputs, Sendable {
    /// How one plugin runs here.
    public enum Host: Sendable {
        case stdio(StdioPlugin)
        case builtin(BuiltinHost)
        case unavailable(PluginFault)
    }

    public let manifests: [String: PluginManifest]
    /// Plugins the workspace binds to a role, in manifest-name order.
    public let bound: [String]
    public let hosts: [String: Host]
    public let models: SnapshotStore
    let logger: Logger

    /// - Parameters:
    ///   - bound: names of the plugins to run (the workspace's bindings); others are listed only.
    ///   - builtins: the in-process plugin types this build links, matched to `runtime: { builtin: }`.
    public init(
        manifests: [PluginManifest], bound: [String], models: SnapshotStore, builtins: [any ModelPlugin.Type] = [],
        policy: RestartPolicy = RestartPolicy(), settings: [String: [String: JSON]] = [:],
        logger: Logger = Logger(label: "promo.plugins")
    ) {
        var byName: [String: PluginManifest] = [:]
        for m in manifests { byName[m.name] = m }
        self.manifests = byName
        self.bound = bound.filter { byName[$0] != nil }.sorted()
        self.models = models
        self.logger = logger
        var hosts: [String: Host] = [:]
        for m in manifests {
            let directory = (m.file as NSString).deletingLastPathComponent
            switch m.runtime {
            case .command(let args, _, _, _, _):
                let program = args.first ?? ""
                if program.hasSuffix(".py") || program.contains("/") {
                    // A script named directly must exist in the plugin's folder.
                    let path =
                        program.hasPrefix("/") ? program : (directory as NSString).appendingPathComponent(program)
                    if !FileManager.default.fileExists(atPath: path) {
                        hosts[m.name] = .unavailable(PluginFault(.unavailable, "\(path) does not exist"))
                        continue
                    }
                }
                if let script = args.dropFirst().first(where: { $0.hasSuffix(".py") }),
                    !FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(script))
                {
                    hosts[m.name] = .unavailable(
                        PluginFault(
                            .unavailable, "\((directory as NSString).appendingPathComponent(script)) does not exist"))
                    continue
                }
                let current = models.current(m.name)
                if let refusal = current?.refusal(plugin: m.name, version: m.version) {
                    hosts[m.name] = .unavailable(refusal)
                    continue
                }
                hosts[m.name] = .stdio(
                    StdioPlugin(
                        manifest: m, directory: directory, snapshot: current?.path,
                        settings: settings[m.name] ?? [:], policy: policy, logger: logger))
            case .builtin(let typeName):
                if let type = builtins.first(where: { $0.builtinName == typeName }) {
                    hosts[m.name] = .builtin(BuiltinHost(manifest: m, type: type, settings: settings[m.name] ?? [:]))
                } else {
                    hosts[m.name] = .unavailable(
                        PluginFault(.unavailable, "this build has no built-in plugin \(typeName)"))
                }
            }
        }
        self.hosts = hosts
    }

    /// Starts the bound plugins (in parallel) and loads the built-ins' current snapshots; returns
    /// the problems by plugin. Plugins that failed keep restarting in the background.
    @discardableResult
    public func start() -> [String: PluginFault] {
        let problems = Mutex<[String: PluginFault]>([:])
        let names = bound
        DispatchQueue.concurrentPerform(iterations: names.count) { i in
            let name = names[i]
            var fault: PluginFault?
            switch hosts[name] {
            case .stdio(let p): fault = p.start()
            case .builtin(let b): fault = b.load(from: models)
            case .unavailable(let f): fault = f
            case nil: fault = nil
            }
            if let fault { problems.withLock { $0[name] = fault } }
        }
        return problems.withLock { $0 }
    }

    /// Shuts the stdio plugins down.
    public func stop() {
        for case .stdio(let p) in hosts.values { p.stop() }
    }

    public func status(_ plugin: String) -> PluginStatus {
        switch hosts[plugin] {
        case .stdio(let p): return p.status
        case .builtin(let b): return b.status
        case .unavailable(let f):
            return PluginStatus(
                state: .unavailable, modelVersion: nil, failures: 0, restarts: 0, lastFault: f, pid: nil)
        case nil:
            return PluginStatus(
                state: .unavailable, modelVersion: nil, failures: 0, restarts: 0,
                lastFault: PluginFault(.unavailable, "no manifest"), pid: nil)
        }
    }

    // MARK: ModelOutputs

    public func values(for batch: ModelBatch) -> [[Value?]] { answer(for: batch).columns }

    public func modelVersion(plugin: String) -> String? {
        switch hosts[plugin] {
        case .stdio(let p): p.modelVersion
        case .builtin(let b): b.modelVersion
        default: nil
        }
    }

    public func answer(for batch: ModelBatch) -> ModelAnswer {
        var answer = ModelAnswer(
            columns: batch.calls.indices.map { Array(repeating: nil, count: batch.rows($0)) },
            faults: Array(repeating: nil, count: batch.calls.count),
            versions: Array(repeating: nil, count: batch.calls.count))
        var groups: [(plugin: String, calls: [Int])] = []
        for (c, call) in batch.calls.enumerated() {
            if let g = groups.firstIndex(where: { $0.plugin == call.plugin }) {
                groups[g].calls.append(c)
            } else {
                groups.append((call.plugin, [c]))
            }
        }
        let parts = Mutex<[Int: (ModelAnswer, [Int])]>([:])
        let fixed = groups
        let run: @Sendable (Int) -> Void = { g in
            let (plugin, calls) = fixed[g]
            let part = self.ask(plugin, batch: batch, calls: calls)
            parts.withLock { $0[g] = (part, calls) }
        }
        if groups.count == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: groups.count, execute: run) }
        for (part, calls) in parts.withLock({ Array($0.values) }) {
            for (k, c) in calls.enumerated() {
                answer.columns[c] = part.columns[k]
                answer.faults[c] = part.faults[k]
                answer.versions[c] = part.versions[k]
            }
        }
        return answer
    }

    /// The request of one plugin's calls: function names without the namespace, arguments by name.
    func request(_ m: PluginManifest, batch: ModelBatch, calls: [Int]) throws(PluginFault) -> (
        PredictRequest, [ModelFunction]
    ) {
        var out: [PredictRequest.Call] = []
        var functions: [ModelFunction] = []
        for c in calls {
            let call = batch.calls[c]
            let name = String(call.function.split(separator: ".").last ?? "")
            guard let fn = m.functions.first(where: { $0.name == name }) else {
                throw PluginFault(.unavailable, "\(m.name) does not declare '\(name)'")
            }
            let named = fn.parameters.filter { $0.type != .item }
            var args: [String: Value] = [:]
            for (p, v) in zip(named, call.arguments) { args[p.name] = v }
            out.append(PredictRequest.Call(function: name, arguments: args, perItem: call.perItem))
            functions.append(fn)
        }
        return (PredictRequest(customerID: batch.customerID, skus: batch.skus, calls: out), functions)
    }

    private func ask(_ plugin: String, batch: ModelBatch, calls: [Int]) -> ModelAnswer {
        let rows = calls.map { batch.rows($0) }
        func failed(_ f: PluginFault, version: String? = nil) -> ModelAnswer {
            ModelAnswer(
                columns: rows.map { Array(repeating: nil, count: $0) }, faults: calls.map { _ in "\(plugin) \(f)" },
                versions: calls.map { _ in version })
        }
        guard let m = manifests[plugin], let host = hosts[plugin] else {
            return failed(PluginFault(.unavailable, "no manifest"))
        }
        let request: PredictRequest
        let functions: [ModelFunction]
        do { (request, functions) = try self.request(m, batch: batch, calls: calls) } catch { return failed(error) }
        switch host {
        case .unavailable(let f): return failed(f)
        case .builtin(let b):
            let version = b.modelVersion
            do {
                let columns = try b.predict(request)
                guard columns.count == calls.count, zip(columns, rows).allSatisfy({ $0.count == $1 }) else {
                    return failed(PluginFault(.badValue, "answered columns of the wrong size"), version: version)
                }
                return ModelAnswer(
                    columns: columns, faults: calls.map { _ in nil }, versions: calls.map { _ in version })
            } catch let f as PluginFault {
                return failed(f, version: version)
            } catch {
                return failed(PluginFault(.pluginError, "\(error)"), version: version)
            }
        case .stdio(let p):
            return StdioPredict(plugin: p, request: request, functions: functions).run(faultPrefix: plugin)
        }
    }

    // MARK: Training

    /// Trains a plugin on the store and makes the new snapshot current; returns its version.
    public func train(_ plugin: String, on store: StoreData, timeout: Duration = .seconds(600)) async throws -> String {
        guard let m = manifests[plugin], let host = hosts[plugin] else {
            throw PluginFault(.unavailable, "no plugin named '\(plugin)'")
        }
        switch host {
        case .unavailable(let f): throw f
        case .builtin(let b):
            let snapshot = try await b.train(on: store)
            try b.use(snapshot)
            return try models.save(snapshot, plugin: plugin, pluginVersion: m.version).version
        case .stdio(let p):
            if case .stopped = p.status.state { p.start() }
            let staging = try models.staging(plugin)
            let data = NSTemporaryDirectory() + "promo-store-\(getpid())-\(UInt64(Date().timeIntervalSince1970 * 1e6))"
            let files = try store.write(folder: data)
            defer { try? FileManager.default.removeItem(atPath: data) }
            let params = JSON.object([
                ("data", .object(files.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) })),
                ("currency", .string(store.currency)), ("snapshot_dir", .string(staging)),
            ])
            switch p.call("train", params, timeout: timeout) {
            case .failure(let f):
                try? FileManager.default.removeItem(atPath: staging)
                throw f
            case .success(let result):
                guard let version = result["model_version"]?.string else {
                    throw PluginFault(.badValue, "train answered without a model_version")
                }
                try? FileManager.default.removeItem(atPath: data)
                let info = try models.commit(
                    staging: staging, plugin: plugin, version: version, pluginVersion: m.version)
                p.use(snapshot: info.path, modelVersion: version)
                return version
            }
        }
    }

    /// Asks a plugin how it is (`health`); an in-process plugin answers from its status.
    public func health(_ plugin: String) -> Result<JSON, PluginFault> {
        switch hosts[plugin] {
        case .stdio(let p): return p.call("health", .null)
        case .builtin(let b):
            let s = b.status
            return .success(
                .object([
                    ("status", .string(s.state.rawValue)), ("model_version", s.modelVersion.map(JSON.string) ?? .null),
                ]))
        case .unavailable(let f): return .failure(f)
        case nil: return .failure(PluginFault(.unavailable, "no plugin named '\(plugin)'"))
        }
    }

    /// Sends outcomes to an online learner (`feedback`): e.g. units sold, offers taken.
    /// An in-process plugin's updated model is saved as the new current snapshot before it serves,
    /// so what it learnt survives a restart; the answer carries the new `model_version`.
    public func feedback(_ plugin: String, outcomes: [JSON]) -> Result<JSON, PluginFault> {
        switch hosts[plugin] {
        case .stdio(let p):
            if case .stopped = p.status.state { p.start() }
            return p.call("feedback", .object([("outcomes", .array(outcomes))]))
        case .builtin(let b):
            do {
                let version = try b.feedback(outcomes, saving: models)
                return .success(
                    .object([("model_version", .string(version)), ("accepted", .number(Double(outcomes.count)))]))
            } catch let f as PluginFault {
                return .failure(f)
            } catch {
                return .failure(PluginFault(.pluginError, "\(error)"))
            }
        case .unavailable(let f): return .failure(f)
        case nil: return .failure(PluginFault(.unavailable, "no plugin named '\(plugin)'"))
        }
    }
}

/// One `predict` request to a stdio plugin, split at `max_batch` items, within one deadline.
struct StdioPredict {
    let plugin: StdioPlugin
    let request: PredictRequest
    let functions: [ModelFunction]

    func run(faultPrefix: String) -> ModelAnswer {
        let calls = request.calls.count
        var columns: [[Value?]] = request.calls.indices.map { Array(repeating: nil, count: request.rows($0)) }
        var faults: [String?] = Array(repeating: nil, count: calls)
        let end = ContinuousClock.now + plugin.deadline
        let perItem = request.calls.contains { $0.perItem }
        let chunk = max(1, plugin.maxBatch)
        var start = 0
        var first = true
        repeat {
            let stop = perItem ? min(request.skus.count, start + chunk) : 0
            // Per-customer calls go with the first chunk only.
            let which = request.calls.indices.filter { request.calls[$0].perItem || first }
            let items = perItem ? Array(request.skus[start..<stop]) : []
            let params = JSON.object([
                ("customer", .string(request.customerID)),
                ("items", .array(items.map { .string($0) })),
                (
                    "calls",
                    .array(
                        which.map { c in
                            let call = request.calls[c]
                            return .object([
                                ("function", .string(call.function)),
                                ("per", .string(functions[c].per.rawValue)),
                                (
                                    "args",
                                    .object(
                                        call.arguments.sorted { $0.key < $1.key }.map {
                                            ($0.key, WireValues.json($0.value))
                                        })
                                ),
                            ])
                        })
                ),
            ])
            let left = ContinuousClock.now.duration(to: end)
            let result =
                left > .zero
                ? plugin.call("predict", params, timeout: left, stated: plugin.deadline)
                : .failure(
                    PluginFault(
                        .deadline, "no time left within \(plugin.deadline.milliseconds) ms for items \(start)..."))
            switch result {
            case .failure(let f):
                for c in which { faults[c] = "\(faultPrefix) \(f)" }
            case .success(let answer):
                guard let cols = answer["columns"]?.array, cols.count == which.count else {
                    let f = PluginFault(
                        .badValue,
                        "predict must answer {\"columns\": [...]} with \(which.count) columns; it answered \(answer.text.prefix(120))"
                    )
                    plugin.reportBadAnswer(f)
                    for c in which { faults[c] = "\(faultPrefix) \(f)" }
                    break
                }
                for (k, c) in which.enumerated() {
                    let rows = request.calls[c].perItem ? items.count : 1
                    do {
                        let values = try WireValues.column(cols[k], rows: rows, as: functions[c].result)
                        if request.calls[c].perItem {
                            columns[c].replaceSubrange(start..<start + rows, with: values)
                        } else {
                            columns[c] = values
                        }
                    } catch {
                        let f = PluginFault(.badValue, "\(request.calls[c].function): \(error.message)")
                        plugin.reportBadAnswer(f)
                        faults[c] = "\(faultPrefix) \(f)"
                        columns[c] = Array(repeating: nil, count: request.rows(c))
                    }
                }
            }
            first = false
            start = stop
        } while perItem && start < request.skus.count
        let version = plugin.modelVersion
        return ModelAnswer(columns: columns, faults: faults, versions: Array(repeating: version, count: calls))
    }
}

/// An in-process plugin and its loaded snapshot.
public final class BuiltinHost: Sendable {
    let manifest: PluginManifest
    let type: any ModelPlugin.Type
    let settings: [String: String]
    private let loaded = Mutex<(model: any ModelPlugin, version: String?)?>(nil)
    private let problem = Mutex<PluginFault?>(nil)

    init(manifest: PluginManifest, type: any ModelPlugin.Type, settings: [String: JSON]) {
        self.manifest = manifest
        self.type = type
        var s: [String: String] = [:]
        for setting in manifest.settings { if let d = setting.defaultValue { s[setting.name] = d } }
        for (k, v) in settings { s[k] = v.string ?? v.text }
        self.settings = s
    }

    /// Loads the current snapshot; an untrained plugin answers nothing until trained.
    func load(from store: SnapshotStore) -> PluginFault? {
        if let refusal = store.current(manifest.name)?.refusal(plugin: manifest.name, version: manifest.version) {
            problem.withLock { $0 = refusal }
            return refusal
        }
        do {
            guard let snapshot = try store.load(manifest.name) else {
                // Untrained: calls fail with a fault that says what to do, until `train`.
                problem.withLock {
                    $0 = PluginFault(.unavailable, "not trained yet: run `promo train \(manifest.name)`")
                }
                return nil
            }
            try use(snapshot)
            return nil
        } catch {
            let f = PluginFault(.refused, "\(manifest.name): \(error)")
            problem.withLock { $0 = f }
            return f
        }
    }

    func use(_ snapshot: ModelSnapshot) throws {
        var model = type.init(settings: settings)
        try model.load(snapshot)
        loaded.withLock { $0 = (model, snapshot.version) }
        problem.withLock { $0 = nil }
    }

    func train(on store: StoreData) async throws -> ModelSnapshot {
        try await type.init(settings: settings).train(on: store)
    }

    func predict(_ request: PredictRequest) throws -> [[Value?]] {
        guard let model = loaded.withLock({ $0?.model }) else {
            throw problem.withLock { $0 } ?? PluginFault(.unavailable, "not loaded")
        }
        return try model.predict(request)
    }

    /// One feedback at a time: the model is updated on a copy, saved, then swapped in.
    private let learning = Mutex(())

    func feedback(_ outcomes: [JSON], saving store: SnapshotStore) throws -> String {
        try learning.withLock { _ in
            if loaded.withLock({ $0 == nil }), let f = load(from: store) { throw f }
            guard var model = loaded.withLock({ $0?.model }) else {
                throw problem.withLock { $0 } ?? PluginFault(.unavailable, "not loaded")
            }
            let snapshot = try model.feedback(outcomes)
            let info = try store.save(snapshot, plugin: manifest.name, pluginVersion: manifest.version)
            let updated = model
            loaded.withLock { $0 = (updated, snapshot.version) }
            return info.version
        }
    }

    var modelVersion: String? { loaded.withLock { $0?.version } }

    var status: PluginStatus {
        if let f = problem.withLock({ $0 }) {
            return PluginStatus(
                state: f.kind == .refused ? .refused : .unavailable, modelVersion: nil, failures: 0, restarts: 0,
                lastFault: f, pid: nil)
        }
        let state = loaded.withLock { $0 }
        return PluginStatus(
            state: state == nil ? .stopped : .ready, modelVersion: state?.version, failures: 0, restarts: 0,
            lastFault: nil, pid: nil)
    }
}
