import Foundation
import PromoDSL

/// Decides, for a customer and cart, which offers to give. Synchronous, deterministic and pure
/// over its inputs: the same rule set, model outputs, budget view and request give the same
/// decision, whatever the order of rule files, offers or cart lines.
///
/// ```swift
/// let engine = Engine(rules: try RuleSet(loaded), catalog: catalog)
/// let decision = engine.decide(request, models: outputs)
/// ```
public struct Engine: Sendable {
    public let rules: RuleSet
    public let catalog: Catalog
    /// Evaluate only the offers the index says can apply (default). Off evaluates every offer;
    /// what is given is the same either way.
    public var useIndex: Bool

    /// When no uplift model is bound: P(buy | no offer), and the lift per unit of discount
    /// relative to the cart (an elasticity of 2).
    public static let fallbackPropensity = 0.5
    public static let fallbackElasticity = 2.0

    public init(rules: RuleSet, catalog: Catalog, useIndex: Bool = true) {
        self.rules = rules
        self.catalog = catalog
        self.useIndex = useIndex
    }

    struct Candidate {
        var offer: Int
        var value: OfferValue
        var score: Double
        var p1: Double
        var p0: Double
    }

    /// Decides with a budget view (no reservation). Use `decide(_:models:ledger:ttl:)` to hold budgets.
    public func decide(_ request: DecisionRequest, models: some ModelOutputs, budgets: BudgetView = .fresh) -> Decision
    {
        decide(request, models: models, budgets: budgets, excluded: [:])
    }

    /// Decides and reserves the chosen offers' budgets in `ledger` (idempotent by decision id). An
    /// offer whose reservation fails is not given, with the reason, and the rest is decided again.
    public func decide(
        _ request: DecisionRequest, models: some ModelOutputs, ledger: some BudgetLedger, ttl: Int64 = 900
    )
        -> Decision
    {
        var excluded: [Int: (Reason, String)] = [:]
        let ids = rules.campaigns.map(\.id)
        while true {
            let view = ledger.view(
                campaigns: ids, customer: request.customer.id, now: request.time, excludingDecision: request.decisionID)
            let decision = decide(request, models: models, budgets: view, excluded: excluded)
            // One claim per campaign: its offers' value together, counted once for the customer.
            var claims: [BudgetClaim] = []
            for c in decision.chosen {
                let value =
                    c.discount + c.shippingDiscount
                    + (c.gift.map { g in (catalog[g.sku]?.price ?? 0) * Int64(g.quantity) } ?? 0)
                if let k = claims.firstIndex(where: { $0.campaign == c.campaign }) {
                    claims[k].amount += value
                } else {
                    let campaign = rules.campaigns.first { $0.id == c.campaign }!
                    claims.append(
                        BudgetClaim(
                            campaign: c.campaign, customer: request.customer.id, amount: value,
                            total: campaign.budgetTotal,
                            perCustomer: campaign.perCustomer))
                }
            }
            let refusals = ledger.reserve(decision: request.decisionID, claims: claims, now: request.time, ttl: ttl)
            if refusals.isEmpty { return decision }
            for c in decision.chosen {
                guard let refusal = refusals[c.campaign],
                    let index = rules.offers.firstIndex(where: {
                        rules.campaigns[$0.campaign].id == c.campaign && $0.id == c.offer
                    })
                else { continue }
                switch refusal {
                case .budgetExhausted(let remaining):
                    excluded[index] = (.budgetExhausted, "the campaign budget has \(format(remaining)) left")
                case .customerCap(let used, let cap):
                    excluded[index] = (.customerCap, "the customer already has \(used) of \(cap)")
                }
            }
            if excluded.count > rules.offers.count { return decision }
        }
    }

    /// A decision that gives nothing because the request is out of bounds.
    func refused(_ request: DecisionRequest, _ problem: String) -> Decision {
        Decision(
            decisionID: request.decisionID, rulesDigest: rules.digest, time: request.time, currency: rules.currency,
            chosen: [], rejected: [], lines: [], subtotal: 0, discount: 0, shipping: 0, shippingDiscount: 0, total: 0,
            gifts: [], nudges: [], modelOutputs: [], offersNotConsidered: rules.offers.count, problem: problem)
    }

    func format(_ m: Int64) -> String { Money(minorUnits: m, currency: rules.currency).description }

