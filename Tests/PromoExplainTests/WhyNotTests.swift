import Foundation
import PromoCore
import PromoDSL
import PromoExplain
import PromoTesting
import PropertyBased
import Testing

/// The nearest miss is a real one: applying the suggested change to the request and deciding
/// again gives the offer (spend tiers, quantities, segments, schedules).
@Suite struct WhyNotTests {
    static let catalog = Catalog([
        CatalogItem(sku: "TEE", category: "tops", price: 30_00, cost: 10_00, stock: 10),
        CatalogItem(sku: "TOP2", category: "tops", price: 45_00, cost: 15_00, stock: 10),
        CatalogItem(sku: "SOCK", category: "socks", price: 8_00, cost: 2_00, stock: 10),
    ])

    struct Case {
        var campaign: String
        var request: DecisionRequest
        var segment: String
    }

    /// Decides, asks why-not for offer `o`, applies the change, decides again.
    func check(_ c: Case, offer o: String, seed: Int) throws {
        let engine = Engine(rules: try RulesFixture.ruleSet([c.campaign]), catalog: Self.catalog)
        let models = { (segment: String) in
            FixtureModelOutputs(customers: ["c-1": ["customer.segment": .string(segment)]])
        }
        let (before, trace) = engine.decideTraced(c.request, models: models(c.segment))
        #expect(!before.chosen.contains { $0.offer == o }, "seed \(seed): already given")
        guard let w = WhyNot.explain(trace, offer: o), let change = w.change else {
            Issue.record("seed \(seed): no change suggested for \(o)")
            return
        }
        var r = c.request
        var segment = c.segment
        switch change {
        case .addSpend(let amount, _):
            r.cart.lines.append(RulesFixture.line("new", "TOP2", 1, amount))
        case .addItems(let n, _, let values):
            let sku = values.contains("socks") ? "SOCK" : "TEE"
            r.cart.lines.append(RulesFixture.line("new", sku, n, Self.catalog[sku]!.price))
        case .segment(let needs, _): segment = needs[0]
        case .channel(let channels): r.channel = channels[0]
        case .time(let t): r.time = t
        }
        let after = engine.decide(r, models: models(segment))
        #expect(after.chosen.contains { $0.offer == o }, "seed \(seed): \(w.nearestMiss) did not give \(o)")
    }

    static let seeds = Gen.int(in: 0...Int(Int32.max))

    @Test func addingTheMissingSpendReachesTheTier() async {
        await propertyCheck(count: 60, input: Self.seeds) { seed in
            var g = SplitMix(seed: seed)
            let tier = Int.random(in: 40...600, using: &g)
            let units = Int.random(in: 0...(tier * 100 - 1) / 3_000, using: &g)
            let campaign = RulesFixture.campaign(
                "tiers",
                offers: """
                      - { id: spend, kind: spend_threshold, applies_to: 'item.category == "tops"', tiers: [{ spend: \(tier) CNY, off: \(max(1, tier / 10)) CNY }] }
                    """)
            var lines = [RulesFixture.line("s", "SOCK", 1, 8_00)]
            if units > 0 { lines.append(RulesFixture.line("t", "TEE", units, 30_00)) }
            try check(
                Case(campaign: campaign, request: RulesFixture.request(lines), segment: "new"), offer: "spend",
                seed: seed)
        }
    }

    @Test func addingTheMissingItemsMeetsAQuantityCondition() async {
        await propertyCheck(count: 60, input: Self.seeds) { seed in
            var g = SplitMix(seed: seed)
            let need = Int.random(in: 2...12, using: &g)
            let have = Int.random(in: 1..<need, using: &g)
            let campaign = RulesFixture.campaign(
                "qty", offers: "  - { id: many, kind: percent_off, percent: 10%, when: 'cart.quantity >= \(need)' }")
            let r = RulesFixture.request([RulesFixture.line("t", "TEE", have, 30_00)])
            try check(Case(campaign: campaign, request: r, segment: "new"), offer: "many", seed: seed)
        }
    }

    @Test func theNeededSegmentGivesTheOffer() async {
        await propertyCheck(count: 40, input: Self.seeds) { seed in
            var g = SplitMix(seed: seed)
            let all = ["loyal", "new", "lapsed", "bargain", "champions"].shuffled(using: &g)
            let needs = Array(all.prefix(Int.random(in: 1...3, using: &g)))
            let campaign = RulesFixture.campaign(
                "seg",
                offers:
                    "  - { id: members, kind: amount_off, amount: 5 CNY, when: 'customer.segment in [\(needs.map { "\"\($0)\"" }.joined(separator: ", "))]' }"
            )
            let r = RulesFixture.request([RulesFixture.line("t", "TEE", 1, 30_00)])
            try check(Case(campaign: campaign, request: r, segment: all.last!), offer: "members", seed: seed)
        }
    }

    @Test func decidingWhenTheCampaignStartsGivesTheOffer() async {
        await propertyCheck(count: 40, input: Self.seeds) { seed in
            var g = SplitMix(seed: seed)
            let days = Int.random(in: 1...40, using: &g)
            let hour = Int.random(in: 0...23, using: &g)
            let start = RulesFixture.noon + Int64(days * 86_400 + hour * 3600)
            let date = Date(timeIntervalSince1970: TimeInterval(start)).formatted(
                .iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false)
                    .timeSeparator(.colon))
            let campaign = RulesFixture.campaign(
                "soon", extra: "schedule: { starts: \(date.dropLast(3))+00:00 }\n",
                offers: "  - { id: soon, kind: percent_off, percent: 10% }")
            let r = RulesFixture.request([RulesFixture.line("t", "TEE", 1, 30_00)])
            try check(Case(campaign: campaign, request: r, segment: "new"), offer: "soon", seed: seed)
        }
    }

    @Test func whyNotTextForTheExampleNearTierCart() throws {
        let engine = try Examples.engine()
        let r = try Examples.request(customer: "c-2002", cart: "cart-near-tier.yaml", at: RulesFixture.noon, id: "w")
        let (_, t) = engine.decideTraced(r, models: try Examples.models())
        let w = try #require(WhyNot.explain(t, offer: "spend-and-save"))
        #expect(w.nearestMiss == "add 23.10 CNY of eligible items to reach the 300.00 CNY tier")
        #expect(WhyNot.explain(t, offer: "no-such-offer") == nil)
        let index = try #require(WhyNot.explain(t, offer: "snack-amount-off"))
        #expect(index.outcome == "not_considered")
        #expect(index.nearestMiss == "needs 1 more item with item.category == \"snacks\"")
    }
}
