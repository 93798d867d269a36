import Foundation
import PromoCore
import PromoDSL
import PromoTesting
import Testing

@Suite struct StackingTests {
    func twoOffers(group: String) -> [String] {
        [
            F.campaign(
                "a-amount", group: group, extra: "priority: 2\n",
                offers: "  - { id: twenty, kind: amount_off, amount: 20 CNY }"),
            F.campaign(
                "b-percent", group: group, extra: "priority: 1\n",
                offers: "  - { id: ten-pct, kind: percent_off, percent: 10% }"),
        ]
    }

    @Test func stackOnDiscountedPricesDependsOnOrder() throws {
        let d = try decide(twoOffers(group: "basket"), [F.line("1", "COAT", 1, 100_00)])
        #expect(d.chosen.map(\.offer) == ["twenty", "ten-pct"])
        #expect(d.chosen.map(\.discount) == [20_00, 8_00])  // 10% of 80.00
        let original = try decide(twoOffers(group: "flat"), [F.line("1", "COAT", 1, 100_00)])
        #expect(original.chosen.map(\.discount) == [20_00, 10_00])
    }

    /// Which lines an offer applies to is kept as bits in carts of up to 64 lines and in the
    /// frame's arena past that; an offer stacked on discounted prices reads there which of its
    /// lines earlier offers changed: carts on both sides of the limit give the same.
    @Test func stackingOnDiscountedPricesReadsTheLinesOnBothSidesOfSixtyFour() throws {
        let coat = "applies_to: item.sku == \"COAT\""
        let campaigns = [
            F.campaign(
                "a-amount", group: "basket", extra: "priority: 2\n",
                offers: "  - { id: twenty, kind: amount_off, amount: 20 CNY, \(coat) }"),
            F.campaign(
                "b-percent", group: "basket", extra: "priority: 1\n",
                offers: "  - { id: ten-pct, kind: percent_off, percent: 10%, \(coat) }"),
        ]
        for size in [1, 64, 65, 90] {
            let lines =
                (1..<size).map { F.line(String(format: "%03d", $0), "TEE", 1, 30_00) } + [
                    F.line("999", "COAT", 1, 100_00)
                ]
            let d = try decide(campaigns, lines)
            #expect(d.chosen.map(\.discount) == [20_00, 8_00], "\(size) lines")
        }
    }

    @Test func bestGivesOneAndFirstGivesTheHighestPriority() throws {
        let best = try decide(twoOffers(group: "seasonal"), [F.line("1", "COAT", 1, 100_00)])
        #expect(best.chosen.count == 1)
        #expect(reason(best, best.chosen[0].offer == "twenty" ? "ten-pct" : "twenty") == .outscored)
        // Without models, a smaller discount costs less expected profit: 10% (10.00) beats 20.00.
        #expect(best.chosen.first?.offer == "ten-pct")
        let first = try decide(twoOffers(group: "perks"), [F.line("1", "COAT", 1, 100_00)])
        #expect(first.chosen.map(\.offer) == ["twenty"])
        #expect(reason(first, "ten-pct") == .groupAlreadyUsed)
    }

    @Test func totalsNeverGoNegativeWhenStackedDiscountsExceedTheLine() throws {
        let campaigns = [
            F.campaign("a", group: "flat", offers: "  - { id: a, kind: amount_off, amount: 25 CNY }"),
            F.campaign("b", group: "flat", offers: "  - { id: b, kind: amount_off, amount: 25 CNY }"),
        ]
        let d = try decide(campaigns, [F.line("1", "TEE", 1, 30_00)])
        #expect(d.lines[0].total == 0)
        #expect(d.discount == 30_00)
        #expect(d.chosen.map(\.discount) == [25_00, 5_00])
    }