    func decide(
        _ request: DecisionRequest, models: any ModelOutputs, budgets: BudgetView, excluded: [Int: (Reason, String)]
    )
        -> Decision
    {
        if let problem = Limits.problem(in: request, catalog: catalog) { return refused(request, problem) }
        // Lines in a canonical order so that the decision does not depend on cart order.
        let lines = request.cart.lines.sorted { ($0.id, $0.sku) < ($1.id, $1.sku) }.map { l -> ResolvedLine in
            if let entry = catalog.entries[l.sku] {
                return ResolvedLine(
                    id: l.id, sku: l.sku, entry: entry, quantity: max(0, l.quantity), unitPrice: max(0, l.unitPrice))
            }
            return ResolvedLine(
                id: l.id, sku: l.sku, entry: Catalog.Entry(CatalogItem(sku: l.sku, price: l.unitPrice)),
                quantity: max(0, l.quantity), unitPrice: max(0, l.unitPrice))
        }
        if let bad = lines.first(where: {
            !(0...Limits.maxUnitAmount).contains($0.item.cost) || !(0...Limits.maxUnitAmount).contains($0.item.price)
        }) {
            return refused(request, "catalog item \(bad.sku): price or cost is out of range")
        }
        let frame = Frame(
            request: request, lines: lines, rounding: rules.rounding, modelSlots: rules.modelSlots.count,
            letSlots: rules.letCount)
        var used: [UsedOutput] = []
        var gatheredShape: [(slot: Int, count: Int)] = []
        var rejected: [RejectedOffer] = []
        func reject(_ o: Int, _ reason: Reason, _ detail: String, score: Double? = nil) {
            let offer = rules.offers[o]
            rejected.append(
                RejectedOffer(
                    campaign: rules.campaigns[offer.campaign].id, offer: offer.id, kind: offer.kindName, reason: reason,
                    detail: detail, score: score))
        }

        // 1. Candidates: the index (with the customer's segment when offers are indexed on it).
        var candidates: [Int]
        if useIndex {
            var segment: String?
            if let s = rules.segmentSlot {
                gather([s], frame, models, &used, &gatheredShape)
                if case .string(let v)? = frame.models[s].first { segment = v }
            }
            var scratch = OfferIndex.Scratch()
            candidates = rules.index.candidates(
                channel: request.channel, segment: segment, lines: lines, scratch: &scratch)
        } else {
            candidates = rules.index.all
        }
        let notConsidered = rules.offers.count - candidates.count

        // 2. Campaign-level filters: schedule and holdout.
        var status = [(Reason, String)??](repeating: nil, count: rules.campaigns.count)
        candidates = candidates.filter { o in
            let c = rules.offers[o].campaign
            if status[c] == nil { status[c] = .some(campaignStatus(rules.campaigns[c], request)) }
            if let (reason, detail) = status[c]! {
                reject(o, reason, detail)
                return false
            }
            return true
        }

        // 3. Model outputs: only those the remaining candidates read, plus arbitration's.
        var wanted = [Bool](repeating: false, count: rules.modelSlots.count)
        for o in candidates { for s in rules.offers[o].modelSlots { wanted[s] = true } }
        if let p = rules.propensitySlot { wanted[p] = true }
        if let u = rules.upliftSlot { wanted[u] = true }
        if let s = rules.segmentSlot, useIndex { wanted[s] = false }
        gather(wanted.indices.filter { wanted[$0] }, frame, models, &used, &gatheredShape)

        // 4. Evaluate every candidate on list prices and score the eligible ones.
        let evaluator = OfferEvaluator(catalog: catalog, currency: rules.currency)
        let base = lines.map(\.unitPrice)
        var eligible: [Candidate] = []
        var nudges: [OfferNudge] = []
        for o in candidates {
            if let (reason, detail) = excluded[o] {
                reject(o, reason, detail)
                continue
            }
            switch evaluator.evaluate(rules.offers[o], frame, base: base) {
            case .value(let v):
                if let n = v.nudge {
                    nudges.append(
                        OfferNudge(
                            campaign: rules.campaigns[rules.offers[o].campaign].id, offer: rules.offers[o].id, nudge: n)
                    )
                }
                eligible.append(score(o, v, frame))
            case .rejected(let reason, let detail, let nudge):
                if let n = nudge {
                    nudges.append(
                        OfferNudge(
                            campaign: rules.campaigns[rules.offers[o].campaign].id, offer: rules.offers[o].id, nudge: n)
                    )
                }
                reject(o, reason, detail)
            }
        }

        // 5. Choose under stacking groups, exclusivity, budgets and the per-customer limit.
        let selection = select(eligible, frame, evaluator, budgets)
        for (o, reason, why, s) in selection.rejected { reject(o, reason, describe(why), score: s) }
        rejected.sort { ($0.campaign, $0.offer) < ($1.campaign, $1.offer) }

        var lineDiscount = [Int64](repeating: 0, count: lines.count)
        var chosen: [ChosenOffer] = []
        var gifts: [GiftLine] = []
        var shippingDiscount: Int64 = 0
        for pick in selection.chosen {
            let offer = rules.offers[pick.candidate.offer]
            let campaign = rules.campaigns[offer.campaign].id
            for i in lines.indices { lineDiscount[i] += pick.lines[i] }
            shippingDiscount += pick.shipping
            let gift = pick.candidate.value.gift.map {
                GiftLine(sku: $0.sku, quantity: $0.quantity, campaign: campaign, offer: offer.id)
            }
            if let gift { gifts.append(gift) }
            chosen.append(
                ChosenOffer(
                    campaign: campaign, offer: offer.id, kind: offer.kindName, title: offer.title,
                    discount: pick.lines.reduce(0, +),
                    shippingDiscount: pick.shipping, gift: gift,
                    allocation: lines.indices.filter { pick.lines[$0] > 0 }.map {
                        LineAmount(line: lines[$0].id, amount: pick.lines[$0])
                    },
                    score: pick.candidate.score, pWithOffer: pick.candidate.p1, pWithout: pick.candidate.p0))
        }
        if !frame.missingReads.isEmpty {
            var k = 0
            for (s, count) in gatheredShape {
                for j in 0..<count where frame.missingReads.contains(s << 16 | j) { used[k + j].missingWhenRead = true }
                k += count
            }
        }
        let decided = lines.indices.map { i -> DecidedLine in
            let amount = lines[i].unitPrice * Int64(lines[i].quantity)
            return DecidedLine(
                id: lines[i].id, sku: lines[i].sku, quantity: lines[i].quantity, unitPrice: lines[i].unitPrice,
                amount: amount,
                discount: lineDiscount[i], total: amount - lineDiscount[i])
        }
        let subtotal = decided.reduce(Int64(0)) { $0 + $1.amount }
        let discount = lineDiscount.reduce(0, +)
        let shipping = request.cart.shipping
        return Decision(
            decisionID: request.decisionID, rulesDigest: rules.digest, time: request.time, currency: rules.currency,
            chosen: chosen, rejected: rejected, lines: decided, subtotal: subtotal, discount: discount,
            shipping: shipping,
            shippingDiscount: shippingDiscount, total: subtotal - discount + shipping - shippingDiscount, gifts: gifts,
            nudges: nudges.sorted { ($0.campaign, $0.offer) < ($1.campaign, $1.offer) }, modelOutputs: used,
            offersNotConsidered: notConsidered)
    }

