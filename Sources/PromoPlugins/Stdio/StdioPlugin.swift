import Dispatch
import Foundation
public import Logging
public import PromoDSL
import Synchronization

/// How a stdio plugin is kept running: restarts with exponential backoff after a crash or hang,
/// and a circuit breaker that keeps it off for a while after repeated failures.
public struct RestartPolicy: Sendable, Hashable {
    /// The wait before the first restart; doubled after each further failure in a row.
    public var initialBackoff: Duration = .milliseconds(100)
    public var maxBackoff: Duration = .seconds(10)
    /// Failures in a row (crashes, hangs, deadlines, bad answers, failed starts) that open the circuit.
    public var failuresToOpen = 5
    /// How long an open circuit keeps the plugin off before one new start is tried.
    public var openFor: Duration = .seconds(30)
    /// The limit for starting the process and completing the handshake.
    public var startTimeout: Duration = .seconds(10)
    /// How long a cancelled call may stay unanswered before the plugin counts as hung and is killed.
    public var hangGrace: Duration = .seconds(2)

    public init() {}
}

/// What `promo plugins list` and health checks report about a plugin.
public struct PluginStatus: Sendable, Hashable, CustomStringConvertible {
    public enum State: String, Sendable, Hashable {
        case ready, starting, restarting, circuitOpen = "circuit open", refused, unavailable, stopped
    }
    public var state: State
    /// The model version the plugin reported (handshake or training).
    public var modelVersion: String?
    /// Failures in a row since the last good answer.
    public var failures: Int
    public var restarts: Int
    public var lastFault: PluginFault?
    public var pid: Int32?

    public var description: String {
        var s = state.rawValue
        if failures > 0 { s += " (\(failures) failures in a row)" }
        if let f = lastFault, state != .ready { s += f.kind.rawValue == state.rawValue ? ": \(f.message)" : ": \(f)" }
        return s
    }
}

/// A model plugin that runs as its own process and speaks the stdio protocol
/// (docs/plugin-protocol.md): JSON-RPC 2.0, one message per line.
///
/// Calls are synchronous with a deadline: on expiry the call is cancelled and fails with a
/// `deadline` fault, so a decision never waits longer than the plugin's deadline. A crashed or
/// hung process is restarted in the background with backoff; while it is down, calls fail at once.
///
/// ```swift
/// let plugin = StdioPlugin(manifest: m, directory: "plugins/python-moving-average", logger: logger)
/// if let fault = plugin.start() { print(fault) }
/// let answer = plugin.call("health", .null)
/// ```
public final class StdioPlugin: Sendable {
    public static let protocolVersion = 1

    public let manifest: PluginManifest
    let directory: String
    let arguments: [String]
    let environment: [String: String]
    public let deadline: Duration
    public let maxBatch: Int
    let settings: JSON
    let policy: RestartPolicy
    let logger: Logger
    private let state: Mutex<State>

    enum Phase {
        case stopped
        case starting
        case ready(Connection)
        case backoff(until: ContinuousClock.Instant, after: PluginFault)
        case circuitOpen(until: ContinuousClock.Instant, after: PluginFault)
        case refused(PluginFault)
    }

    struct State {
        var phase: Phase = .stopped
        var snapshot: String?
        var modelVersion: String?
        var failures = 0
        var restarts = 0
        var lastFault: PluginFault?
        /// Bumped at each start, so that late events of an old connection are ignored.
        var generation = 0
    }

    /// - Parameters:
    ///   - directory: the plugin's folder; the command runs there unless the manifest names a
    ///     `working_directory` (relative to the folder).
    ///   - snapshot: the snapshot folder to load at start (`initialize`'s `snapshot`).
    public init(
        manifest: PluginManifest, directory: String, snapshot: String? = nil, settings: [String: JSON] = [:],
        policy: RestartPolicy = RestartPolicy(), logger: Logger = Logger(label: "promo.plugins")
    ) {
        self.manifest = manifest
        var args: [String] = []
        var dir = directory
        var env = ProcessInfo.processInfo.environment
        var deadline = Duration.milliseconds(100)
        var maxBatch = 1000
        if case .command(let a, let wd, let e, let ms, let mb) = manifest.runtime {
            args = a
            if let wd { dir = wd.hasPrefix("/") ? wd : (directory as NSString).appendingPathComponent(wd) }
            env.merge(e) { $1 }
            deadline = .milliseconds(ms)
            maxBatch = mb
        }
        env["PROMO_PLUGIN_NAME"] = manifest.name
        self.directory = (dir as NSString).standardizingPath
        self.arguments = args
        self.environment = env
        self.deadline = deadline
        self.maxBatch = maxBatch
        var all: [(String, JSON)] = manifest.settings.map { s in
            (s.name, s.defaultValue.map { JSON.string($0) } ?? .null)
        }
        for (k, v) in settings.sorted(by: { $0.key < $1.key }) {
            if let i = all.firstIndex(where: { $0.0 == k }) { all[i].1 = v } else { all.append((k, v)) }
        }
        self.settings = .object(all)
        self.policy = policy
        self.logger = logger
        self.state = Mutex(State(snapshot: snapshot))
    }

