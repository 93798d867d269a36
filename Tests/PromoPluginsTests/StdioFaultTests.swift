import Foundation
import Logging
import PromoCore
import PromoDSL
import PromoPlugins
import PromoTesting
import Synchronization
import Testing

/// Fault injection: a plugin that crashes, hangs, writes garbage or lies must cost a decision no
/// more than the plugin's deadline, leave the offer to its fallback, be named in the trace, and be
/// restarted or kept off.
@Suite(.serialized) struct StdioFaultTests {
    /// What the supervisor does after the fault.
    enum After: Sendable {
        /// The process keeps serving; the failure is counted.
        case keepsServing
        /// The process is replaced by a new one.
        case restarts
        /// It never gets going: restarted with backoff until the circuit opens.
        case keptOff
        /// Refused for good.
        case refused
    }

    struct Case: Sendable, CustomStringConvertible {
        var mode: String
        var after: After
        /// What the fault in the decision starts with and contains.
        var fault: String
        var detail: String
        /// The plugin's deadline: longer for a flood, which takes a while to write.
        var deadline = 200
        var description: String { mode }
    }

    static let cases: [Case] = [
        Case(
            mode: "crash", after: .restarts, fault: "faulty crashed:",
            detail: "exited with status 3; last stderr line: faulty: crashing mid-call"),
        Case(
            mode: "hang", after: .restarts, fault: "faulty deadline:",
            detail: "no answer within 200 ms; the call was cancelled"),
        Case(
            mode: "malformed", after: .keepsServing, fault: "faulty malformed:",
            detail: "unexpected character at byte 0 in: this is not json {"),
        Case(mode: "nan", after: .keepsServing, fault: "faulty malformed:", detail: "non-finite number"),
        Case(mode: "infinity", after: .keepsServing, fault: "faulty malformed:", detail: "non-finite number"),
        Case(
            mode: "wrong_type", after: .keepsServing, fault: "faulty bad_value:",
            detail: "days_of_cover: row 0: a string where number was expected"),
        Case(
            mode: "wrong_id", after: .keepsServing, fault: "faulty deadline:",
            detail: "answered request 1002, which was not asked"),
        Case(
            mode: "flood", after: .restarts, fault: "faulty malformed:", detail: "a line on stdout longer than 16 MiB",
            deadline: 5000),
        Case(
            mode: "exit_at_start", after: .keptOff, fault: "faulty restarting:",
            detail: "exited with status 1; last stderr line: faulty: refusing to start"),
        Case(
            mode: "protocol_v2", after: .refused, fault: "faulty refused:",
            detail: "the plugin speaks protocol version 2; this engine speaks version 1"),
    ]

    @Test(arguments: cases) func decisionSurvivesTheFault(_ c: Case) async throws {
        let (engine, registry, rules) = try Fixtures.faulty(c.mode, deadline: "\(c.deadline)ms")
        defer { registry.stop() }
        let startProblem = registry.start()["faulty"]
        if c.mode == "exit_at_start" || c.mode == "protocol_v2" { #expect(startProblem != nil) }

        let began = ContinuousClock.now
        let (decision, trace) = engine.decideTraced(
            Fixtures.request(), models: registry, masking: TraceMasking(rules.traceSettings))
        let took = ContinuousClock.now - began
        #expect(took < .milliseconds(c.deadline + 800), "the decision took \(took)")

        // The offer needs the output: it follows its fallback (skip) and says why.
        #expect(decision.chosen.isEmpty)
        #expect(decision.rejected.map(\.reason) == [.modelOutputMissing])
        let used = try #require(decision.modelOutputs.first)
        #expect(used.value == nil)
        let fault = try #require(used.fault)
        #expect(fault.hasPrefix(c.fault), "\(fault)")
        #expect(fault.contains(c.detail), "\(fault)")
        // The trace names the fault.
        #expect(trace.modelOutputs.first?.fault == fault)

        // Then the plugin is kept serving, restarted, or kept off.
        switch c.after {
        case .keepsServing:
            let s = registry.status("faulty")
            #expect(s.state == .ready && s.restarts == 0 && s.failures == 1, "\(s)")
        case .restarts:
            #expect(
                await eventually {
                    registry.status("faulty").restarts >= 1 && registry.status("faulty").state == .ready
                })
        case .keptOff:
            #expect(await eventually { registry.status("faulty").state == .circuitOpen })
            #expect(registry.status("faulty").restarts == 2)
        case .refused:
            #expect(registry.status("faulty").state == .refused)
            try await Task.sleep(for: .milliseconds(300))
            #expect(registry.status("faulty").restarts == 0)
        }
    }

