import Foundation
import PromoDSL
import PromoTesting
import PromoYAML
import Testing

@Suite struct RulesLanguageTests {
    static let workspace = """
        promo: 1
        currency: CNY
        stacking:
          seasonal: { mode: best }
        models:
          forecast: demand-forecast
          pricing: thompson-pricing
          profile: customer-profiler
        """

    static func manifests() throws -> [(path: String, bytes: [UInt8])] { try RulesFixture.manifests() }

    func load(_ campaign: String, workspace: String = workspace) throws -> LoadedRules {
        RulesLoader(now: PromoTesting.fixedNow).load(
            workspace: ("rules/promo.yaml", Array(workspace.utf8)), campaigns: [("rules/c.yaml", Array(campaign.utf8))],
            manifests: try Self.manifests())
    }

    @Test func exampleWorkspaceValidatesClean() throws {
        let rules = try RulesLoader(now: PromoTesting.fixedNow).load(paths: [PromoTesting.rulesDirectory])
        #expect(rules.diagnostics.isEmpty, "\(rules.diagnostics.map { "\($0.location): \($0.message)" })")
        #expect(rules.campaigns.count >= 6)
        let kinds = Set(rules.campaigns.flatMap { $0.offers.map(\.kind.name) })
        #expect(kinds == Set(OfferKind.names))
        let groups = Set(rules.workspace?.groups.map(\.mode) ?? [])
        #expect(groups == Set(StackingGroup.Mode.allCases))
        var roles: Set<String> = []
        func collect(_ e: Expr) {
            switch e.kind {
            case .model(let ref, let args):
                roles.insert(ref.role)
                args.forEach(collect)
            case .binary(_, let a, let b):
                collect(a)
                collect(b)
            case .unary(_, let a): collect(a)
            case .builtin(_, let args), .list(let args): args.forEach(collect)
            default: break
            }
        }
        for c in rules.campaigns {
            c.lets.forEach { collect($0.expr) }
            for o in c.offers {
                [o.when, o.appliesTo].compactMap { $0 }.forEach(collect)
                switch o.kind {
                case .percentOff(let e, _), .amountOff(let e, _), .fixedPrice(let e, _): collect(e)
                default: break
                }
            }
        }
        #expect(roles == Set(PluginManifest.roles))
        #expect(rules.campaigns.allSatisfy { $0.holdout != nil && $0.schedule != nil && $0.budget != nil })
    }