    @Test func exclusiveWinsOnlyWhenItScoresHigher() throws {
        let shared = F.campaign("shared", group: "flat", offers: "  - { id: small, kind: amount_off, amount: 1 CNY }")
        let exclusive = F.campaign(
            "excl", extra: "exclusive: true\n", offers: "  - { id: big, kind: percent_off, percent: 50% }")
        let d = try decide([shared, exclusive], [F.line("1", "TEE", 1, 30_00)])
        // Without models the 1.00 discount loses less expected profit than 50% off.
        #expect(d.chosen.map(\.offer) == ["small"])
        #expect(reason(d, "big") == .outscored)
        let alone = try decide([exclusive], [F.line("1", "TEE", 1, 30_00)])
        #expect(alone.chosen.map(\.offer) == ["big"])
        // With a strong uplift both are profitable (9.40 and 1.00 expected); a weight of 20 makes the exclusive win.
        let weighted = exclusive.replacingOccurrences(of: "exclusive: true\n", with: "exclusive: true\nweight: 20\n")
        let models = FixtureModelOutputs(customers: [
            "c-1": ["uplift.score": .number(0.5), "uplift.propensity": .number(0.1)]
        ])
        let lifted = try decide([shared, weighted], [F.line("1", "TEE", 1, 30_00)], models: models)
        #expect(lifted.chosen.first.map { ($0.score * 100).rounded() / 100 } == 2000)
        #expect(lifted.chosen.map(\.offer) == ["big"])
        #expect(reason(lifted, "small") == .blockedByExclusive)
    }

    @Test func maxOffersPerCustomerKeepsTheBestScores() throws {
        let ws = F.workspace.replacingOccurrences(of: "max_offers_per_customer: 5", with: "max_offers_per_customer: 1")
        let d = try decide(twoOffers(group: "flat"), [F.line("1", "COAT", 1, 100_00)], workspace: ws)
        #expect(d.chosen.map(\.offer) == ["ten-pct"])
        #expect(
            d.rejected.first { $0.offer == "twenty" }?.detail
                == "over the limit of 1 offers per customer; others score higher")
    }

    /// Three offers worth the same (1.00 off one unit each, in file order c, a, b), stacked on list
    /// prices, for a customer allowed two.
    static let limitOfTwo = F.workspace.replacingOccurrences(
        of: "max_offers_per_customer: 5", with: "max_offers_per_customer: 2")
    static let threeAlike = F.campaign(
        "flat", group: "flat",
        offers: """
              - { id: c, kind: amount_off, amount: 1 CNY, max_items: 1 }
              - { id: a, kind: amount_off, amount: 1 CNY, max_items: 1 }
              - { id: b, kind: amount_off, amount: 1 CNY, max_items: 1 }
            """)

    /// Over the limit, picks that score the same are kept by stable key (campaign id, offer id):
    /// the last is set aside, whatever order they come in.
    @Test func overTheLimitEqualScoresKeepTheFirstByStableKey() throws {
        let d = try decide([Self.threeAlike], [F.line("1", "J10", 1, 10_00)], workspace: Self.limitOfTwo)
        #expect(d.chosen.map(\.offer) == ["a", "b"])
        #expect(d.chosen.map(\.discount) == [1_00, 1_00])
        #expect(
            d.rejected.first { $0.offer == "c" }?.detail
                == "over the limit of 2 offers per customer; others score higher")
    }

    /// Scores that are not numbers (an in-process model answering NaN) still leave the limit
    /// kept: they rank lowest, ties by stable key, and the decision ends.
    @Test func overTheLimitScoresThatAreNotNumbersStillKeepTheLimit() throws {
        let models = FixtureModelOutputs(customers: ["c-1": ["uplift.score": .number(.nan)]])
        let d = try decide(
            [Self.threeAlike], [F.line("1", "J10", 1, 10_00)], workspace: Self.limitOfTwo, models: models)
        #expect(d.chosen.map(\.offer) == ["a", "b"])
        #expect(reason(d, "c") == .outscored)
    }

    /// Over the limit, selection decides the groups again from the first offer set aside; an
    /// offer stacked on discounted prices is valued again on the prices left then, not on those of
    /// the first pass (where the offer set aside had discounted the same line): its memoized
    /// value is only reused for the same prices.
    @Test func anOfferStackedOnDiscountedPricesIsValuedAgainWhenTheLimitChangesThem() throws {
        let ws = F.workspace.replacingOccurrences(of: "max_offers_per_customer: 5", with: "max_offers_per_customer: 3")
        let basket = F.campaign(
            "basket", group: "basket",
            offers: """
                  - { id: a1-one-off, kind: amount_off, amount: 1 CNY, priority: 3 }
                  - { id: a2-half-off, kind: percent_off, percent: 50%, priority: 2 }
                  - { id: b-tenth-off, kind: percent_off, percent: 10%, priority: 1 }
                """)
        let flat = F.campaign("flat", group: "flat", offers: "  - { id: c-five, kind: percent_off, percent: 5% }")
        let d = try decide([basket, flat], [F.line("1", "TEE", 1, 30_00)], workspace: ws)
        // First pass: 1.00, then half of 29.00, then a tenth of 14.50 (1.45), and 5% of 30.00: four
        // offers, one over the limit; the half, scoring lowest, is set aside. Again from there:
        // a tenth of 29.00.
        #expect(d.chosen.map(\.offer) == ["a1-one-off", "b-tenth-off", "c-five"])
        #expect(d.chosen.map(\.discount) == [1_00, 2_90, 1_50])
        #expect(reason(d, "a2-half-off") == .outscored)
    }

    @Test func tiesBreakByCampaignAndOfferIDNotFileOrder() throws {
        let a = F.campaign("aa", group: "seasonal", offers: "  - { id: xx, kind: amount_off, amount: 5 CNY }")
        let b = F.campaign("bb", group: "seasonal", offers: "  - { id: yy, kind: amount_off, amount: 5 CNY }")
        let one = try decide([a, b], [F.line("1", "TEE", 1, 30_00)])
        let two = try decide([b, a], [F.line("1", "TEE", 1, 30_00)])
        #expect(one.chosen.map(\.offer) == ["xx"])
        #expect(one == two)
        #expect(try F.ruleSet([a, b]).digest == F.ruleSet([b, a]).digest)
    }
}

