import Foundation
import PromoCore
import PromoDSL
import PromoTesting
import PropertyBased
import Testing

/// Invariants over generated rule sets, carts and model outputs.
@Suite struct DecisionPropertyTests {
    static let seeds = Gen.int(in: 0...Int(Int32.max))

    func engine(_ s: Scenario, reordered: Bool = false, index: Bool = true) throws -> Engine {
        Engine(
            rules: try RulesFixture.ruleSet(reordered ? s.campaignsReordered.reversed() : s.campaigns),
            catalog: s.catalog, useIndex: index)
    }

    @Test func invariantUnderPermutationsOfLinesOffersAndFiles() async throws {
        await propertyCheck(count: 150, input: Self.seeds) { seed in
            let s = Scenario(seed: seed)
            let d = try engine(s).decide(s.request(), models: s.models)
            var permuted = try engine(s, reordered: true).decide(s.request(lines: s.lines.reversed()), models: s.models)
            // Reordering offers inside a file changes its text, hence the digest; file order alone does not.
            #expect(try RulesFixture.ruleSet(s.campaigns.reversed()).digest == d.rulesDigest)
            permuted.rulesDigest = d.rulesDigest
            #expect(d == permuted, "seed \(seed)")
            #expect(try engine(s).decide(s.request(), models: s.models) == d, "same request twice, seed \(seed)")
        }
    }

