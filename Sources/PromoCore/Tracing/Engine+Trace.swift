import Crypto
import Foundation
public import PromoDSL

/// What the engine collects while it decides with a trace; turned into a `DecisionTrace` after.
final class TraceRecording {
    let builder: TraceBuilder
    var holdoutOverride: [String: Bool]?
    var holdouts: [String: Bool] = [:]
    var considered: [Int] = []
    var eligible: [Engine.Candidate] = []
    var picks: [(offer: Int, lines: [Int64])] = []
    var margin: Int64 = 0

    struct Evaluated {
        var when: ConditionTrace?
        var lines: [LineConditions]
        var valueLines: [ValueTrace.LineValue]
        var notes: [String]
        var matchingSubtotal: Int64?
        var tierSpend: Int64?
        var evaluation: Evaluation
    }
    var evaluated: [Int: Evaluated] = [:]

    init(builder: TraceBuilder) { self.builder = builder }

    func evaluated(_ o: Int, _ e: Evaluation) {
        let b = builder
        evaluated[o] = Evaluated(
            when: b.when, lines: b.lines, valueLines: b.valueLines, notes: b.notes,
            matchingSubtotal: b.matchingSubtotal,
            tierSpend: b.tierSpend, evaluation: e)
    }
}

/// How a trace treats personal data: the customer id is hashed with the workspace's salt; other
/// customer attributes are erased unless kept (`trace.keep` in promo.yaml).
public struct TraceMasking: Sendable, Hashable {
    public var salt: String
    /// Request paths kept as they are (`customer.tier`, ...); `customer.id` may be listed to keep it raw.
    public var keep: Set<String>

    public init(salt: String = "", keep: Set<String> = []) {
        self.salt = salt
        self.keep = keep
    }

    /// The masking the workspace asks for (`trace:` in promo.yaml).
    public init(_ settings: TraceSettings) {
        self.init(salt: settings.salt, keep: Set(settings.keep))
    }

    /// The masked form of a customer id: `h:` and 16 hex digits of SHA-256(salt, id).
    public func hash(_ id: String) -> String {
        let digest = SHA256.hash(data: Array((salt + "\u{0}" + id).utf8))
        return "h:" + digest.prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    func apply(_ c: Customer) -> (Customer, [MaskedField]) {
        var out = Customer(id: keep.contains("customer.id") ? c.id : hash(c.id))
        var masked: [MaskedField] = keep.contains("customer.id") ? [] : [MaskedField(path: "customer.id", how: "hash")]
        func field<T>(_ path: String, _ value: T, _ empty: T, _ set: (inout Customer, T) -> Void) {
            if keep.contains(path) {
                set(&out, value)
            } else {
                masked.append(MaskedField(path: path, how: "erase"))
                set(&out, empty)
            }
        }
        field("customer.is_employee", c.isEmployee, false) { $0.isEmployee = $1 }
        field("customer.tier", c.tier, "") { $0.tier = $1 }
        field("customer.country", c.country, "") { $0.country = $1 }
        field("customer.tags", c.tags, []) { $0.tags = $1 }
        field("customer.orders", c.orders, 0) { $0.orders = $1 }
        field("customer.lifetime_value", c.lifetimeValue, 0) { $0.lifetimeValue = $1 }
        field("customer.first_order_at", c.firstOrderAt, nil) { $0.firstOrderAt = $1 }
        field("customer.last_order_at", c.lastOrderAt, nil) { $0.lastOrderAt = $1 }
        return (out, masked)
    }
}

extension Engine {
    /// Decides and records the whole decision as a `DecisionTrace`. The trace is recorded by the
    /// same evaluation that decides: the decision is the one `decide` gives.
    public func decideTraced(
        _ request: DecisionRequest, models: some ModelOutputs, budgets: BudgetView = .fresh,
        masking: TraceMasking = TraceMasking(), holdouts: [String: Bool]? = nil
    ) -> (Decision, DecisionTrace) {
        let recording = TraceRecording(builder: TraceBuilder(nodes: rules.conditionNodes))
        recording.holdoutOverride = holdouts
        let decision = decide(request, models: models, budgets: budgets, excluded: [:], recording: recording)
        return (decision, trace(decision, request, models, budgets, masking, recording))
    }

    private func money(_ m: Int64) -> String { Money(minorUnits: m, currency: rules.currency).description }