@Suite struct ScheduleAndHoldoutTests {
    func at(_ text: String) -> Int64 { DateTimeValue.parse(text)!.epochSeconds()! }

    @Test func hoursInTheCampaignsZoneAcrossDST() throws {
        let c = F.campaign(
            "c", extra: "schedule: { time_zone: Europe/Berlin, hours: \"09:00-17:00\" }\n",
            offers: "  - { id: p, kind: percent_off, percent: 10% }")
        let lines = [F.line("1", "TEE", 1, 30_00)]
        // 07:30 UTC is 09:30 in Berlin after the switch to summer time (29 March 2026), 08:30 the day before.
        #expect(try decide([c], lines, time: at("2026-03-29T07:30Z")).chosen.count == 1)
        let before = try decide([c], lines, time: at("2026-03-28T07:30Z"))
        #expect(reason(before, "p") == .outsideSchedule)
        #expect(before.rejected.first?.detail == "runs 09:00-17:00 local time")
    }

    @Test func localStartAndDaysInTheCampaignsZone() throws {
        let c = F.campaign(
            "c",
            extra:
                "schedule: { starts: 2026-12-01T00:00, ends: 2026-12-31T23:59, time_zone: Asia/Shanghai, days: [sat, sun] }\n",
            offers: "  - { id: p, kind: percent_off, percent: 10% }")
        let lines = [F.line("1", "TEE", 1, 30_00)]
        // 23:30 in Shanghai
        #expect(reason(try decide([c], lines, time: at("2026-11-30T15:30Z")), "p") == .outsideSchedule)
        // Saturday 00:30 in Shanghai
        #expect(reason(try decide([c], lines, time: at("2026-12-04T16:30Z")), "p") == nil)
        #expect(reason(try decide([c], lines, time: at("2026-12-04T15:30Z")), "p") == .outsideSchedule)  // Friday 23:30
    }

