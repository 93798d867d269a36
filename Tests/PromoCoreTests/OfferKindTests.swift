import Foundation
import PromoCore
import PromoDSL
import PromoTesting
import Testing

typealias F = RulesFixture

let catalog = Catalog([
    CatalogItem(sku: "COAT", category: "outerwear", brand: "N", price: 100_00, cost: 80_00, stock: 5),
    CatalogItem(sku: "CHEAP", category: "socks", brand: "N", price: 25, cost: 10, stock: 5),
    CatalogItem(sku: "TEE", category: "tops", brand: "N", price: 30_00, cost: 10_00, stock: 5),
    CatalogItem(sku: "J10", category: "juice", price: 10_00, cost: 5_00, stock: 50),
    CatalogItem(sku: "J8", category: "juice", price: 8_00, cost: 4_00, stock: 50),
    CatalogItem(sku: "J6", category: "juice", price: 6_00, cost: 3_00, stock: 50),
    CatalogItem(sku: "J5", category: "juice", price: 5_00, cost: 2_00, stock: 50),
    CatalogItem(sku: "COF", category: "coffee", price: 58_00, cost: 30_00, stock: 50),
    CatalogItem(sku: "OAT", category: "cereal", price: 24_00, cost: 11_00, stock: 50),
    CatalogItem(sku: "MILK", category: "dairy", price: 16_80, cost: 10_50, stock: 50),
    CatalogItem(sku: "TOTE", category: "bags", price: 49_00, cost: 12_00, stock: 0),
    CatalogItem(sku: "PEN", category: "stationery", price: 5_00, cost: 1_00, stock: 3),
])

func decide(
    _ campaigns: [String], _ lines: [CartLine], workspace: String = F.workspace, models: FixtureModelOutputs = .init(),
    shipping: Int64 = 0, time: Int64 = F.noon, customer: String = "c-1"
) throws -> Decision {
    let rules = try F.ruleSet(campaigns, workspace: workspace)
    return Engine(rules: rules, catalog: catalog).decide(
        F.request(lines, customer: customer, shipping: shipping, time: time), models: models)
}

func reason(_ d: Decision, _ offer: String) -> Reason? { d.rejected.first { $0.offer == offer }?.reason }

@Suite struct PercentAndAmountTests {
    @Test(arguments: [("half_up", Int64(3)), ("half_even", 2), ("half_down", 2), ("down", 2), ("up", 3)])
    func percentRoundingOnOddAmounts(mode: String, expected: Int64) throws {
        let ws = F.workspace.replacingOccurrences(of: "rounding: half_up", with: "rounding: \(mode)")
        let c = F.campaign("c", offers: "  - { id: p, kind: percent_off, percent: 10% }")
        let d = try decide([c], [F.line("1", "CHEAP", 1, 25)], workspace: ws)
        #expect(d.chosen.map(\.discount) == [expected])
    }

    @Test func marginFloorLimitsThePercent() throws {
        let c = F.campaign("c", offers: "  - { id: p, kind: percent_off, percent: 30%, margin_floor: 15% }")
        let d = try decide([c], [F.line("1", "COAT", 1, 100_00)])
        // lowest price keeping 15% margin over 80.00 cost is 94.12
        #expect(d.chosen.first?.discount == 5_88)
        let none = try decide(
            [F.campaign("c", offers: "  - { id: p, kind: percent_off, percent: 30%, margin_floor: 25% }")],
            [F.line("1", "COAT", 1, 100_00)])
        #expect(reason(none, "p") == .marginFloor)
    }

    @Test func amountLargerThanTheLineStopsAtZero() throws {
        let c = F.campaign("c", offers: "  - { id: a, kind: amount_off, amount: 50 CNY }")
        let d = try decide([c], [F.line("1", "TEE", 2, 30_00)])
        #expect(d.chosen.first?.discount == 60_00)
        #expect(d.lines.first?.total == 0)
        #expect(d.total == 0)
    }