    func trace(
        _ d: Decision, _ request: DecisionRequest, _ models: any ModelOutputs, _ budgets: BudgetView,
        _ masking: TraceMasking, _ r: TraceRecording
    ) -> DecisionTrace {
        let (customer, masked) = masking.apply(request.customer)
        let maskedID = customer.id
        // Offers: chosen first (in the decision's order), then the rest by campaign and offer id.
        let chosenOrder = d.chosen.map { c in
            rules.offers.firstIndex { rules.campaigns[$0.campaign].id == c.campaign && $0.id == c.offer }!
        }
        let ranked = r.eligible.sorted { ($0.score, -$0.offer) > ($1.score, -$1.offer) }.map(\.offer)
        var rejectedBy: [Int: Rejection] = [:]
        for x in d.rejections { rejectedBy[x.offer] = x }
        let order = chosenOrder + r.considered.filter { !chosenOrder.contains($0) }
        let offers = order.map { o -> OfferTrace in
            let offer = rules.offers[o]
            let campaign = rules.campaigns[offer.campaign]
            let e = r.evaluated[o]
            let candidate = r.eligible.first { $0.offer == o }
            let isChosen = chosenOrder.contains(o)
            let rejection = rejectedBy[o]
            var summary: String
            if isChosen, let c = d.chosen.first(where: { $0.campaign == campaign.id && $0.offer == offer.id }) {
                summary = "given: \(money(c.discount + c.shippingDiscount)) off"
                if let g = c.gift { summary = "given: gift \(g.sku) x\(g.quantity)" }
                if let c = candidate {
                    summary += String(format: ", expected incremental profit %@", money(Int64(c.score.rounded())))
                }
            } else if let rejection {
                summary = rules.names.rejected(rejection).detail
            } else {
                summary = "not given"
            }
            var value: ValueTrace?
            if let e, case .value(let v) = e.evaluation {
                value = ValueTrace(
                    lines: e.valueLines, matchingSubtotal: e.matchingSubtotal, tierSpend: e.tierSpend, notes: e.notes,
                    discount: v.lineTotal, shippingDiscount: v.shippingDiscount,
                    giftValue: v.gift.map { $0.price * Int64($0.quantity) } ?? 0)
            } else if let e, e.matchingSubtotal != nil {
                value = ValueTrace(
                    lines: [], matchingSubtotal: e.matchingSubtotal, tierSpend: nil, notes: e.notes, discount: 0,
                    shippingDiscount: 0, giftValue: 0)
            }
            var nudge: Nudge?
            if let e {
                switch e.evaluation {
                case .value(let v): nudge = v.nudge
                case .rejected(_, _, let n): nudge = n
                }
            }
            var determining: [String] = []
            if isChosen {
                determining.append("\(offer.file):\(offer.line): offer \(offer.id) (\(offer.kindName))")
                if let w = e?.when { determining.append("\(w.file):\(w.line): when \(w.text)") }
                if let a = e?.lines.first(where: \.matched)?.condition {
                    determining.append("\(a.file):\(a.line): applies_to \(a.text)")
                }
                determining.append(
                    "group \(rules.groups[campaign.group].name) (\(rules.groups[campaign.group].mode.rawValue))")
            }
            return OfferTrace(
                campaign: campaign.id, offer: offer.id, kind: offer.kindName, title: offer.title,
                group: rules.groups[campaign.group].name, file: offer.file, line: offer.line,
                outcome: isChosen ? "chosen" : (rejection?.reason.rawValue ?? "not_eligible"), summary: summary,
                when: e?.when, appliesTo: e?.lines ?? [], value: value,
                arbitration: candidate.map { c in
                    ArbitrationTrace(
                        pWithOffer: c.p1, pWithout: c.p0, margin: r.margin, storeCost: c.value.storeCost,
                        weight: campaign.weight, expectedIncrementalProfit: c.score,
                        rank: (ranked.firstIndex(of: o) ?? 0) + 1)
                }, determining: determining, nudge: nudge, needsItems: needsItems(rejection),
                startsAt: campaign.starts, endsAt: campaign.ends)
        }
        let consideredSet = Set(r.considered)
        let notConsidered = rules.offers.indices.filter { !consideredSet.contains($0) }.map { o in
            let offer = rules.offers[o]
            return NotConsidered(
                campaign: rules.campaigns[offer.campaign].id, offer: offer.id,
                needs: offer.keys.texts.sorted { $0.key.rawValue < $1.key.rawValue }.map(\.value)
                    .joined(separator: " and "))
        }
        // Model outputs, with the customer as masked.
        let outputs = d.modelOutputs.map { u in
            TracedOutput(
                plugin: u.plugin, modelVersion: models.modelVersion(plugin: u.plugin), function: u.function,
                key: ModelCall(
                    plugin: u.plugin, role: "", function: u.function, arguments: u.arguments, perCustomer: false,
                    perItem: false
                ).key, customer: u.customer.map { $0 == request.customer.id ? maskedID : $0 }, sku: u.sku,
                arguments: u.arguments, value: u.value, missingWhenRead: u.missingWhenRead)
        }
        var traced = d
        for i in traced.modelOutputs.indices where traced.modelOutputs[i].customer == request.customer.id {
            traced.modelOutputs[i].customer = maskedID
        }
        let campaignsWithBudgets = Set(r.considered.map { rules.offers[$0].campaign }).sorted().map {
            rules.campaigns[$0]
        }.filter { $0.budgetTotal != nil || $0.perCustomer != nil }
        var items: [CatalogItem] = []
        for l in request.cart.lines where !items.contains(where: { $0.sku == l.sku }) {
            if let item = catalog[l.sku] { items.append(item) }
        }
        for o in r.considered {
            if case .gift(let sku, _) = rules.offers[o].kind, let item = catalog[sku],
                !items.contains(where: { $0.sku == sku })
            {
                items.append(item)
            }
        }
        let time = Date(timeIntervalSince1970: TimeInterval(request.time))
        return DecisionTrace(
            traceVersion: DecisionTrace.currentVersion, engineVersion: DecisionTrace.engineVersion,
            decisionID: request.decisionID, time: request.time,
            timeText: time.formatted(.iso8601), currency: rules.currency, rulesDigest: rules.digest,
            files: rules.sources.map { TracedFile(path: $0.path, sha256: Self.sha256($0.text), text: $0.text) },
            request: TracedRequest(customer: customer, channel: request.channel, cart: request.cart),
            masked: masked, catalog: items, modelOutputs: outputs, holdouts: r.holdouts,
            budgets: campaignsWithBudgets.map { c in
                TracedBudget(
                    campaign: c.id, total: c.budgetTotal, remaining: budgets.remaining[c.id] ?? c.budgetTotal,
                    perCustomer: c.perCustomer, customerCount: budgets.customerCounts[c.id] ?? 0)
            }, decision: traced, offers: offers, notConsidered: notConsidered)
    }

    private func needsItems(_ r: Rejection?) -> Int? {
        if case .needsItems(let needed, let have)? = r?.why, needed > have { return needed - have }
        return nil
    }

    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
