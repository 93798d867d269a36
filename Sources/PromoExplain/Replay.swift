public import PromoCore

/// Re-evaluates a recorded decision: the recorded request, model outputs, catalog entries, budget
/// state and control-group membership, against a rule set (the recorded one, or a newer one to see
/// what would change).
public enum Replay {
    public struct Result: Sendable {
        /// Whether the rule set is the one the trace was recorded with.
        public var sameRules: Bool
        public var decision: Decision
        public var trace: DecisionTrace
        /// Empty when the replay gives what was recorded.
        public var differences: [String]
        public var identical: Bool { differences.isEmpty }
    }

    public static func request(_ t: DecisionTrace) -> DecisionRequest {
        DecisionRequest(
            decisionID: t.decisionID, customer: t.request.customer, cart: t.request.cart, channel: t.request.channel,
            time: t.time)
    }

    /// The recorded outputs as a fixture, keyed as the engine asks for them.
    public static func models(_ t: DecisionTrace) -> FixtureModelOutputs {
        var fixture = FixtureModelOutputs(version: t.modelOutputs.first?.modelVersion)
        for o in t.modelOutputs {
            guard let v = o.value else { continue }
            switch (o.customer, o.sku) {
            case (let c?, let s?): fixture.customerItems[c, default: [:]][s, default: [:]][o.key] = v
            case (nil, let s?): fixture.items[s, default: [:]][o.key] = v
            case (let c?, nil): fixture.customers[c, default: [:]][o.key] = v
            case (nil, nil): fixture.customers["*", default: [:]][o.key] = v
            }
        }
        return fixture
    }

    public static func budgets(_ t: DecisionTrace) -> BudgetView {
        var view = BudgetView()
        for b in t.budgets {
            if let r = b.remaining { view.remaining[b.campaign] = r }
            view.customerCounts[b.campaign] = b.customerCount
        }
        return view
    }

    public static func run(_ t: DecisionTrace, rules: RuleSet) -> Result {
        let engine = Engine(rules: rules, catalog: Catalog(t.catalog))
        let (decision, replayed) = engine.decideTraced(
            request(t), models: models(t), budgets: budgets(t), masking: TraceMasking(keep: Set(["customer.id"])),
            holdouts: t.holdouts)
        return Result(
            sameRules: rules.digest == t.rulesDigest, decision: decision, trace: replayed,
            differences: differences(t, replayed))
    }

    /// What differs between a recorded trace and its replay: offers given, amounts, totals, and
    /// the reasons offers were not given.
    public static func differences(_ a: DecisionTrace, _ b: DecisionTrace) -> [String] {
        let f = Formatting(currency: a.currency)
        var out: [String] = []
        let x = a.decision
        let y = b.decision
        let given = { (d: Decision) in
            Dictionary(d.chosen.map { ("\($0.campaign)/\($0.offer)", $0.discount + $0.shippingDiscount) }) { p, _ in p }
        }
        let ga = given(x)
        let gb = given(y)
        for k in Set(ga.keys).union(gb.keys).sorted() {
            switch (ga[k], gb[k]) {
            case (let p?, nil): out.append("\(k): was given (\(f.money(p)) off), now not")
            case (nil, let q?): out.append("\(k): was not given, now given (\(f.money(q)) off)")
            case (let p?, let q?) where p != q: out.append("\(k): \(f.money(p)) off, now \(f.money(q))")
            default: break
            }
        }
        if x.total != y.total { out.append("total: \(f.money(x.total)), now \(f.money(y.total))") }
        for (l, m) in zip(x.lines, y.lines) where l.discount != m.discount {
            out.append("line \(l.id): \(f.money(l.discount)) off, now \(f.money(m.discount))")
        }
        if x.gifts != y.gifts { out.append("gifts: \(x.gifts.map(\.sku)), now \(y.gifts.map(\.sku))") }
        let ra = Dictionary(x.rejected.map { ("\($0.campaign)/\($0.offer)", $0.reason.rawValue) }) { p, _ in p }
        let rb = Dictionary(y.rejected.map { ("\($0.campaign)/\($0.offer)", $0.reason.rawValue) }) { p, _ in p }
        for k in Set(ra.keys).intersection(rb.keys).sorted() where ra[k] != rb[k] {
            out.append("\(k): not given because \(ra[k]!), now because \(rb[k]!)")
        }
        return out
    }
}