    @Test func maxItemsTakesTheLargestDiscountsFirst() throws {
        let c = F.campaign("c", offers: "  - { id: p, kind: percent_off, percent: 10%, max_items: 2 }")
        let d = try decide([c], [F.line("1", "TEE", 1, 30_00), F.line("2", "COAT", 3, 100_00)])
        #expect(d.chosen.first?.allocation == [LineAmount(line: "2", amount: 20_00)])
    }

    @Test func fixedPriceAboveThePriceGivesNothing() throws {
        let c = F.campaign(
            "c", offers: "  - { id: f, kind: fixed_price, price: 59 CNY, applies_to: item.sku == \"TEE\" }")
        let d = try decide([c], [F.line("1", "TEE", 1, 30_00)])
        #expect(d.chosen.isEmpty)
        #expect(reason(d, "f") == .notEligible)
    }

    @Test func maxDiscountCapsAndStillSumsExactly() throws {
        let c = F.campaign("c", offers: "  - { id: p, kind: percent_off, percent: 50%, max_discount: 10 CNY }")
        let d = try decide(
            [c], [F.line("1", "TEE", 1, 30_00), F.line("2", "COAT", 1, 100_00), F.line("3", "J5", 1, 5_00)])
        let chosen = try #require(d.chosen.first)
        #expect(chosen.discount == 10_00)
        #expect(chosen.allocation.reduce(0) { $0 + $1.amount } == 10_00)
    }

    /// Under the cap a line's part can round to nothing (10.00 and 0.03 off, capped at 1.00: the
    /// small line's share is under one unit and loses the remainder): it then gets nothing, not the
    /// discount it had before the cap.
    @Test func maxDiscountLeavesNothingOnALineWhoseShareRoundsAway() throws {
        let c = F.campaign("c", offers: "  - { id: p, kind: percent_off, percent: 10%, max_discount: 1 CNY }")
        let d = try decide([c], [F.line("1", "COAT", 1, 100_00), F.line("2", "CHEAP", 1, 25)])
        let chosen = try #require(d.chosen.first)
        #expect(chosen.discount == 1_00)
        #expect(chosen.allocation == [LineAmount(line: "1", amount: 1_00)])
    }

    /// A cap of nothing leaves nothing on any line: the offer gives nothing.
    @Test func maxDiscountOfNothingGivesNothing() throws {
        let c = F.campaign("c", offers: "  - { id: p, kind: percent_off, percent: 10%, max_discount: 0 CNY }")
        let d = try decide([c], [F.line("1", "COAT", 1, 100_00), F.line("2", "CHEAP", 1, 25)])
        #expect(d.chosen.isEmpty)
        #expect(d.lines.allSatisfy { $0.discount == 0 })
        #expect(reason(d, "p") == .notEligible)
    }
}

@Suite struct SpendThresholdTests {
    let campaign = F.campaign(
        "c",
        offers: """
              - id: s
                kind: spend_threshold
                tiers: [{ spend: 300 CNY, off: 40 CNY }, { spend: 500 CNY, off: 80 CNY }]
                nudge_within: 50 CNY
            """)

    @Test func exactlyAtTheThresholdReachesTheTier() throws {
        let d = try decide([campaign], [F.line("1", "COAT", 2, 100_00), F.line("2", "COAT", 1, 100_00)])
        #expect(d.chosen.first?.discount == 40_00)
        #expect(
            d.chosen.first?.allocation == [LineAmount(line: "1", amount: 26_67), LineAmount(line: "2", amount: 13_33)])
        let five = try decide([campaign], [F.line("1", "COAT", 5, 100_00)])
        #expect(five.chosen.first?.discount == 80_00)
    }

    @Test func oneCentShortIsNotEligibleAndNudges() throws {
        let d = try decide([campaign], [F.line("1", "COAT", 2, 100_00), F.line("2", "COAT", 1, 99_99)])
        #expect(d.chosen.isEmpty)
        #expect(reason(d, "s") == .notEligible)
        #expect(d.nudges.first?.nudge == Nudge(needed: 1, tierSpend: 300_00, tierOff: 40_00, tierPercent: nil))
    }

    /// Below the tier, near enough to nudge, but a line's `applies_to` read a missing output: the
    /// offer is reported as missing an output, and no nudge is made from a subtotal it could not
    /// know.
    @Test func aMissingOutputBelowTheTierMakesNoNudge() throws {
        let c = F.campaign(
            "c",
            offers: """
                  - id: s
                    kind: spend_threshold
                    applies_to: forecast.days_of_cover(item) > 30
                    tiers: [{ spend: 300 CNY, off: 40 CNY }]
                    nudge_within: 150 CNY
                """)
        let models = FixtureModelOutputs(items: ["COAT": ["forecast.days_of_cover": .number(45)]])
        let lines = [F.line("1", "COAT", 2, 100_00), F.line("2", "TEE", 1, 30_00)]
        let d = try decide([c], lines, models: models)
        #expect(reason(d, "s") == .modelOutputMissing)
        #expect(d.nudges.isEmpty)
        // The same cart with the output known nudges.
        var known = models
        known.items["TEE"] = ["forecast.days_of_cover": .number(5)]
        let nudged = try decide([c], lines, models: known)
        #expect(reason(nudged, "s") == .notEligible)
        #expect(nudged.nudges.first?.nudge.needed == 100_00)
    }
}

