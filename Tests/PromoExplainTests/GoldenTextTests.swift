import Foundation
import PromoCore
import PromoDSL
import PromoExplain
import PromoTesting
import Testing

typealias F = RulesFixture

/// The decisions the golden tests render: the example workspace's carts, and a workspace built so
/// that every reason an offer can be refused for occurs.
enum GoldenCases {
    static let catalog = Catalog([
        CatalogItem(sku: "TEE", category: "tops", brand: "fold", price: 30_00, cost: 12_00, stock: 50),
        CatalogItem(sku: "COAT", category: "coats", brand: "north", price: 400_00, cost: 380_00, stock: 5),
        CatalogItem(sku: "SOCK", category: "socks", brand: "fold", price: 8_00, cost: 2_00, stock: 100),
        CatalogItem(sku: "TOTE", category: "bags", brand: "fold", price: 25_00, cost: 6_00, stock: 0),
    ])

    /// Campaigns whose offers are refused for every reason there is.
    static let reasonCampaigns = [
        F.campaign(
            "later", extra: "schedule: { starts: 2027-01-01T00:00+08:00 }\n",
            offers: "  - { id: next-year, kind: percent_off, percent: 10% }"),
        F.campaign("control", offers: "  - { id: held-out, kind: amount_off, amount: 5 CNY }")
            .replacingOccurrences(of: "holdout: 0%", with: "holdout: 100%"),
        F.campaign(
            "tight", group: "flat", extra: "budget: { total: 1 CNY }\n",
            offers: "  - { id: over-budget, kind: amount_off, amount: 3 CNY, applies_to: 'item.category == \"tops\"' }"),
        F.campaign(
            "capped", group: "flat", extra: "budget: { per_customer: 1 }\n",
            offers: "  - { id: once-only, kind: amount_off, amount: 2 CNY, applies_to: 'item.category == \"socks\"' }"),
        F.campaign(
            "seasonal", group: "seasonal",
            offers: """
                  - { id: tops-20, kind: percent_off, percent: 20%, applies_to: 'item.category == "tops"' }
                  - { id: tops-5, kind: percent_off, percent: 5%, applies_to: 'item.category == "tops"' }
                  - { id: coat-floor, kind: percent_off, percent: 30%, margin_floor: 10%, applies_to: 'item.category == "coats"' }
                  - { id: needs-forecast, kind: percent_off, percent: 15%, applies_to: 'item.category == "socks" and forecast.days_of_cover(item) > 30' }
                """),
        F.campaign(
            "perks", group: "perks",
            offers: """
                  - { id: tote-gift, kind: gift, sku: TOTE }
                  - { id: ship-free, kind: free_shipping, priority: 2 }
                  - { id: ship-half, kind: free_shipping, max_shipping: 4 CNY, priority: 1 }
                """),
        F.campaign(
            "vip", extra: "exclusive: true\n",
            offers: "  - { id: vip-only, kind: amount_off, amount: 1 CNY, when: 'channel == \"app\"' }"),
        F.campaign(
            "members", extra: "exclusive: true\nweight: 50\n",
            offers: "  - { id: members-50, kind: percent_off, percent: 50%, when: 'customer.segment == \"loyal\"' }"),
    ]

    struct Case {
        var name: String
        var trace: DecisionTrace
    }

    static func all() throws -> [Case] {
        var cases: [Case] = []
        let engine = try Examples.engine()
        let models = try Examples.models()
        let masking = TraceMasking(engine.rules.traceSettings)
        for (name, customer, cart) in [
            ("winter", "c-1001", "cart-winter.yaml"), ("near-tier", "c-2002", "cart-near-tier.yaml"),
            ("breakfast", "c-3003", "cart-breakfast.yaml"),
        ] {
            let r = try Examples.request(customer: customer, cart: cart, at: F.noon, id: "golden-\(name)")
            cases.append(Case(name: name, trace: engine.decideTraced(r, models: models, masking: masking).1))
        }
        let reasons = Engine(rules: try F.ruleSet(reasonCampaigns), catalog: catalog)
        let lines = [F.line("1", "TEE", 2, 30_00), F.line("2", "COAT", 1, 400_00), F.line("3", "SOCK", 3, 8_00)]
        let fixture = FixtureModelOutputs(customers: ["c-1": ["customer.segment": .string("loyal")]])
        let budgets = BudgetView(remaining: ["tight": 1_00], customerCounts: ["capped": 1])
        for (name, channel) in [("reasons-web", "web"), ("reasons-app", "app")] {
            let r = F.request(lines, channel: channel, shipping: 10_00, id: "golden-\(name)")
            cases.append(
                Case(name: name, trace: reasons.decideTraced(r, models: fixture, budgets: budgets).1))
        }
        return cases
    }
}

