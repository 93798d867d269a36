import Dispatch
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One running incarnation of a stdio plugin: its process, the calls waiting for answers, and the
/// threads that read its stdout (JSON-RPC answers) and stderr (log lines).
final class Connection: Sendable {
    /// Limits on what a plugin may send: one line at most `maxLine` bytes.
    static let maxLine = 16 << 20

    let child: ChildProcess
    let plugin: String
    let logger: Logger
    private let state = Mutex(State())
    private let writeLock = Mutex(())
    /// Tells the supervisor that the connection ended (with why) or misbehaved.
    private let events: @Sendable (Connection, Event) -> Void

    enum Event: Sendable {
        case closed(PluginFault)
        case malformed(PluginFault)
    }

    struct State {
        var nextID = 1
        var pending: [Int: Pending] = [:]
        /// Calls that timed out and were cancelled, still unanswered.
        var cancelled: [Int: ContinuousClock.Instant] = [:]
        var closed: PluginFault?
        /// The last protocol violation that did not end the connection (an answer to an unknown id).
        var violation: String?
        var unknownAnswers = 0
        var stderrTail: [String] = []
    }

    final class Pending: Sendable {
        let semaphore = DispatchSemaphore(value: 0)
        let result = Mutex<Result<JSON, PluginFault>?>(nil)

        func deliver(_ r: Result<JSON, PluginFault>) {
            let first = result.withLock { slot -> Bool in
                guard slot == nil else { return false }
                slot = r
                return true
            }
            if first { semaphore.signal() }
        }
    }

    init(child: ChildProcess, plugin: String, logger: Logger, events: @escaping @Sendable (Connection, Event) -> Void) {
        self.child = child
        self.plugin = plugin
        self.logger = logger
        self.events = events
    }

    /// Starts the reader threads.
    func start() {
        let out = Thread { [self] in
            LineReader.run(
                fd: child.stdout, limit: Connection.maxLine, line: { self.received($0) },
                tooLong: {
                    self.close(PluginFault(.malformed, "a line on stdout longer than \(Connection.maxLine >> 20) MiB"))
                })
            Glibc.close(self.child.stdout)
            self.close(nil)
        }
        out.name = "plugin \(plugin) stdout"
        out.start()
        let err = Thread { [self] in
            LineReader.run(
                fd: child.stderr, limit: 1 << 20,
                line: { bytes in
                    let text = String(decoding: bytes.prefix(4096), as: UTF8.self)
                    self.state.withLock {
                        $0.stderrTail.append(text)
                        if $0.stderrTail.count > 5 { $0.stderrTail.removeFirst() }
                    }
                    self.logger.info("\(text)", metadata: ["plugin": "\(self.plugin)"])
                }, tooLong: {})
            Glibc.close(self.child.stderr)
        }
        err.name = "plugin \(plugin) stderr"
        err.start()
    }

    var isClosed: Bool { state.withLock { $0.closed != nil } }

    /// Ids of cancelled calls still unanswered since before `instant`.
    func unansweredCancels(before instant: ContinuousClock.Instant) -> Int {
        state.withLock { s in s.cancelled.values.filter { $0 <= instant }.count }
    }

    // MARK: Calls

    /// Sends a request and waits for its answer until `timeout`; on expiry sends `$/cancel`.
    /// `stated` is the deadline the fault names when `timeout` is what is left of it.
    func call(_ method: String, _ params: JSON, timeout: Duration, stated: Duration? = nil) -> Result<JSON, PluginFault>
    {
        let deadline = ContinuousClock.now + timeout
        let pending = Pending()
        let opened: Result<Int, PluginFault> = state.withLock { s in
            if let f = s.closed { return .failure(f) }
            let id = s.nextID
            s.nextID += 1
            s.pending[id] = pending
            return .success(id)
        }
        let id: Int
        switch opened {
        case .failure(let f): return .failure(f)
        case .success(let i): id = i
        }
        let message = JSON.object([
            ("jsonrpc", .string("2.0")), ("id", .number(Double(id))), ("method", .string(method)), ("params", params),
        ])
        if let problem = send(message, deadline: deadline) {
            _ = state.withLock { $0.pending.removeValue(forKey: id) }
            return .failure(PluginFault(.crashed, problem))
        }
        let left = ContinuousClock.now.duration(to: deadline)
        let wait = DispatchTime.now() + .nanoseconds(Int(max(0, left.milliseconds)) * 1_000_000)
        if pending.semaphore.wait(timeout: wait) == .timedOut {
            let stillWaiting = state.withLock { s -> Bool in
                guard s.pending.removeValue(forKey: id) != nil else { return false }
                s.cancelled[id] = .now
                return true
            }
            if stillWaiting {
                _ = send(
                    .object([
                        ("jsonrpc", .string("2.0")), ("method", .string("$/cancel")),
                        ("params", .object([("id", .number(Double(id)))])),
                    ]),
                    deadline: .now + .milliseconds(5))
                let violation = state.withLock { $0.violation }
                return .failure(
                    PluginFault(
                        .deadline,
                        "no answer within \((stated ?? timeout).milliseconds) ms; the call was cancelled"
                            + (violation.map { " (the plugin \($0))" } ?? "")))
            }
            // The answer arrived as the wait ended.
        }
        return pending.result.withLock { $0 ?? .failure(PluginFault(.crashed, "no answer")) }
    }