@Suite struct BuyXGetYTests {
    let threeForTwo = F.campaign(
        "c",
        offers: """
              - id: b
                kind: buy_x_get_y
                buy: { match: item.category == "juice", quantity: 2 }
                get: { match: item.category == "juice", quantity: 1, percent: 100% }
            """)
    let lines = [
        F.line("a", "J10", 2, 10_00), F.line("b", "J8", 2, 8_00), F.line("c", "J6", 1, 6_00),
        F.line("d", "J5", 1, 5_00),
    ]

    @Test func cheapestItemsAreFreePerMultipleWhateverTheLineOrder() throws {
        var expected: Decision.Outcome?
        for permutation in [lines, lines.reversed(), [lines[2], lines[0], lines[3], lines[1]]] {
            let d = try decide([threeForTwo], permutation)
            #expect(d.chosen.first?.discount == 11_00)
            #expect(
                d.chosen.first?.allocation == [
                    LineAmount(line: "c", amount: 6_00), LineAmount(line: "d", amount: 5_00),
                ])
            if let expected { #expect(d.outcome == expected) }
            expected = d.outcome
        }
    }

    @Test func maxApplicationsAndPartialPercent() throws {
        let once = threeForTwo.replacingOccurrences(
            of: "percent: 100% }", with: "percent: 50% }\n    max_applications: 1")
        let d = try decide([once], lines)
        #expect(d.chosen.first?.discount == 2_50)
        let short = try decide([threeForTwo], [F.line("a", "J10", 2, 10_00)])
        #expect(reason(short, "b") == .notEligible)
    }

    @Test func differentBuyAndGetSets() throws {
        let c = F.campaign(
            "c",
            offers: """
                  - id: b
                    kind: buy_x_get_y
                    buy: { match: item.category == "coffee", quantity: 2 }
                    get: { match: item.category == "dairy", quantity: 1, percent: 50% }
                """)
        let d = try decide([c], [F.line("1", "COF", 4, 58_00), F.line("2", "MILK", 3, 16_80)])
        #expect(d.chosen.first?.discount == 16_80)  // two applications, 8.40 each
    }
}

@Suite struct BundleGiftShippingTests {
    @Test func breakfastBundles() throws {
        let c = F.campaign(
            "c",
            offers: """
                  - id: bb
                    kind: bundle
                    items:
                      - { sku: "COF", quantity: 1 }
                      - { match: item.category == "cereal", quantity: 1 }
                      - { match: item.category == "dairy", quantity: 2 }
                    price: 99 CNY
                    max_bundles: 2
                """)
        let lines = [F.line("1", "COF", 3, 58_00), F.line("2", "OAT", 2, 24_00), F.line("3", "MILK", 5, 16_80)]
        let d = try decide([c], lines)
        #expect(d.chosen.first?.discount == 33_20)
        #expect(d.chosen.first?.allocation.reduce(0) { $0 + $1.amount } == 33_20)
        let incomplete = try decide([c], [F.line("1", "COF", 1, 58_00), F.line("3", "MILK", 2, 16_80)])
        #expect(reason(incomplete, "bb") == .notEligible)
    }