    deinit {
        if case .ready(let c) = state.withLock({ $0.phase }) { c.close(PluginFault(.unavailable, "stopped")) }
    }

    // MARK: Starting

    /// Starts the process and completes the handshake, waiting at most `policy.startTimeout`.
    /// Returns why it could not (the plugin is then restarting or refused).
    @discardableResult
    public func start() -> PluginFault? {
        let generation = state.withLock { s -> Int in
            s.generation += 1
            s.phase = .starting
            return s.generation
        }
        return launch(generation)
    }

    private func launch(_ generation: Int) -> PluginFault? {
        let snapshot = state.withLock { $0.snapshot }
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(arguments: arguments, directory: directory, environment: environment)
        } catch {
            return failed(error, generation: generation, restart: true)
        }
        let connection = Connection(child: child, plugin: manifest.name, logger: logger) { [weak self] c, event in
            self?.connectionEvent(c, event, generation: generation)
        }
        connection.start()
        var params: [(String, JSON)] = [
            ("protocol_version", .number(Double(Self.protocolVersion))), ("plugin", .string(manifest.name)),
            ("settings", settings),
        ]
        params.append(("snapshot", snapshot.map { .string($0) } ?? .null))
        let answer = connection.call("initialize", .object(params), timeout: policy.startTimeout)
        let result: JSON
        switch answer {
        case .failure(let f):
            connection.close(
                f.kind == .deadline ? PluginFault(.unavailable, "no handshake within \(policy.startTimeout)") : nil)
            let stderr = f.kind == .crashed ? f.message : f.description
            return failed(
                PluginFault(.unavailable, "the handshake failed: \(stderr)"), generation: generation, restart: true)
        case .success(let r): result = r
        }
        if let refusal = checkHandshake(result) {
            connection.close(refusal)
            state.withLock { s in
                s.phase = .refused(refusal)
                s.lastFault = refusal
            }
            logger.error("\(refusal.message)", metadata: ["plugin": "\(manifest.name)"])
            return refusal
        }
        connection.notify("initialized", .object([]))
        let current = state.withLock { s -> Bool in
            guard s.generation == generation else { return false }
            s.phase = .ready(connection)
            s.modelVersion = result["model_version"]?.string
            return true
        }
        if !current {
            connection.close(PluginFault(.unavailable, "superseded"))
            return nil
        }
        logger.info(
            "started (pid \(child.pid), model \(result["model_version"]?.string ?? "untrained"))",
            metadata: ["plugin": "\(manifest.name)"])
        return nil
    }

    /// A refusal when the handshake's protocol version or functions disagree with the manifest.
    func checkHandshake(_ result: JSON) -> PluginFault? {
        let where_ = manifest.span.location.description
        guard let version = result["protocol_version"]?.int else {
            return PluginFault(.refused, "\(where_): error: the plugin's initialize answer has no protocol_version")
        }
        guard version == Self.protocolVersion else {
            return PluginFault(
                .refused,
                "\(where_): error: the plugin speaks protocol version \(version); this engine speaks version \(Self.protocolVersion)"
            )
        }
        guard let served = result["functions"]?.array else {
            return PluginFault(.refused, "\(where_): error: the plugin's initialize answer lists no functions")
        }
        var problems: [String] = []
        var servedByName: [String: JSON] = [:]
        for f in served { if let n = f["name"]?.string { servedByName[n] = f } }
        for f in manifest.functions {
            let at = (f.span ?? manifest.span).location.description
            guard let s = servedByName.removeValue(forKey: f.name) else {
                problems.append("\(at): error: the manifest declares '\(f.name)' but the plugin does not serve it")
                continue
            }
            let expected = WireValues.json(f)
            for key in ["params", "result", "per"] where s[key] != expected[key] {
                problems.append(
                    "\(at): error: '\(f.name)' \(key) differ: the manifest says \(expected[key]?.text ?? "nothing"), the plugin says \(s[key]?.text ?? "nothing")"
                )
            }
        }
        for name in servedByName.keys.sorted() {
            problems.append("\(where_): error: the plugin serves '\(name)', which the manifest does not declare")
        }
        guard problems.isEmpty else {
            return PluginFault(
                .refused, "the handshake disagrees with the manifest:\n" + problems.joined(separator: "\n"))
        }
        return nil
    }

    // MARK: Failures

    /// Notes a failure; kills the connection and schedules a restart when `restart`, or opens the
    /// circuit after too many in a row.
    @discardableResult
    private func failed(_ fault: PluginFault, generation: Int, restart: Bool, connection: Connection? = nil)
        -> PluginFault
    {
        enum Next { case none, retry(Duration) }
        var toClose: Connection?
        let next = state.withLock { s -> Next in
            guard s.generation == generation else { return .none }
            if case .stopped = s.phase { return .none }
            if case .refused = s.phase { return .none }
            s.failures += 1
            s.lastFault = fault
            if s.failures >= policy.failuresToOpen {
                if case .ready(let c) = s.phase { toClose = c }
                s.phase = .circuitOpen(until: .now + policy.openFor, after: fault)
                return .retry(policy.openFor)
            }
            guard restart else { return .none }
            if case .ready(let c) = s.phase { toClose = c }
            var wait = policy.initialBackoff
            for _ in 1..<s.failures where wait < policy.maxBackoff { wait *= 2 }
            wait = min(wait, policy.maxBackoff)
            s.phase = .backoff(until: .now + wait, after: fault)
            return .retry(wait)
        }
        toClose?.close(PluginFault(fault.kind, fault.message))
        if case .retry(let wait) = next {
            logger.warning(
                "\(fault); restarting in \(wait.milliseconds) ms", metadata: ["plugin": "\(manifest.name)"])
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(wait.milliseconds))) {
                [weak self] in self?.restart(after: generation)
            }
        }
        return fault
    }

    private func restart(after generation: Int) {
        let next = state.withLock { s -> Int? in
            guard s.generation == generation else { return nil }
            switch s.phase {
            case .backoff, .circuitOpen:
                s.generation += 1
                s.restarts += 1
                s.phase = .starting
                return s.generation
            default: return nil
            }
        }
        if let next { _ = launch(next) }
    }

    private func connectionEvent(_ c: Connection, _ event: Connection.Event, generation: Int) {
        switch event {
        case .closed(let fault):
            let isCurrent = state.withLock { s -> Bool in
                if case .ready(let current) = s.phase { return current === c }
                return false
            }
            if isCurrent { failed(fault, generation: generation, restart: true) }
        case .malformed(let fault):
            failed(fault, generation: generation, restart: false)
        }
    }

    // MARK: Calls

    /// Sends `method` and waits for the answer, at most `timeout` (default: the manifest's deadline).
    /// Fails at once while the plugin is restarting, kept off or refused.
    public func call(_ method: String, _ params: JSON, timeout: Duration? = nil, stated: Duration? = nil)
        -> Result<JSON, PluginFault>
    {
        let (phase, generation) = state.withLock { ($0.phase, $0.generation) }
        let connection: Connection
        switch phase {
        case .ready(let c): connection = c
        case .stopped: return .failure(PluginFault(.unavailable, "not started"))
        case .starting: return .failure(PluginFault(.restarting, "starting"))
        case .refused(let f): return .failure(f)
        case .backoff(let until, let after):
            let ms = max(0, ContinuousClock.now.duration(to: until).milliseconds)
            return .failure(PluginFault(.restarting, "restarting in \(ms) ms after \(after)"))
        case .circuitOpen(let until, let after):
            let s = max(0, ContinuousClock.now.duration(to: until).milliseconds) / 1000
            return .failure(
                PluginFault(
                    .circuitOpen,
                    "kept off for \(s) s more after \(policy.failuresToOpen) failures in a row; last: \(after)"))
        }
        let limit = timeout ?? deadline
        let result = connection.call(method, params, timeout: limit, stated: stated)
        switch result {
        case .success: state.withLock { if $0.generation == generation { $0.failures = 0 } }
        case .failure(let f) where f.kind == .deadline:
            failed(f, generation: generation, restart: false)
            // A plugin that does not even answer the cancel is hung: kill it and restart.
            let sent = ContinuousClock.now
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(policy.hangGrace.milliseconds))) {
                [weak self] in
                guard let self, connection.unansweredCancels(before: sent) > 0, !connection.isClosed else { return }
                self.failed(
                    PluginFault(
                        .crashed, "hung: a cancelled call stayed unanswered for \(self.policy.hangGrace); killed"),
                    generation: generation, restart: true)
            }
        case .failure(let f) where f.kind == .pluginError:
            failed(f, generation: generation, restart: false)
        case .failure: break  // crashes and malformed lines are reported by the connection itself
        }
        return result
    }

    /// Counts an answer that arrived but could not be used (wrong shape or type) as a failure.
    public func reportBadAnswer(_ fault: PluginFault) {
        let generation = state.withLock { $0.generation }
        failed(fault, generation: generation, restart: false)
    }

    /// Sets the snapshot the next start loads (after `promo train`).
    public func use(snapshot: String?, modelVersion: String?) {
        state.withLock {
            $0.snapshot = snapshot
            if let modelVersion { $0.modelVersion = modelVersion }
        }
    }

    public var modelVersion: String? { state.withLock { $0.modelVersion } }

    public var status: PluginStatus {
        state.withLock { s in
            var st = PluginStatus(
                state: .stopped, modelVersion: s.modelVersion, failures: s.failures, restarts: s.restarts,
                lastFault: s.lastFault, pid: nil)
            switch s.phase {
            case .stopped: st.state = .stopped
            case .starting: st.state = .starting
            case .ready(let c):
                st.state = .ready
                st.pid = c.child.pid
            case .backoff: st.state = .restarting
            case .circuitOpen: st.state = .circuitOpen
            case .refused(let f):
                st.state = .refused
                st.lastFault = f
            }
            return st
        }
    }

    /// Asks the plugin to shut down and stops restarting it.
    public func stop() {
        let connection = state.withLock { s -> Connection? in
            defer { s.phase = .stopped }
            if case .ready(let c) = s.phase { return c }
            return nil
        }
        connection?.shutdown()
    }
}