    /// Sends a notification (no answer expected).
    func notify(_ method: String, _ params: JSON) {
        _ = send(
            .object([("jsonrpc", .string("2.0")), ("method", .string(method)), ("params", params)]),
            deadline: .now + .milliseconds(50))
    }

    private func send(_ message: JSON, deadline: ContinuousClock.Instant) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(512)
        message.write(into: &bytes)
        bytes.append(0x0A)
        return writeLock.withLock { _ in child.write(bytes, deadline: deadline) }
    }

    // MARK: Reading

    private func received(_ line: UnsafeBufferPointer<UInt8>) {
        if line.isEmpty { return }
        let message: JSON
        do {
            message = try JSON.parse(bytes: line)
        } catch {
            malformed(line, "\(error)")
            return
        }
        guard case .object = message else { return malformed(line, "a message must be a JSON object") }
        if let method = message["method"]?.string {
            if method == "log", let text = message["params"]?["message"]?.string {
                logger.info("\(text)", metadata: ["plugin": "\(plugin)"])
            }
            return
        }
        guard let id = message["id"]?.int else { return malformed(line, "an answer without a numeric id") }
        let outcome: Result<JSON, PluginFault>
        if let result = message["result"] {
            outcome = .success(result)
        } else if let error = message["error"] {
            let text = error["message"]?.string ?? error.text
            outcome = .failure(PluginFault(.pluginError, text + (error["code"]?.int.map { " (code \($0))" } ?? "")))
        } else {
            return malformed(line, "an answer with neither result nor error")
        }
        let pending = state.withLock { s -> Pending? in
            if let p = s.pending.removeValue(forKey: id) { return p }
            if s.cancelled.removeValue(forKey: id) != nil { return nil }
            s.unknownAnswers += 1
            s.violation = "answered request \(id), which was not asked or already answered"
            return nil
        }
        if let pending {
            pending.deliver(outcome)
        } else if state.withLock({ $0.unknownAnswers }) <= 10 {
            logger.warning("answer to unknown request id \(id) ignored", metadata: ["plugin": "\(plugin)"])
        }
    }

    /// A line that is not a protocol message: the call it names (or every waiting call) fails.
    private func malformed(_ line: UnsafeBufferPointer<UInt8>, _ why: String) {
        let excerpt = String(decoding: line.prefix(120), as: UTF8.self)
        let fault = PluginFault(.malformed, "\(why) in: \(excerpt)")
        logger.warning("malformed line: \(fault.message)", metadata: ["plugin": "\(plugin)"])
        let id = Connection.guessID(line)
        let victims = state.withLock { s -> [Pending] in
            if let id, let p = s.pending.removeValue(forKey: id) { return [p] }
            let all = Array(s.pending.values)
            s.pending.removeAll()
            return all
        }
        events(self, .malformed(fault))  // counted before the caller hears of it
        for p in victims { p.deliver(.failure(fault)) }
    }

    /// The id of a broken message, when `"id": N` can be found in it.
    static func guessID(_ line: UnsafeBufferPointer<UInt8>) -> Int? {
        let text = String(decoding: line, as: UTF8.self)
        guard let r = text.range(of: "\"id\"") else { return nil }
        var digits = ""
        for c in text[r.upperBound...].drop(while: { $0 == " " || $0 == ":" }) {
            guard c.isASCII, c.isNumber else { break }
            digits.append(c)
        }
        return Int(digits)
    }

    // MARK: Ending

    /// Ends the connection: kills the process (if `fault` says why), fails every waiting call,
    /// and tells the supervisor. Idempotent.
    func close(_ fault: PluginFault?) {
        let first = state.withLock { s -> Bool in
            guard s.closed == nil else { return false }
            s.closed = fault ?? PluginFault(.crashed, "closed its output")
            return true
        }
        guard first else { return }
        if fault != nil { child.kill() }
        let how = child.reap(grace: .milliseconds(200))
        let (victims, reason) = state.withLock { s -> ([Pending], PluginFault) in
            let reason =
                fault
                ?? PluginFault(
                    .crashed, "\(how)" + (s.stderrTail.last.map { "; last stderr line: \($0)" } ?? ""))
            s.closed = reason
            let all = Array(s.pending.values)
            s.pending.removeAll()
            return (all, reason)
        }
        Glibc.close(child.stdin)
        // The supervisor learns first, so that a caller who gets this failure already sees the
        // plugin as restarting.
        events(self, .closed(reason))
        for p in victims { p.deliver(.failure(reason)) }
    }

    /// Stops the process deliberately: `shutdown`, then a kill if it does not exit.
    func shutdown() {
        if !isClosed { _ = call("shutdown", .null, timeout: .milliseconds(500)) }
        close(PluginFault(.unavailable, "stopped"))
    }
}