    @Test func holdoutIsStableAndNearItsRate() throws {
        let c = F.campaign("c", offers: "  - { id: p, kind: percent_off, percent: 10% }").replacingOccurrences(
            of: "holdout: 0%", with: "holdout: 10%")
        let rules = try F.ruleSet([c])
        let engine = Engine(rules: rules, catalog: catalog)
        var held = 0
        for i in 0..<2_000 {
            let r = F.request([F.line("1", "TEE", 1, 30_00)], customer: "cust-\(i)")
            let d = engine.decide(r, models: FixtureModelOutputs())
            if reason(d, "p") == .holdout {
                held += 1
                #expect(engine.decide(r, models: FixtureModelOutputs()) == d)
            }
            #expect((reason(d, "p") == .holdout) == (Holdout.bucket(customer: "cust-\(i)", campaign: "c") < 100_000))
        }
        #expect((140...260).contains(held))
    }

    /// The control group is FNV-1a 64 of "customer\0campaign" in parts per million: pinned, so
    /// that a customer stays in the group a campaign put them in across versions.
    @Test func holdoutBucketsArePinned() {
        #expect(Holdout.bucket(customer: "cust-1", campaign: "c") == 909_501)
        #expect(Holdout.bucket(customer: "alice", campaign: "spring-sale") == 971_672)
        #expect(Holdout.bucket(customer: "é-ü", campaign: "c2") == 841_372)
    }
}

@Suite struct BudgetTests {
    let campaign = F.campaign(
        "c", extra: "budget: { total: 50 CNY, per_customer: 1 }\n",
        offers: "  - { id: a, kind: amount_off, amount: 30 CNY }")

    @Test func ledgerNeverLetsABudgetBeExceeded() throws {
        let engine = Engine(rules: try F.ruleSet([campaign]), catalog: catalog)
        let ledger = InMemoryBudgetLedger()
        let first = engine.decide(
            F.request([F.line("1", "TEE", 1, 30_00)], customer: "a", id: "d1"), models: FixtureModelOutputs(),
            ledger: ledger)
        #expect(first.chosen.count == 1)
        // Retrying the same decision id is idempotent.
        let retry = engine.decide(
            F.request([F.line("1", "TEE", 1, 30_00)], customer: "a", id: "d1"), models: FixtureModelOutputs(),
            ledger: ledger)
        #expect(retry == first)
        let second = engine.decide(
            F.request([F.line("1", "TEE", 1, 30_00)], customer: "b", id: "d2"), models: FixtureModelOutputs(),
            ledger: ledger)
        #expect(reason(second, "a") == .budgetExhausted)
        #expect(second.rejected.first?.detail == "the campaign budget has 20.00 CNY left; the offer is worth 30.00 CNY")
        #expect(ledger.release(decision: "d1"))
        let third = engine.decide(
            F.request([F.line("1", "TEE", 1, 30_00)], customer: "b", id: "d3"), models: FixtureModelOutputs(),
            ledger: ledger)
        #expect(third.chosen.count == 1)
    }

    @Test func perCustomerCapAndExpiry() throws {
        let engine = Engine(rules: try F.ruleSet([campaign]), catalog: catalog)
        let ledger = InMemoryBudgetLedger()
        _ = engine.decide(
            F.request([F.line("1", "J5", 1, 5_00)], customer: "a", id: "d1"), models: FixtureModelOutputs(),
            ledger: ledger, ttl: 60)
        let again = engine.decide(
            F.request([F.line("1", "J5", 1, 5_00)], customer: "a", id: "d2"), models: FixtureModelOutputs(),
            ledger: ledger, ttl: 60)
        #expect(reason(again, "a") == .customerCap)
        // The first hold expires after its time-to-live unless committed.
        let later = engine.decide(
            F.request([F.line("1", "J5", 1, 5_00)], customer: "a", time: F.noon + 120, id: "d3"),
            models: FixtureModelOutputs(), ledger: ledger)
        #expect(later.chosen.count == 1)
        #expect(ledger.commit(decision: "d3", now: F.noon + 121))
        #expect(!ledger.commit(decision: "d1", now: F.noon + 121))
    }
}

@Suite struct ModelOutputTests {
    @Test func missingOutputSkipsTheOfferAndSaysSo() throws {
        let c = F.campaign("c", offers: "  - { id: p, kind: percent_off, percent: 10%, when: uplift.score() > 0.01 }")
        let d = try decide([c], [F.line("1", "TEE", 1, 30_00)])
        #expect(reason(d, "p") == .modelOutputMissing)
        #expect(d.modelOutputs.contains { $0.function == "uplift.score" && $0.value == nil && $0.missingWhenRead })
        let withValue = try decide(
            [c], [F.line("1", "TEE", 1, 30_00)], models: .init(customers: ["c-1": ["uplift.score": .number(0.2)]]))
        #expect(withValue.chosen.count == 1)
    }