    @Test func expressionsInBlockAndQuotedScalarsPointIntoTheFile() throws {
        let campaign = """
            promo: 1
            campaign: c
            holdout: 5%
            offers:
              - id: a
                kind: percent_off
                percent: 10%
                when: "cart.subtotal >= 300 CNY and customer.segmnt == 'x'"
              - id: b
                kind: percent_off
                percent: 10%
                applies_to: >-
                  item.category == "socks"
                  and item.categry != "red"
              - id: c
                kind: percent_off
                percent: 10%
                when: |
                  cart.quantity > 2 and
                    customr.tier == "gold"
            """
        let rules = try load(campaign)
        let unknown = rules.diagnostics.filter { $0.code == .unknownName }
        #expect(
            unknown.map(\.location.description) == ["rules/c.yaml:8:41", "rules/c.yaml:14:11", "rules/c.yaml:20:9"])
        #expect(
            unknown.map(\.hint) == [
                "did you mean 'customer.segment'?", "did you mean 'item.category'?", "did you mean 'customer.tier'?",
            ])
        #expect(unknown[0].span.underlineLength == "customer.segmnt".count)
    }

    @Test func allProblemsAreCollectedInOnePass() throws {
        let campaign = """
            promo: 1
            campaign: c
            holdout: 5
            group: seasonl
            offers:
              - id: a
                kind: percent_off
                percent: 10
                when: cart.subtotal > 300
              - id: b
                kind: gift
                sku: 0755
              - id: c
                kind: free_shiping
            """
        let codes = try load(campaign).diagnostics.map(\.code)
        #expect(
            codes == [.missingUnit, .unknownGroup, .missingUnit, .typeMismatch, .ambiguousScalar, .unknownOfferKind])
    }

    @Test(arguments: [
        ("cart.subtotal >= 300 CNY", ValueType.bool),
        ("clamp(pricing.discount(item), 5%, 30%)", .percent),
        ("min(item.price * 10%, 40 CNY)", .money),
        ("count(cart.items, item.category == \"socks\") >= 2", .bool),
        ("sum(cart.items, item.price * item.quantity)", .money),
        ("now - customer.first_order_at > 30d", .bool),
        ("days_since(customer.last_order_at) / 7", .number),
        ("\"vip\" in customer.tags and not customer.is_employee", .bool),
        ("forecast.demand(item, 7d) * 2 > item.stock", .bool),
        ("customer.segment in [\"loyal\", \"champions\"]", .bool),
        ("now >= 2026-12-24T18:00+08:00", .bool),
        ("-item.price + 100 CNY", .money),
    ])
    func expressionTypes(text: String, type: ValueType) throws {
        let campaign = """
            promo: 1
            campaign: c
            holdout: 5%
            let:
              v: '\(text.replacingOccurrences(of: "'", with: "''"))'
            offers:
              - id: a
                kind: percent_off
                percent: 10%
                applies_to: v == v
            """
        let rules = try load(campaign)
        #expect(rules.diagnostics.isEmpty, "\(rules.diagnostics.map(\.message))")
        #expect(rules.campaigns.first?.lets.first?.expr.type == type)
    }

    @Test(arguments: [
        ("cart.subtotal >", "expression ends too early"),
        ("a = b", "unexpected character '='"),
        ("1 < 2 < 3", "comparisons do not chain; join them with 'and'"),
        ("\"open", "string is not closed"),
        ("(((1)", "expected ')' but found end of expression"),
        ("12x", "'12x' is not a number, duration or money amount"),
        ("2026-13-01", "'2026-13-01' is not a valid date or date-time"),
        ("12.505 CNY", "CNY has 2 decimal places; '12.505' has 3"),
    ])
    func syntaxErrors(text: String, message: String) throws {
        let source = ExpressionSource(
            file: "x", text: text, marks: (0...text.unicodeScalars.count).map { Mark(line: 1, column: $0 + 1) })
        guard case .failure(let d) = ExpressionParser.parse(source) else {
            Issue.record("parsed: \(text)")
            return
        }
        #expect(d.message == message)
    }

    @Test func deepExpressionsAreRejectedNotOverflowed() {
        let text = String(repeating: "(", count: 5_000) + "1" + String(repeating: ")", count: 5_000)
        let source = ExpressionSource(file: "x", text: text, marks: [])
        guard case .failure(let d) = ExpressionParser.parse(source) else {
            Issue.record("parsed")
            return
        }
        #expect(d.code == .expressionTooCostly)
    }

    @Test func suggestionsHaveAFloor() {
        #expect(Suggestions.closest(to: "discont", in: ["discount", "percent"]) == "discount")
        #expect(Suggestions.closest(to: "zzz", in: ["discount", "percent"]) == nil)
        #expect(Suggestions.distance("abcd", "abdc") == 1)
    }

    @Test func yaml11ScalarsWhereTextIsExpected() throws {
        for value in ["no", "on", "yes", "0755", "1.10", "~", "12"] {
            let campaign =
                "promo: 1\ncampaign: c\nholdout: 5%\ndescription: \(value)\noffers: [{ id: a, kind: gift, sku: \"S\" }]\n"
            let d = try load(campaign).diagnostics
            #expect(d.map(\.code) == [.ambiguousScalar], "\(value)")
            #expect(d.first?.hint == "quote it: \"\(value)\"")
        }
    }
}

@Suite struct ModelArgumentTests {
    @Test func modelArgumentsMustBeKnownBeforeRulesRun() throws {
        let campaign = """
            promo: 1
            campaign: c
            holdout: 5%
            offers:
              - id: a
                kind: percent_off
                percent: 10%
                applies_to: forecast.demand(item, 7d) > 1 and forecast.demand_at_price(item, item.price) > 2
            """
        let rules = RulesLoader(now: PromoTesting.fixedNow).load(
            workspace: ("rules/promo.yaml", Array(RulesLanguageTests.workspace.utf8)),
            campaigns: [("rules/c.yaml", Array(campaign.utf8))], manifests: try RulesLanguageTests.manifests())
        #expect(
            rules.diagnostics.map(\.message) == [
                "argument 'price' of 'forecast.demand_at_price' must be a literal such as 100 CNY"
            ])
    }
}