    /// Fetches the outputs of `slots` for this request, once each, into the frame.
    private func gather(
        _ slots: [Int], _ f: Frame, _ models: any ModelOutputs, _ used: inout [UsedOutput],
        _ gathered: inout [(slot: Int, count: Int)]
    ) {
        guard !slots.isEmpty else { return }
        var queries: [ModelQuery] = []
        var shape: [(slot: Int, count: Int)] = []
        let customer = f.request.customer.id
        for s in slots {
            let m = rules.modelSlots[s]
            let ref = m.reference
            let function = m.function
            if m.perItem {
                for l in f.lines {
                    queries.append(
                        ModelQuery(
                            plugin: ref.plugin, role: ref.role, function: function,
                            customerID: m.perCustomer ? customer : nil, sku: l.sku, arguments: m.arguments))
                }
                shape.append((s, f.lines.count))
            } else {
                queries.append(
                    ModelQuery(
                        plugin: ref.plugin, role: ref.role, function: function,
                        customerID: m.perCustomer ? customer : nil, sku: nil, arguments: m.arguments))
                shape.append((s, 1))
            }
        }
        let answers = models.values(for: queries)
        var k = 0
        used.reserveCapacity(used.count + queries.count)
        for (s, count) in shape {
            var column: [Value] = []
            column.reserveCapacity(count)
            for _ in 0..<count {
                let v = k < answers.count ? answers[k] : nil
                column.append(v ?? .missing)
                let q = queries[k]
                used.append(
                    UsedOutput(
                        plugin: q.plugin, function: q.function, customer: q.customerID, sku: q.sku,
                        arguments: q.arguments, value: v, missingWhenRead: false))
                k += 1
            }
            f.models[s] = column
        }
        gathered += shape
    }