    /// Each ordering of a model output, and of a cart amount, against a literal: below, at and
    /// above it. The offer is given exactly when the order holds; an output of another type or
    /// none at all never gives it.
    @Test(arguments: [
        ("<", [true, false, false]), ("<=", [true, true, false]), (">", [false, false, true]),
        (">=", [false, true, true]),
    ])
    func orderingsAgainstALiteral(op: String, holds: [Bool]) throws {
        let output = F.campaign(
            "c",
            offers:
                "  - { id: p, kind: percent_off, percent: 10%, applies_to: 'forecast.days_of_cover(item) \(op) 30' }")
        let amount = F.campaign(
            "c", offers: "  - { id: p, kind: percent_off, percent: 10%, when: 'cart.subtotal \(op) 30 CNY' }")
        for (k, (days, price)) in zip([29.5, 30, 30.5], [Int64(29_99), 30_00, 30_01]).enumerated() {
            let byOutput = try decide(
                [output], [F.line("1", "TEE", 1, 30_00)],
                models: .init(items: ["TEE": ["forecast.days_of_cover": .number(days)]]))
            #expect(byOutput.chosen.isEmpty != holds[k], "\(days) \(op) 30")
            let byAmount = try decide([amount], [F.line("1", "TEE", 1, price)])
            #expect(byAmount.chosen.isEmpty != holds[k], "\(price) \(op) 30 CNY")
        }
        let text = try decide(
            [output], [F.line("1", "TEE", 1, 30_00)],
            models: .init(items: ["TEE": ["forecast.days_of_cover": .string("thirty")]]))
        #expect(text.chosen.isEmpty)
        let none = try decide([output], [F.line("1", "TEE", 1, 30_00)])
        #expect(none.chosen.isEmpty && reason(none, "p") == .modelOutputMissing)
    }

    @Test func onMissingValueIsUsedInstead() throws {
        let c = F.campaign(
            "c",
            offers: """
                  - id: p
                    kind: percent_off
                    percent: clamp(pricing.discount(item), 5%, 30%)
                    on_missing: { value: 12% }
                """)
        let d = try decide(
            [c], [F.line("1", "TEE", 1, 30_00), F.line("2", "COAT", 1, 100_00)],
            models: .init(items: ["COAT": ["pricing.discount": .percent(400_000)]]))
        #expect(
            d.chosen.first?.allocation == [LineAmount(line: "1", amount: 3_60), LineAmount(line: "2", amount: 30_00)])
    }

    @Test func onlyTheOutputsCandidatesNeedAreAsked() throws {
        let campaigns = [
            F.campaign(
                "coats",
                offers:
                    "  - { id: p, kind: percent_off, percent: 10%, applies_to: item.category == \"outerwear\" and forecast.days_of_cover(item) > 60 }"
            ),
            F.campaign(
                "tees",
                offers:
                    "  - { id: q, kind: percent_off, percent: 10%, applies_to: item.category == \"tops\" and recommend.score(item) > 0.5 }"
            ),
        ]
        let d = try decide(campaigns, [F.line("1", "TEE", 1, 30_00)])
        let asked = Set(d.modelOutputs.map(\.function))
        #expect(asked.contains("recommend.score"))
        #expect(!asked.contains("forecast.days_of_cover"))
    }
}