    @Test func giftOnlyWhenInStock() throws {
        let out = F.campaign("c", offers: "  - { id: g, kind: gift, sku: \"TOTE\" }")
        let d = try decide([out], [F.line("1", "TEE", 1, 30_00)])
        #expect(reason(d, "g") == .notEligible)
        #expect(d.rejected.first?.detail == "gift TOTE is out of stock (0 left, 1 needed)")
        let inStock = try decide(
            [F.campaign("c", offers: "  - { id: g, kind: gift, sku: \"PEN\", quantity: 2 }")],
            [F.line("1", "TEE", 1, 30_00)])
        #expect(inStock.gifts == [GiftLine(sku: "PEN", quantity: 2, campaign: "c", offer: "g")])
        #expect(inStock.total == 30_00)
    }

    @Test func freeShippingUpToItsCap() throws {
        let c = F.campaign("c", offers: "  - { id: s, kind: free_shipping, max_shipping: 10 CNY }")
        let d = try decide([c], [F.line("1", "TEE", 1, 30_00)], shipping: 15_00)
        #expect(d.shippingDiscount == 10_00)
        #expect(d.total == 35_00)
        let noFee = try decide([c], [F.line("1", "TEE", 1, 30_00)])
        #expect(reason(noFee, "s") == .notEligible)
    }
}

@Suite struct LimitsTests {
    @Test func requestsThatCouldOverflowAreRefusedNotWrapped() throws {
        let c = F.campaign("c", offers: "  - { id: p, kind: percent_off, percent: 10% }")
        let huge = try decide([c], [F.line("1", "TEE", 10_001, 30_00)])
        #expect(huge.problem == "line 1: quantity 10001 is out of range 0...10000")
        #expect(huge.chosen.isEmpty && huge.total == 0)
        let fine = try decide([c], [F.line("1", "TEE", 10_000, Limits.maxUnitAmount)])
        #expect(fine.problem == nil)
        #expect(fine.subtotal == 10_000 * Limits.maxUnitAmount)
    }
}

@Suite struct MoneyAndValueTests {
    @Test func moneyArithmeticRefusesOverflowAndMixedCurrencies() throws {
        let big = Money(minorUnits: .max - 1, currency: "CNY")
        #expect(throws: MoneyError.overflow) { try big.adding(Money(minorUnits: 2, currency: "CNY")) }
        #expect(throws: MoneyError.overflow) { try big.multiplied(by: 2) }
        #expect(throws: MoneyError.currencyMismatch("CNY", "USD")) {
            try Money(minorUnits: 1, currency: "CNY").subtracting(Money(minorUnits: 1, currency: "USD"))
        }
        #expect(
            try Money(minorUnits: 1_250, currency: "CNY").adding(Money(minorUnits: 5, currency: "CNY")).description
                == "12.55 CNY")
    }

    @Test func valuesRoundTripThroughJSON() throws {
        let values: [Value] = [
            .bool(true), .number(0.5), .money(1_250), .percent(125_000), .string("loyal"), .dateTime(1_796_443_200),
            .duration(604_800), .list([.string("a")]), .missing,
        ]
        let data = try JSONEncoder().encode(values)
        #expect(try JSONDecoder().decode([Value].self, from: data) == values)
        #expect(
            String(decoding: try JSONEncoder().encode(Value.money(1_250)), as: UTF8.self).contains("\"type\":\"money\"")
        )
    }
}

@Suite struct CatalogLimitTests {
    @Test func catalogAmountsOutOfRangeAreRefused() throws {
        let rules = try F.ruleSet([F.campaign("c", offers: "  - { id: p, kind: percent_off, percent: 10% }")])
        let odd = Catalog([CatalogItem(sku: "X", price: 10_00, cost: Limits.maxUnitAmount + 1)])
        let d = Engine(rules: rules, catalog: odd).decide(
            F.request([F.line("1", "X", 1, 10_00)]), models: FixtureModelOutputs())
        #expect(d.problem == "catalog item X: price or cost is out of range")
    }
}

