import Foundation
import PromoCore
import PromoDSL
import PromoExplain
import PromoTesting
import PropertyBased
import Testing

/// Over generated rule sets, carts and model outputs: recording a trace changes nothing in the
/// decision; a trace survives JSON; replaying it gives the recorded decision; it fits the schema.
@Suite struct TracePropertyTests {
    static let seeds = Gen.int(in: 0...Int(Int32.max))

    func engine(_ s: Scenario) throws -> Engine {
        Engine(rules: try RulesFixture.ruleSet(s.campaigns), catalog: s.catalog)
    }

    /// Budgets of the generated campaigns, part spent, so that budget reasons occur too.
    func budgets(_ s: Scenario, seed: Int) -> BudgetView {
        var view = BudgetView()
        for c in 0..<s.campaigns.count where seed % (c + 2) == 0 {
            view.remaining["camp\(c)"] = Int64(seed % 50) * 100
            view.customerCounts["camp\(c)"] = seed % 3
        }
        return view
    }

    @Test func tracingChangesNothingAndReplayGivesTheSameDecision() async throws {
        await propertyCheck(count: 120, input: Self.seeds) { seed in
            let s = Scenario(seed: seed)
            let e = try engine(s)
            let view = budgets(s, seed: seed)
            let plain = e.decide(s.request(), models: s.models, budgets: view)
            let (traced, trace) = e.decideTraced(s.request(), models: s.models, budgets: view)
            #expect(plain == traced, "tracing changed the decision, seed \(seed)")
            let json = try DecisionTrace.encoder().encode(trace)
            let decoded = try DecisionTrace.decoder().decode(DecisionTrace.self, from: json)
            #expect(decoded == trace, "JSON round trip, seed \(seed)")
            let replay = Replay.run(decoded, rules: e.rules)
            #expect(replay.sameRules)
            #expect(replay.identical, "seed \(seed): \(replay.differences)")
            #expect(replay.decision.outcome == plain.outcome, "seed \(seed)")
        }
    }

    /// A recorded decision keeps what its trace reads until it is dropped: its trace, built after
    /// the engine has made other decisions (recorded or not, on other carts), is the one built at once.
    @Test func aTraceBuiltLaterIsTheTraceBuiltAtOnce() async throws {
        await propertyCheck(count: 60, input: Self.seeds) { seed in
            let s = Scenario(seed: seed)
            let other = Scenario(seed: seed &+ 1)
            let e = try engine(s)
            let now = e.decideTraced(s.request(), models: s.models).1
            let held = e.decideRecorded(s.request(), models: s.models)
            for lines in [other.lines, Array(s.lines.reversed().prefix(2))] {
                _ = e.decide(s.request(lines: lines), models: s.models)
                _ = e.decideRecorded(s.request(lines: lines), models: other.models).trace
            }
            #expect(held.trace == now, "seed \(seed)")
        }
    }

    /// With the index off every offer is evaluated: the traced decision is still the same.
    @Test func tracingWithTheIndexOffChangesNothing() async throws {
        await propertyCheck(count: 60, input: Self.seeds) { seed in
            let s = Scenario(seed: seed)
            var e = try engine(s)
            e.useIndex = false
            #expect(e.decideTraced(s.request(), models: s.models).0 == e.decide(s.request(), models: s.models))
        }
    }

    /// On the lines the index admits only the conditions beside the line filter's are recorded
    /// and the trace makes the rest: each offer's `applies_to` per line reads as it does with the
    /// index off, where every condition is evaluated and recorded.
    @Test func appliesToReadsTheSameWithTheIndexOnAndOff() async throws {
        await propertyCheck(count: 80, input: Self.seeds) { seed in
            _ = try compareAppliesTo(seed)
        }
        // The cases compared include lines whose `applies_to` joins the filter's conjunct to
        // others (the trees made when the trace is built), not only lines the filter ruled out.
        var joined = 0
        for seed in 0..<40 { joined += try compareAppliesTo(seed) }
        #expect(joined > 20)
    }