@Suite struct ModelGatheringTests {
    @Test func outputsAreAskedOncePerDecisionAndOnlyForCandidates() throws {
        let campaigns = [
            F.campaign(
                "coats",
                offers:
                    "  - { id: p, kind: percent_off, percent: 10%, applies_to: item.category == \"outerwear\" and forecast.days_of_cover(item) > 60 }"
            ),
            F.campaign(
                "tees",
                offers: """
                      - { id: q, kind: percent_off, percent: 10%, applies_to: item.category == "tops" and recommend.score(item) > 0.5 }
                      - { id: r, kind: amount_off, amount: 1 CNY, applies_to: item.category == "tops" and recommend.score(item) > 0.2 }
                    """),
        ]
        let models = RecordingModelOutputs(.init(customerItems: ["c-1": ["TEE": ["recommend.score": .number(0.7)]]]))
        let engine = Engine(rules: try F.ruleSet(campaigns), catalog: catalog)
        let d = engine.decide(F.request([F.line("1", "TEE", 1, 30_00), F.line("2", "J5", 1, 5_00)]), models: models)
        // A campaign without a group is a best group of its own: one of q and r.
        #expect(d.chosen.map(\.offer) == ["q"])
        let asked = models.batches.flatMap { $0 }
        // Two offers read recommend.score: it is asked once per line, in one batch with arbitration's outputs.
        #expect(models.batches.count == 1)
        #expect(asked.filter { $0.function == "recommend.score" }.map(\.sku) == ["TEE", "J5"])
        #expect(!asked.contains { $0.function == "forecast.days_of_cover" })
        #expect(Set(asked.map(\.function)) == ["recommend.score", "uplift.propensity", "uplift.score"])
    }

    /// A decision's batch names the cart's skus in canonical line order (its items are the
    /// frame's lines, read out when asked) and equals, with the same hash, the batch a plugin
    /// host would build from those skus.
    @Test func aDecisionsBatchNamesTheCartsSkusInLineOrder() throws {
        final class Capturing: ModelOutputs, @unchecked Sendable {
            var batches: [ModelBatch] = []
            func values(for batch: ModelBatch) -> [[Value?]] {
                batches.append(batch)
                return batch.calls.indices.map { c in Array(repeating: .number(0.7), count: batch.rows(c)) }
            }
        }
        let campaigns = [
            F.campaign(
                "tees",
                offers:
                    "  - { id: q, kind: percent_off, percent: 10%, applies_to: recommend.score(item) > 0.5 }")
        ]
        let models = Capturing()
        let engine = Engine(rules: try F.ruleSet(campaigns), catalog: catalog)
        _ = engine.decide(
            F.request([F.line("3", "J5", 1, 5_00), F.line("1", "TEE", 1, 30_00), F.line("2", "NOPE", 1, 1_00)]),
            models: models)
        let batch = try #require(models.batches.first)
        #expect(batch.skus == ["TEE", "NOPE", "J5"])
        #expect(batch.itemCount == 3)
        #expect(batch.ordinals[1] == -1)
        let rebuilt = ModelBatch(
            customerID: batch.customerID, skus: ["TEE", "NOPE", "J5"], ordinals: batch.ordinals, calls: batch.calls)
        #expect(rebuilt == batch)
        #expect(rebuilt.hashValue == batch.hashValue)
        var renamed = batch
        renamed.skus[2] = "J6"
        #expect(renamed != batch)
        #expect(renamed.skus == ["TEE", "NOPE", "J6"])
    }

    /// Outputs answering straight into the engine's buffer (the segment `loyal`, every other
    /// output `score`), with `extra` values more (or fewer, when negative) than each batch asks:
    /// the engine cuts or fills each answer to its length.
    struct Appending: ModelOutputs {
        var score: Double
        var extra: Int

        func values(for batch: ModelBatch) -> [[Value?]] { [] }

        func answer(for batch: ModelBatch, appendingTo values: inout ModelValues) -> ModelAnswer.Notes {
            var asked: [Value] = []
            for (c, call) in batch.calls.enumerated() {
                for _ in 0..<batch.rows(c) {
                    asked.append(call.function == "customer.segment" ? .string("loyal") : .number(score))
                }
            }
            for k in 0..<max(0, asked.count + extra) { values.append(k < asked.count ? asked[k] : .string("stray")) }
            return ModelAnswer.Notes(faults: batch.calls.map { _ in "partly answered" }, versions: [])
        }
    }