/// Text tests against literal lists of every length (the first two values are held apart from
/// the rest): members anywhere in the list, non-members, `==` and `!=`, on a field and on a
/// model output.
@Suite struct TextComparisonTests {
    @Test func membershipInListsOfEveryLength() throws {
        let cases: [(id: String, condition: String, holds: Bool)] = [
            ("eq-hit", #"item.category == "tops""#, true),
            ("eq-miss", #"item.category == "socks""#, false),
            ("ne-hit", #"item.category != "tops""#, false),
            ("ne-miss", #"item.category != "socks""#, true),
            ("in2-first", #"item.category in ["tops", "socks"]"#, true),
            ("in2-second", #"item.category in ["socks", "tops"]"#, true),
            ("in2-miss", #"item.category in ["socks", "juice"]"#, false),
            ("in3-third", #"item.category in ["socks", "juice", "tops"]"#, true),
            ("in3-miss", #"item.category in ["socks", "juice", "coffee"]"#, false),
            ("in4-last", #"item.category in ["socks", "juice", "coffee", "tops"]"#, true),
            ("in4-miss", #"item.category in ["socks", "juice", "coffee", "dairy"]"#, false),
        ]
        let segments: [(id: String, condition: String, holds: Bool)] = [
            ("seg-in3-third", #"customer.segment in ["new", "lapsed", "loyal"]"#, true),
            ("seg-in3-miss", #"customer.segment in ["new", "lapsed", "at_risk"]"#, false),
            ("seg-ne", #"customer.segment != "loyal""#, false),
        ]
        let offers =
            cases.map { "  - { id: \($0.id), kind: amount_off, amount: 1 CNY, applies_to: '\($0.condition)' }" }
            + segments.map { "  - { id: \($0.id), kind: amount_off, amount: 1 CNY, when: '\($0.condition)' }" }
        let models = FixtureModelOutputs(customers: ["c-1": ["customer.segment": .string("loyal")]])
        let d = try decide(
            [F.campaign("t", offers: offers.joined(separator: "\n"))], [F.line("1", "TEE", 1, 30_00)], models: models)
        for c in cases + segments {
            // Holds: given, or refused for a reason other than eligibility (the index leaves out
            // offers whose line condition cannot hold, so those are not listed at all).
            let given = d.chosen.contains { $0.offer == c.id }
            let refused = reason(d, c.id)
            #expect((given || (refused != nil && refused != .notEligible)) == c.holds, "\(c.id): \(c.condition)")
        }
        // And with the index off, where every offer's condition runs.
        let rules = try F.ruleSet([F.campaign("t", offers: offers.joined(separator: "\n"))])
        let all = Engine(rules: rules, catalog: catalog, useIndex: false).decide(
            F.request([F.line("1", "TEE", 1, 30_00)]), models: models)
        for c in cases + segments {
            let given = all.chosen.contains { $0.offer == c.id }
            #expect((given || reason(all, c.id) != .notEligible) == c.holds, "index off, \(c.id): \(c.condition)")
        }
    }
}

/// The index keeps an offer met on a line only when the request's channel and segment are among
/// those it allows (or it names none): the others are not considered at all.
@Suite struct IndexAllowanceTests {
    @Test func offersOfAnotherChannelOrSegmentAreNotConsidered() throws {
        let offers: [(id: String, when: String?, considered: Bool)] = [
            ("any", nil, true),
            ("web", #"channel == "web""#, true),
            ("app", #"channel == "app""#, false),
            ("loyal", #"customer.segment in ["new", "loyal"]"#, true),
            ("lapsed", #"customer.segment == "lapsed""#, false),
            ("web-loyal", #"channel == "web" and customer.segment == "loyal""#, true),
            ("web-lapsed", #"channel == "web" and customer.segment == "lapsed""#, false),
            ("app-loyal", #"channel in ["app", "store"] and customer.segment == "loyal""#, false),
        ]
        let yaml = offers.map { o in
            "  - { id: \(o.id), kind: amount_off, amount: 1 CNY, applies_to: 'item.category == \"tops\"'"
                + (o.when.map { ", when: '\($0)'" } ?? "") + " }"
        }
        let models = FixtureModelOutputs(customers: ["c-1": ["customer.segment": .string("loyal")]])
        let rules = try F.ruleSet([F.campaign("t", offers: yaml.joined(separator: "\n"))])
        let d = Engine(rules: rules, catalog: catalog).decide(F.request([F.line("1", "TEE", 1, 30_00)]), models: models)
        let listed = Set(d.chosen.map(\.offer) + d.rejected.map(\.offer))
        for o in offers { #expect(listed.contains(o.id) == o.considered, "\(o.id)") }
        #expect(d.offersNotConsidered == offers.filter { !$0.considered }.count)
    }
}

/// More than 64 distinct model calls: the outputs a decision asks for are then a set, not bits
/// (the usual case); offers reading slots past 64 still get their values.
@Suite struct ManyModelSlotsTests {
    @Test func outputsPastTheSixtyFourthSlotAreGathered() throws {
        let hours = 1...70
        let offers = hours.map {
            "  - { id: o\($0), kind: amount_off, amount: 1 CNY, applies_to: 'forecast.demand(item, \($0)h) > 5' }"
        }
        let rules = try F.ruleSet([F.campaign("many", offers: offers.joined(separator: "\n"))])
        // demand over n hours is n units: the offers for 6 hours and more apply.
        let demand = Dictionary(
            uniqueKeysWithValues: hours.map {
                ("forecast.demand(\(DurationValue(seconds: Int64($0) * 3600)))", Value.number(Double($0)))
            })
        let models = FixtureModelOutputs(items: ["TEE": demand])
        let d = Engine(rules: rules, catalog: catalog).decide(F.request([F.line("1", "TEE", 1, 30_00)]), models: models)
        for n in hours {
            let given = d.chosen.contains { $0.offer == "o\(n)" }
            let r = reason(d, "o\(n)")
            #expect(r != .modelOutputMissing, "o\(n): its output was not gathered")
            #expect((given || (r != nil && r != .notEligible)) == (n > 5), "o\(n)")
        }
    }
}

/// Carts of more than 64 lines: the evaluator keeps the lines an offer applies to as bits only up
/// to 64 lines, and in its arena beyond; lines past the 64th are discounted all the same.
@Suite struct LongCartTests {
    /// 70 lines in id order, a tee every third line (the first and the last among them).
    static let cart = (0..<70).map { k in
        F.line(
            "L" + String(repeating: "0", count: 3 - String(k).count) + String(k), k % 3 == 0 ? "TEE" : "COAT", 1,
            k % 3 == 0 ? 30_00 : 100_00)
    }

    static func discounts(_ d: Decision) -> (tees: Set<Int64>, coats: Set<Int64>, last: Int64?) {
        (
            Set(d.lines.filter { $0.sku == "TEE" }.map(\.discount)),
            Set(d.lines.filter { $0.sku == "COAT" }.map(\.discount)), d.lines.last { $0.id == "L069" }?.discount
        )
    }

    @Test(arguments: ["item.category == \"tops\"", "item.category != \"outerwear\""])
    func percentOffReachesEveryMatchingLine(appliesTo: String) throws {
        let c = F.campaign("c", offers: "  - { id: p, kind: percent_off, percent: 10%, applies_to: '\(appliesTo)' }")
        let d = try decide([c], Self.cart)
        #expect(d.lines.count == 70)
        #expect(d.discount == 24 * 3_00)
        let (tees, coats, last) = Self.discounts(d)
        #expect(tees == [3_00] && coats == [0] && last == 3_00)
    }

    @Test func spendThresholdIsAllocatedOverEveryMatchingLine() throws {
        let c = F.campaign(
            "c",
            offers:
                "  - { id: t, kind: spend_threshold, applies_to: 'item.category == \"tops\"', tiers: [{ spend: 500 CNY, off: 48 CNY }] }"
        )
        let d = try decide([c], Self.cart)
        #expect(d.discount == 48_00)
        let (tees, coats, last) = Self.discounts(d)
        #expect(tees == [2_00] && coats == [0] && last == 2_00)
    }
}