    @Test func moneyAddsUpAndNothingIsNegative() async throws {
        await propertyCheck(count: 200, input: Self.seeds) { seed in
            let s = Scenario(seed: seed)
            let d = try engine(s).decide(s.request(), models: s.models)
            #expect(d.lines.reduce(0) { $0 + $1.discount } == d.discount)
            #expect(d.chosen.reduce(0) { $0 + $1.discount } == d.discount)
            for c in d.chosen { #expect(c.allocation.reduce(0) { $0 + $1.amount } == c.discount) }
            #expect(d.lines.allSatisfy { $0.total >= 0 && $0.discount >= 0 && $0.discount <= $0.amount })
            #expect(d.shippingDiscount <= d.shipping)
            #expect(d.total >= 0)
            #expect(d.total == d.subtotal - d.discount + d.shipping - d.shippingDiscount)
        }
    }

    /// The offers not given are listed in the order of their names (campaign id, then offer id),
    /// whichever step set them aside (campaign, evaluation or selection, over the limit too).
    @Test func rejectionsComeInTheOrderOfTheirNames() async throws {
        await propertyCheck(count: 150, input: Self.seeds) { seed in
            let s = Scenario(seed: seed)
            for limit in [1, 5] {
                let ws = RulesFixture.workspace.replacingOccurrences(
                    of: "max_offers_per_customer: 5", with: "max_offers_per_customer: \(limit)")
                let e = Engine(rules: try RulesFixture.ruleSet(s.campaigns, workspace: ws), catalog: s.catalog)
                let names = e.decide(s.request(), models: s.models).rejected.map { [$0.campaign, $0.offer] }
                #expect(names == names.sorted { $0.lexicographicallyPrecedes($1) }, "seed \(seed), limit \(limit)")
            }
        }
    }

    @Test func indexOnAndOffGiveTheSameDecision() async throws {
        await propertyCheck(count: 200, input: Self.seeds) { seed in
            let s = Scenario(seed: seed)
            let on = try engine(s).decide(s.request(), models: s.models)
            let off = try engine(s, index: false).decide(s.request(), models: s.models)
            #expect(on.outcome == off.outcome, "seed \(seed)")
            let reasonsOn = Dictionary(
                uniqueKeysWithValues: on.rejected.map { ("\($0.campaign)/\($0.offer)", $0.reason) })
            for r in off.rejected where reasonsOn["\(r.campaign)/\(r.offer)"] != nil {
                #expect(reasonsOn["\(r.campaign)/\(r.offer)"] == r.reason, "seed \(seed) \(r.offer)")
            }
        }
    }

    /// Over the per-customer limit, each selection pass resumes at the first pick set aside
    /// instead of deciding every group again: the decision (rejections too) is the same.
    @Test func selectionResumingAtTheFirstPickSetAsideDecidesAsStartingOver() async throws {
        await propertyCheck(count: 150, input: Self.seeds) { seed in
            let s = Scenario(seed: seed)
            for limit in 1...3 {
                let ws = RulesFixture.workspace.replacingOccurrences(
                    of: "max_offers_per_customer: 5", with: "max_offers_per_customer: \(limit)")
                let resuming = Engine(rules: try RulesFixture.ruleSet(s.campaigns, workspace: ws), catalog: s.catalog)
                var over = resuming
                over.resumesSelection = false
                let a = resuming.decide(s.request(), models: s.models)
                #expect(a == over.decide(s.request(), models: s.models), "seed \(seed), limit \(limit)")
            }
        }
    }

    /// The index tells evaluation which lines met each offer for carts of up to 64 lines; longer
    /// carts go back to the line filter. Both sides of that limit decide as the index-free engine does.
    @Test func indexOnAndOffAgreeOnCartsAroundSixtyFourLines() async throws {
        await propertyCheck(count: 40, input: Self.seeds) { seed in
            let s = Scenario(seed: seed)
            for size in [64, 65, 90] {
                let lines = (0..<size).map { k in
                    var l = s.lines[k % s.lines.count]
                    l.id = String(format: "L%03d", k)
                    return l
                }
                let on = try engine(s).decide(s.request(lines: lines), models: s.models)
                let off = try engine(s, index: false).decide(s.request(lines: lines), models: s.models)
                #expect(on.outcome == off.outcome, "seed \(seed), \(size) lines")
            }
        }
    }

    @Test func addingAnItemNeverLowersAReachedTier() async throws {
        let campaign = RulesFixture.campaign(
            "tiers",
            offers: """
                  - id: spend
                    kind: spend_threshold
                    tiers: [{ spend: 100 CNY, off: 10 CNY }, { spend: 300 CNY, off: 40 CNY }, { spend: 600 CNY, percent: 12% }]
                """)
        let rules = try RulesFixture.ruleSet([campaign])
        await propertyCheck(count: 200, input: Self.seeds) { seed in
            let s = Scenario(seed: seed)
            let engine = Engine(rules: rules, catalog: s.catalog)
            let before = engine.decide(s.request(), models: s.models).discount
            var g = SplitMix(seed: seed &+ 1)
            let extra = s.skus.randomElement(using: &g)!
            let more =
                s.lines + [
                    CartLine(
                        id: "Lx", sku: extra.sku, quantity: Int.random(in: 1...3, using: &g), unitPrice: extra.price)
                ]
            let after = engine.decide(s.request(lines: more), models: s.models).discount
            #expect(after >= before, "seed \(seed)")
        }
    }

    @Test func budgetsAreNeverExceeded() async throws {
        await propertyCheck(count: 40, input: Self.seeds) { seed in
            let s = Scenario(seed: seed)
            let rules = try RulesFixture.ruleSet(s.campaigns)
            let engine = Engine(rules: rules, catalog: s.catalog)
            let ledger = InMemoryBudgetLedger()
            var given: [String: Int64] = [:]
            var perCustomer: [String: Int] = [:]
            for i in 0..<25 {
                let customer = "c-\(i % 4)"
                let d = engine.decide(s.request(id: "d\(i)", customer: customer), models: s.models, ledger: ledger)
                for campaign in Set(d.chosen.map(\.campaign)) {
                    perCustomer["\(campaign)|\(customer)", default: 0] += 1
                }
                for c in d.chosen {
                    let gift = c.gift.map { g in (s.catalog[g.sku]?.price ?? 0) * Int64(g.quantity) } ?? 0
                    given[c.campaign, default: 0] += c.discount + c.shippingDiscount + gift
                }
            }
            for (index, text) in s.campaigns.enumerated() {
                let id = "camp\(index)"
                guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("budget:") }) else { continue }
                let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int64($0) }
                #expect((given[id] ?? 0) <= numbers[0] * 100, "seed \(seed) \(id)")
                for c in 0..<4 { #expect((perCustomer["\(id)|c-\(c)"] ?? 0) <= Int(numbers[1]), "seed \(seed) \(id)") }
            }
        }
    }
}