    /// The engine refills a decision's parts (what it gave, why not, the outputs it read) for a
    /// later decision only once no decision holds them: a held decision keeps its own, and a
    /// dropped one leaves nothing behind in the next.
    @Test func decisionsKeepTheirPartsWhileHeldAndLeaveNothingWhenDropped() throws {
        let c = F.campaign(
            "c",
            offers: """
                  - { id: p, kind: percent_off, percent: 10%, when: uplift.score() > 0.01 }
                  - { id: a, kind: amount_off, amount: 1 CNY, when: cart.subtotal >= 50 CNY }
                """)
        let engine = Engine(rules: try F.ruleSet([c]), catalog: catalog)
        let scored = FixtureModelOutputs(customers: ["c-1": ["uplift.score": .number(0.2)]])
        do {
            let unscored = engine.decide(
                F.request([F.line("1", "TEE", 1, 30_00)], id: "d0"), models: FixtureModelOutputs())
            #expect(unscored.modelOutputs.contains { $0.missingWhenRead })
        }
        let first = engine.decide(F.request([F.line("1", "TEE", 1, 30_00)], id: "d1"), models: scored)
        #expect(first.chosen.map(\.offer) == ["p"] && reason(first, "a") == .notEligible)
        #expect(first.modelOutputs.contains { $0.function == "uplift.score" && $0.value == .number(0.2) })
        #expect(!first.modelOutputs.contains { $0.missingWhenRead })
        let (chosen, lines, rejected, outputs) = (first.chosen, first.lines, first.rejected, first.modelOutputs)
        let second = engine.decide(
            F.request([F.line("1", "J5", 2, 5_00), F.line("2", "COF", 1, 58_00)], id: "d2"),
            models: FixtureModelOutputs()
        )
        #expect(second.chosen.map(\.offer) == ["a"] && reason(second, "p") == .modelOutputMissing)
        #expect(first.chosen == chosen && first.lines == lines)
        #expect(first.rejected == rejected && first.modelOutputs == outputs)
    }

    /// Outputs answering a column of numbers at a time (`ModelValues.appendNumbers`), after a
    /// text value: the decision is the one the same values give through `append`, gaps included.
    @Test func columnsOfNumbersAppendedInPlaceReadAsValuesAppendedOneByOne() throws {
        struct Columns: ModelOutputs {
            let scores: [String: Double]
            func values(for batch: ModelBatch) -> [[Value?]] { [] }
            func answer(for batch: ModelBatch, appendingTo values: inout ModelValues) -> ModelAnswer.Notes {
                let skus = batch.skus
                for (c, call) in batch.calls.enumerated() {
                    if call.function == "customer.segment" {
                        values.append(.string("loyal"))
                    } else {
                        values.appendNumbers(batch.rows(c)) { k in call.perItem ? scores[skus[k]] : nil }
                    }
                }
                return ModelAnswer.Notes()
            }
        }
        let campaign = F.campaign(
            "tees",
            offers: """
                  - { id: q, kind: percent_off, percent: 10%, when: 'customer.segment in ["loyal"]', applies_to: recommend.score(item) > 0.5 }
                  - { id: r, kind: amount_off, amount: 1 CNY, applies_to: recommend.score(item) <= 0.5, on_missing: { value: 0.9 } }
                """)
        let engine = Engine(rules: try F.ruleSet([campaign]), catalog: catalog)
        let cart = [F.line("1", "TEE", 1, 30_00), F.line("2", "J5", 2, 5_00), F.line("3", "COF", 1, 58_00)]
        let scores = ["TEE": 0.7, "COF": 0.3]  // none for J5
        let columns = engine.decide(F.request(cart), models: Columns(scores: scores))
        let oneByOne = engine.decide(
            F.request(cart),
            models: FixtureModelOutputs(
                customers: ["c-1": ["customer.segment": .string("loyal")]],
                customerItems: ["c-1": scores.mapValues { ["recommend.score": .number($0)] }]))
        #expect(columns.chosen == oneByOne.chosen && columns.rejected == oneByOne.rejected)
        #expect(columns.modelOutputs.map(\.value) == oneByOne.modelOutputs.map(\.value))
        #expect(
            columns.modelOutputs.filter { $0.function == "recommend.score" }.map(\.value) == [
                .number(0.7), nil, .number(0.3),
            ])
        #expect(!columns.chosen.isEmpty)
    }

    @Test func answersAppendedToTheEnginesBufferAreCutOrFilledAndStayWithTheirDecision() throws {
        let campaign = F.campaign(
            "tees",
            offers:
                "  - { id: q, kind: percent_off, percent: 10%, when: 'customer.segment in [\"loyal\"]', applies_to: item.category == \"tops\" and recommend.score(item) > 0.5 }"
        )
        let engine = Engine(rules: try F.ruleSet([campaign]), catalog: catalog)
        let segments = { (d: Decision) in d.modelOutputs.filter { $0.function == "customer.segment" }.map(\.value) }
        let cart = [F.line("1", "TEE", 1, 30_00), F.line("2", "J5", 1, 5_00)]
        let scores = { (d: Decision) in d.modelOutputs.filter { $0.function == "recommend.score" }.map(\.value) }
        let exact = engine.decide(F.request(cart, id: "d1"), models: Appending(score: 0.7, extra: 0))
        #expect(exact.chosen.map(\.offer) == ["q"])
        #expect(scores(exact) == [.number(0.7), .number(0.7)])
        #expect(exact.modelOutputs.allSatisfy { $0.fault == "partly answered" })
        // Two batches (the segment first, for the index), each answered with strays after its
        // values: the strays are dropped, not read as the next batch's.
        let long = engine.decide(F.request(cart, id: "d2"), models: Appending(score: 0.2, extra: 3))
        #expect(long.chosen.isEmpty)
        #expect(segments(long) == [.string("loyal")])
        #expect(!long.modelOutputs.contains { $0.value == .string("stray") })
        // Too few: the rest are missing, and the offer says so.
        let short = engine.decide(F.request(cart, id: "d3"), models: Appending(score: 0.7, extra: -100))
        #expect(short.modelOutputs.allSatisfy { $0.value == nil })
        #expect(reason(short, "q") == .modelOutputMissing)
        // The decisions still held keep their own outputs while the engine reuses its buffers.
        #expect(scores(exact) == [.number(0.7), .number(0.7)])
        #expect(scores(long) == [.number(0.2), .number(0.2)])
        #expect(segments(exact) == [.string("loyal")] && segments(long) == [.string("loyal")])
    }
}