    @Test func aHealthyPluginAnswers() async throws {
        let capture = LogCapture()
        let (engine, registry, _) = try Fixtures.faulty("ok", logger: capture.logger)
        defer { registry.stop() }
        #expect(registry.start().isEmpty)
        let decision = engine.decide(Fixtures.request(), models: registry)
        #expect(decision.chosen.map(\.offer) == ["slow-movers"])
        #expect(decision.modelOutputs.map(\.value) == [.number(100)])
        #expect(decision.modelOutputs.first?.modelVersion == "faulty-1")
        // What the plugin wrote on stderr is in the engine's log, under its name (read by the
        // plugin's stderr reader, which may forward it after the answer has come).
        #expect(await eventually { capture.lines.withLock { $0 }.contains("[faulty] faulty: started with fault ok") })
    }

    @Test func aCrashingPluginIsRestartedThenKeptOff() async throws {
        let (engine, registry, _) = try Fixtures.faulty("crash")
        defer { registry.stop() }
        #expect(registry.start().isEmpty)
        _ = engine.decide(Fixtures.request("d-1"), models: registry)
        // Restarted after the backoff, it crashes again at each call until the circuit opens.
        var seen: [String] = []
        while registry.status("faulty").state != .circuitOpen && seen.count < 10 {
            #expect(await eventually { registry.status("faulty").state == .ready })
            let d = engine.decide(Fixtures.request("d-\(seen.count + 2)"), models: registry)
            seen.append(d.modelOutputs.first?.fault ?? "")
        }
        #expect(seen.count == 2, "the third failure in a row opens the circuit")
        let status = registry.status("faulty")
        #expect(status.state == .circuitOpen)
        #expect(status.restarts >= 2)
        let kept = engine.decide(Fixtures.request("d-kept"), models: registry)
        let fault = kept.modelOutputs.first?.fault ?? ""
        #expect(fault.hasPrefix("faulty circuit_open: kept off for"), "\(fault)")
        #expect(fault.contains("after 3 failures in a row; last: crashed: exited with status 3"), "\(fault)")
        #expect(seen.allSatisfy { $0.hasPrefix("faulty crashed:") })
        // After the open period one new start is tried.
        #expect(await eventually { registry.status("faulty").restarts > status.restarts })
    }

    @Test func aHungPluginIsKilledAndRestarted() async throws {
        let (engine, registry, _) = try Fixtures.faulty("hang")
        defer { registry.stop() }
        #expect(registry.start().isEmpty)
        let pid = registry.status("faulty").pid
        _ = engine.decide(Fixtures.request(), models: registry)
        #expect(
            await eventually { registry.status("faulty").restarts >= 1 && registry.status("faulty").state == .ready })
        #expect(registry.status("faulty").pid != pid)
        let lastFault = registry.status("faulty").lastFault?.description ?? ""
        #expect(lastFault.contains("hung: a cancelled call stayed unanswered"), "\(lastFault)")
        if let pid { #expect(kill(pid, 0) != 0, "the hung process is gone") }
    }

    /// The SDK sees `$/cancel` while a slow call runs, stops, and the plugin stays healthy: the
    /// cancelled call is answered, so it is not taken for hung.
    @Test func theSDKHonoursCancel() async throws {
        let capture = LogCapture()
        let (engine, registry, _) = try Fixtures.faulty(
            "ok", program: "sdk_slow.py", environment: ["PROMO_SDK": PromoTesting.pluginsDirectory + "/sdk/python"],
            logger: capture.logger)
        defer { registry.stop() }
        #expect(registry.start().isEmpty)
        let slow = engine.decide(
            RulesFixture.request([RulesFixture.line("1", "SLOW", 1, 1000)], id: "d-slow"), models: registry)
        #expect(slow.modelOutputs.first?.fault == "faulty deadline: no answer within 200 ms; the call was cancelled")
        #expect(await eventually { capture.lines.withLock { $0 }.contains("[faulty] sdk_slow: cancelled") })
        try await Task.sleep(for: .milliseconds(700))  // past the hang grace
        let s = registry.status("faulty")
        #expect(s.state == .ready && s.restarts == 0, "\(s)")
        let next = engine.decide(Fixtures.request("d-next"), models: registry)
        #expect(next.modelOutputs.first?.value == .number(100))
        #expect(registry.status("faulty").failures == 0)
    }

    @Test func aHandshakeThatDisagreesWithTheManifestIsRefusedWithALocatedError() throws {
        let (engine, registry, _) = try Fixtures.faulty("mismatch")
        defer { registry.stop() }
        let fault = try #require(registry.start()["faulty"])
        let file = Fixtures.faultyDirectory + "/plugin.yaml"
        #expect(
            fault.description == """
                refused: the handshake disagrees with the manifest:
                \(file):6:5: error: 'days_of_cover' result differ: the manifest says "number", the plugin says "string"
                \(file):1:1: error: the plugin serves 'extra', which the manifest does not declare
                """)
        #expect(registry.status("faulty").state == .refused)
        let d = engine.decide(Fixtures.request(), models: registry)
        #expect(d.modelOutputs.first?.fault?.hasPrefix("faulty refused: the handshake disagrees") == true)
    }
}