@Suite struct GoldenTextTests {
    @Test func textRenderingMatchesTheGoldenFiles() throws {
        let dir = PromoTesting.repositoryRoot.appendingPathComponent("Tests/PromoExplainTests/Golden")
        for c in try GoldenCases.all() {
            let text = TraceTextRenderer(color: false).render(c.trace)
            let url = dir.appendingPathComponent("\(c.name).txt")
            if PromoTesting.recording {
                try text.write(to: url, atomically: true, encoding: .utf8)
                continue
            }
            let expected = try String(contentsOf: url, encoding: .utf8)
            #expect(
                text == expected, "\(c.name): rendering differs from Golden/\(c.name).txt (PROMO_RECORD=1 to update)")
        }
    }

    /// The golden decisions between them show every reason and every offer kind.
    @Test func theGoldenCasesCoverEveryReasonAndKind() throws {
        let traces = try GoldenCases.all().map(\.trace)
        let outcomes = Set(traces.flatMap { $0.offers.map(\.outcome) })
        #expect(outcomes == Set(Reason.allCases.map(\.rawValue) + ["chosen"]))
        let kinds = Set(traces.flatMap { $0.offers.map(\.kind) })
        #expect(kinds == Set(OfferKind.names))
    }

    @Test func goldenTracesValidateAgainstTheSchema() throws {
        try validateAgainstSchema(try GoldenCases.all().map(\.trace))
    }

    /// With `max_items`, the units go to the largest unit discounts first, which need not be in
    /// line order: each value line keeps its own unit discount and units.
    @Test func maxItemsValueLinesKeepTheirOwnUnitDiscount() throws {
        let rules = try F.ruleSet([
            F.campaign(
                "two", group: "flat",
                offers: "  - { id: two-units, kind: amount_off, amount: item.price * 10%, max_items: 2 }")
        ])
        let engine = Engine(rules: rules, catalog: GoldenCases.catalog)
        // Line 1 (socks, 0.80 off a unit) comes before line 2 (coat, 40.00 off a unit).
        let r = F.request([F.line("1", "SOCK", 3, 8_00), F.line("2", "COAT", 1, 400_00)])
        let offer = try #require(engine.decideTraced(r, models: FixtureModelOutputs()).1.offers.first)
        let lines = try #require(offer.value).lines.map {
            [$0.line, "\($0.unitDiscount)", "\($0.units)", "\($0.discount)"]
        }
        #expect(lines == [["2", "4000", "1", "4000"], ["1", "80", "1", "80"]])
    }

    /// Each value line names the unit value's expression with the value it had: a literal (read
    /// as such, not evaluated per line) as itself, a computed one as computed on that line.
    @Test func valueLinesNameTheUnitValueExpression() throws {
        let rules = try F.ruleSet([
            F.campaign(
                "lit", group: "flat", offers: "  - { id: tenth, kind: percent_off, percent: 10% }"),
            F.campaign(
                "calc", group: "flat", offers: "  - { id: part, kind: amount_off, amount: item.price * 5% }"),
        ])
        let engine = Engine(rules: rules, catalog: GoldenCases.catalog)
        let r = F.request([F.line("1", "SOCK", 3, 8_00), F.line("2", "COAT", 1, 400_00)])
        let offers = engine.decideTraced(r, models: FixtureModelOutputs()).1.offers
        func expressions(_ id: String) throws -> [String] {
            try #require(offers.first { $0.offer == id }?.value).lines.map {
                let e = $0.expression
                return
                    "\($0.line) \(e?.text ?? "-") \(e?.result ?? "-") \(e?.operands.map { "\($0.value.map { "\($0)" } ?? "-")" } ?? [])"
            }
        }
        #expect(try expressions("tenth") == ["1 10% value [\"percent(100000)\"]", "2 10% value [\"percent(100000)\"]"])
        #expect(
            try expressions("part") == [
                "1 item.price * 5% value [\"money(40)\"]", "2 item.price * 5% value [\"money(2000)\"]",
            ])
    }

    /// Strings neither the rules nor the catalog know (skus, a channel) get symbols of the
    /// decision's own: many of them, past the few found by comparison, and fresh ones for the
    /// next decision on the same frame, each read back as its own text.
    @Test func unknownStringsKeepTheirTextInTraces() throws {
        let rules = try F.ruleSet([
            F.campaign(
                "any", group: "flat",
                offers: """
                      - id: tenth
                        kind: percent_off
                        percent: 10%
                        applies_to: 'item.sku != "NONE"'
                        when: 'channel != "app"'
                    """)
        ])
        let engine = Engine(rules: rules, catalog: GoldenCases.catalog)
        // Twelve lines over `distinct` skus: repeated skus are found again among few or many.
        for (prefix, channel, distinct) in [
            ("X", "kiosk", 12), ("Y", "phone", 4), ("Z", "kiosk", 10), ("W", "app2", 12),
        ] {
            let r = F.request(
                (0..<12).map { F.line(String(format: "%02d", $0), "\(prefix)\($0 % distinct)", 1, 10_00) },
                channel: channel)
            let offer = try #require(engine.decideTraced(r, models: FixtureModelOutputs()).1.offers.first)
            #expect(offer.when?.operands.first?.value == .string(channel))
            #expect(offer.appliesTo.count == 12)
            for l in offer.appliesTo {
                #expect(l.matched)
                #expect(l.condition.operands.first?.value == .string(l.sku))
            }
            #expect(Set(offer.appliesTo.map(\.sku)) == Set((0..<distinct).map { "\(prefix)\($0)" }))
        }
    }

    @Test func colourOnlyWhenAsked() throws {
        let t = try GoldenCases.all()[0].trace
        #expect(!TraceTextRenderer(color: false).render(t).contains("\u{1B}["))
        #expect(TraceTextRenderer(color: true).render(t).contains("\u{1B}[32m"))
    }
}