@Suite struct LedgerConformanceTests {
    @Test func inMemoryLedgerMeetsTheContract() {
        #expect(BudgetLedgerConformance.failures { InMemoryBudgetLedger() } == [])
    }

    /// The check itself can fail: a ledger that never refuses does not conform.
    @Test func aLedgerThatNeverRefusesFails() {
        final class Lax: BudgetLedger {
            func view(campaigns: [String], customer: String, now: Int64, excludingDecision: String) -> BudgetView {
                .fresh
            }
            func reserve(decision: String, claims: [BudgetClaim], now: Int64, ttl: Int64) -> [String: BudgetRefusal] {
                [:]
            }
            func commit(decision: String, now: Int64) -> Bool { true }
            func release(decision: String) -> Bool { true }
        }
        #expect(BudgetLedgerConformance.failures { Lax() }.count >= 5)
    }
}

/// Strings the rules do not mention get symbols per decision; a reused frame must not let two
/// different strings of one decision share a symbol.
@Suite struct SymbolTests {
    @Test func stringsUnknownToTheRulesStayDistinctAcrossDecisions() throws {
        let campaign = F.campaign(
            "odd", offers: "  - { id: same, kind: amount_off, amount: 1 CNY, when: 'customer.tier == channel' }")
        let engine = Engine(rules: try F.ruleSet([campaign]), catalog: Catalog([CatalogItem(sku: "TEE", price: 30_00)]))
        for n in 0..<3 {
            var r = F.request([F.line("1", "TEE", 1, 30_00)], channel: "pos", id: "d\(n)")
            r.customer.tier = "vip"
            #expect(engine.decide(r, models: FixtureModelOutputs()).chosen.isEmpty, "decision \(n)")
            r.customer.tier = "pos"
            #expect(engine.decide(r, models: FixtureModelOutputs()).chosen.map(\.offer) == ["same"], "decision \(n)")
        }
    }
}
