import Foundation
import PromoTesting
import Testing

/// `promo decide --explain / --trace-out`, `promo explain` in every format and with --why-not,
/// and `promo replay`, run as a user runs them.
@Suite struct ExplainCommandTests {
    let at = "2026-12-05T12:00+08:00"

    func temp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("promo-\(UUID().uuidString)-\(name)").path
    }

    func trace() throws -> String {
        let path = temp("trace.json")
        let r = try PromoCommand.run([
            "decide", "--customer", "c-1001", "--cart", "rules/examples/cart-near-tier.yaml", "--at", at,
            "--trace-out", path,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        return path
    }

    @Test func decideExplainPrintsTheTraceAfterTheDecision() throws {
        let r = try PromoCommand.run([
            "decide", "--customer", "c-2002", "--cart", "rules/examples/cart-near-tier.yaml", "--at", at, "--explain",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Given ("))
        #expect(r.stdout.contains("Not given: not eligible"))
        #expect(r.stdout.contains("when rules/"))
        #expect(r.stdout.contains("nudge: add 23.10 CNY of eligible items to reach the 300.00 CNY tier"))
        #expect(!r.stdout.contains("\u{1B}["), "no colour when not a terminal")
    }

    @Test func explainRendersAStoredTraceInEveryFormat() throws {
        let path = try trace()
        let text = try PromoCommand.run(["explain", path])
        #expect(text.status == 0)
        #expect(text.stdout.hasPrefix("Decision d-"))
        let json = try PromoCommand.run(["explain", path, "--format", "json"])
        #expect(json.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["trace_version"] as? Int == 1)
        let html = temp("report.html")
        let h = try PromoCommand.run(["explain", path, "--format", "html", "--out", html])
        #expect(h.status == 0, "\(h.stderr)")
        #expect(try String(contentsOfFile: html, encoding: .utf8).hasPrefix("<!doctype html>"))
    }

    @Test func whyNotGivesTheNearestMiss() throws {
        let path = try trace()
        let r = try PromoCommand.run(["explain", path, "--why-not", "spend-and-save"])
        #expect(r.status == 0)
        #expect(
            r.stdout.hasPrefix(
                "spend-and-save/spend-and-save (not eligible): add 23.10 CNY of eligible items to reach the 300.00 CNY tier"
            ))
        let missing = try PromoCommand.run(["explain", path, "--why-not", "nope"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no offer 'nope'"))
    }

    @Test func replayIsIdenticalAndShowsWhatNewRulesChange() throws {
        let path = try trace()
        let same = try PromoCommand.run(["replay", path])
        #expect(same.status == 0, "\(same.stderr)")
        #expect(same.stdout.hasPrefix("identical: "))
        // Newer rules: the first tier lowered to 100 CNY (reached on the discounted prices too).
        let src = PromoTesting.repositoryRoot.appendingPathComponent("rules")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("promo-replay-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: src, to: dir)
        let file = dir.appendingPathComponent("spend-and-save.yaml")
        let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(
            of: "spend: 300 CNY", with: "spend: 100 CNY")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let newer = try PromoCommand.run([
            "replay", path, "--rules", dir.path, "--plugins", PromoTesting.pluginsDirectory,
        ])
        #expect(newer.status == 3, "\(newer.stderr)")
        #expect(newer.stdout.contains("spend-and-save/spend-and-save: was not given, now given (40.00 CNY off)"))
    }

    @Test func badTraceFilesAreRefusedWithExitTwo() throws {
        let missing = try PromoCommand.run(["explain", "/nonexistent/trace.json"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("cannot read /nonexistent/trace.json"))
        let junk = temp("junk.json")
        try "{\"trace_version\": 1}".write(toFile: junk, atomically: true, encoding: .utf8)
        let r = try PromoCommand.run(["replay", junk])
        #expect(r.status == 2)
        #expect(r.stderr.contains("is not a decision trace"))
    }
}