    /// Whether a campaign runs for this request: schedule (in its time zone) and holdout.
    func campaignStatus(_ c: CompiledCampaign, _ r: DecisionRequest) -> (Reason, String)? {
        if let s = c.starts, r.time < s { return (.outsideSchedule, "starts in \(Self.span(s - r.time))") }
        if let e = c.ends, r.time > e { return (.outsideSchedule, "ended \(Self.span(r.time - e)) ago") }
        if !c.days.isEmpty || c.hours != nil {
            var offset = 0
            if let zone = c.timeZone, let tz = TimeZone(identifier: zone) {
                offset = tz.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(r.time)))
            }
            let local = r.time + Int64(offset)
            let days = Int((local >= 0 ? local : local - 86_399) / 86_400)
            let weekday = ((days % 7) + 7 + 3) % 7 + 1  // 1970-01-01 was a Thursday; 1 = Monday
            if !c.days.isEmpty && !c.days.contains(weekday) {
                return (
                    .outsideSchedule,
                    "runs only on \(c.days.sorted().map { ["", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][$0] }.joined(separator: ", "))"
                )
            }
            let minute = Int(((local % 86_400) + 86_400) % 86_400 / 60)
            if let h = c.hours, !h.contains(minute) {
                return (
                    .outsideSchedule,
                    String(
                        format: "runs %02d:%02d-%02d:%02d local time", h.lowerBound / 60, h.lowerBound % 60,
                        h.upperBound / 60, h.upperBound % 60)
                )
            }
        }
        if c.holdoutPPM > 0 && Holdout.bucket(customer: r.customer.id, campaign: c.id) < c.holdoutPPM {
            return (.holdout, "the customer is in the campaign's control group")
        }
        return nil
    }

    static func span(_ seconds: Int64) -> String {
        if seconds >= 86_400 { return "\(seconds / 86_400) day\(seconds / 86_400 == 1 ? "" : "s")" }
        if seconds >= 3600 { return "\(seconds / 3600) h" }
        return "\(max(1, seconds / 60)) min"
    }
}

/// Bounds on a request that keep every amount of a decision inside 64 bits: with at most 1,000
/// lines of at most 10,000 units at most 10^11 minor units each, no sum can overflow.
public enum Limits {
    public static let maxLines = 1_000
    public static let maxQuantity = 10_000
    public static let maxUnitAmount: Int64 = 100_000_000_000

    /// What is out of bounds in a request, or nil. (Catalog prices and costs are checked when
    /// the lines are resolved.)
    public static func problem(in r: DecisionRequest, catalog: Catalog) -> String? {
        if r.cart.lines.count > maxLines { return "the cart has \(r.cart.lines.count) lines; the limit is \(maxLines)" }
        if !(0...maxUnitAmount).contains(r.cart.shipping) { return "the shipping fee is out of range" }
        for l in r.cart.lines {
            if !(0...maxQuantity).contains(l.quantity) {
                return "line \(l.id): quantity \(l.quantity) is out of range 0...\(maxQuantity)"
            }
            if !(0...maxUnitAmount).contains(l.unitPrice) { return "line \(l.id): unit price is out of range" }

        }
        return nil
    }
}

/// The stable control-group assignment: a hash of (customer, campaign) in parts per million.
public enum Holdout {
    /// FNV-1a 64 of "customer\u{0}campaign", reduced to 0..<1,000,000.
    public static func bucket(customer: String, campaign: String) -> Int64 {
        Int64(fnv1a64(Array(customer.utf8) + [0] + Array(campaign.utf8)) % 1_000_000)
    }

    /// FNV-1a, 64 bits: stable across runs, machines and Swift versions (unlike `Hasher`).
    public static func fnv1a64(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }
}