    /// Expects each offer's `applies_to` per line to read the same with the index on and off;
    /// returns how many of those lines read an `and`.
    private func compareAppliesTo(_ seed: Int) throws -> Int {
        let s = Scenario(seed: seed)
        var e = try engine(s)
        let on = e.decideTraced(s.request(), models: s.models).1
        e.useIndex = false
        let off = e.decideTraced(s.request(), models: s.models).1
        var joined = 0
        for a in on.offers where !a.appliesTo.isEmpty {
            let b = off.offers.first { $0.campaign == a.campaign && $0.offer == a.offer }
            #expect(b?.appliesTo == a.appliesTo, "seed \(seed), offer \(a.offer)")
            joined += a.appliesTo.filter { $0.condition.op == "and" }.count
        }
        return joined
    }

    @Test func generatedTracesValidateAgainstTheSchema() throws {
        var traces: [DecisionTrace] = []
        for seed in 0..<60 {
            let s = Scenario(seed: seed * 7_919 + 1)
            traces.append(try engine(s).decideTraced(s.request(), models: s.models, budgets: budgets(s, seed: seed)).1)
        }
        try validateAgainstSchema(traces)
    }

    /// A replay against changed rules reports what changed.
    @Test func replayAgainstOtherRulesShowsTheDifference() throws {
        let campaign = RulesFixture.campaign(
            "c", offers: "  - { id: tops, kind: percent_off, percent: 10%, applies_to: 'item.category == \"tops\"' }")
        let catalog = Catalog([CatalogItem(sku: "TEE", category: "tops", price: 30_00, cost: 10_00)])
        let e = Engine(rules: try RulesFixture.ruleSet([campaign]), catalog: catalog)
        let (_, trace) = e.decideTraced(
            RulesFixture.request([RulesFixture.line("1", "TEE", 1, 30_00)]), models: FixtureModelOutputs())
        let newer = try RulesFixture.ruleSet([campaign.replacingOccurrences(of: "10%", with: "20%")])
        let r = Replay.run(trace, rules: newer)
        #expect(!r.sameRules)
        #expect(r.differences.contains("c/tops: 3.00 CNY off, now 6.00 CNY"))
        #expect(r.differences.contains("total: 27.00 CNY, now 24.00 CNY"))
    }

    /// Masking: the id is hashed with the salt (stable), other customer fields are erased unless kept,
    /// and nothing personal appears in the trace's JSON.
    @Test func personalFieldsAreMaskedUnlessKept() throws {
        let campaign = RulesFixture.campaign(
            "c", offers: "  - { id: gold, kind: percent_off, percent: 10%, when: 'customer.tier == \"gold\"' }")
        let catalog = Catalog([CatalogItem(sku: "TEE", category: "tops", price: 30_00, cost: 10_00)])
        let e = Engine(rules: try RulesFixture.ruleSet([campaign]), catalog: catalog)
        var r = RulesFixture.request([RulesFixture.line("1", "TEE", 1, 30_00)], customer: "alice@example.com")
        r.customer.tier = "gold"
        r.customer.country = "Narnia"
        let masking = TraceMasking(salt: "s1", keep: ["customer.tier"])
        let (_, t) = e.decideTraced(r, models: FixtureModelOutputs(), masking: masking)
        let json = String(decoding: try DecisionTrace.encoder().encode(t), as: UTF8.self)
        #expect(!json.contains("alice@example.com"))
        #expect(!json.contains("Narnia"))
        #expect(json.contains("gold"))
        #expect(t.request.customer.id == masking.hash("alice@example.com"))
        #expect(TraceMasking(salt: "s2").hash("alice@example.com") != t.request.customer.id)
        #expect(t.masked.contains(MaskedField(path: "customer.country", how: "erase")))
        #expect(!t.masked.contains { $0.path == "customer.tier" })
        #expect(Replay.run(t, rules: e.rules).identical)
        // Erase the tier the rule reads and the replay can no longer say the same, and says so.
        let (_, erased) = e.decideTraced(r, models: FixtureModelOutputs(), masking: TraceMasking(salt: "s1"))
        #expect(!Replay.run(erased, rules: e.rules).identical)
    }
}
