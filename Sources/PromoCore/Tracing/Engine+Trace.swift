import Crypto
import Foundation
public import PromoDSL
import Synchronization

/// What the engine collects while it decides with a trace; turned into a `DecisionTrace` after.
/// Written only by the decision that owns it, read only after that decision returns.
final class TraceRecording: @unchecked Sendable {
    let builder: TraceBuilder
    let symbols: SymbolTable
    var holdoutOverride: [String: Bool]?
    var holdouts: [String: Bool] = [:]
    var considered: [Int] = []
    var margin: Int64 = 0
    /// The frame the decision was made in, kept from reuse until this recording is dropped: the
    /// trace reads the eligible offers, the cart's lines and the lists and strings the decision
    /// interned where the decision left them, instead of copies made while deciding.
    private(set) var frame: Frame?
    private var pool: FramePool?

    func keep(_ f: Frame, until pool: FramePool) {
        frame = f
        self.pool = pool
    }

    deinit { if let frame { pool?.put(frame) } }

    var eligible: [Engine.Candidate] { frame.map { Array($0.eligible) } ?? [] }
    /// The cart's lines (canonical order).
    var cartLines: [CartLine] { frame?.cartLines ?? [] }
    /// The lines as the rules saw them (sku, category and brand as symbols).
    var lines: [Line] { frame.map { Array($0.lines) } ?? [] }
    var arena: [Val] { frame?.arena ?? [] }
    var overflow: [String] { frame?.overflowStrings ?? [] }

    init(builder: TraceBuilder, symbols: SymbolTable) {
        self.builder = builder
        self.symbols = symbols
    }

    func string(_ symbol: Int32) -> String {
        let i = Int(symbol)
        return i < symbols.count
            ? symbols.strings[i] : (i - symbols.count < overflow.count ? overflow[i - symbols.count] : "?")
    }

    func value(_ v: Val) -> Value {
        v.public(string: string) { $0 < arena.count ? arena[$0] : .missing }
    }

    /// The conjunct a line filter comes from (`item.category == "x"`, static node `n`), on a
    /// line whose value (a symbol) the filter read, as its record would have read: not recorded.
    func filterConjunct(_ n: Int, holds: Bool, _ value: Int32) -> ConditionTrace {
        tree(n, record: .init(node: Int32(n), result: .bool(holds), a: .symbol(value), operands: 1))
    }

    /// The tree of `applies_to` (static node `n`) on a line the index admitted, where only the
    /// conjuncts beside the filter's were evaluated, from record `first` on as siblings. Made
    /// here as `and` evaluates, left to right: the filter's conjunct (node `anchor`) held with
    /// `value` unless a conjunct before it was false; each `and` joining the conjuncts is
    /// evaluated when its first part is, false when a part is, else unknown when a part is.
    func admittedTree(_ n: Int, _ first: Int32, filterConjunct anchor: Int, value: Int32) -> ConditionTrace {
        var stopped = false
        return admittedTree(n, first, anchor, value, &stopped)
    }

    private func admittedTree(_ n: Int, _ first: Int32, _ anchor: Int, _ value: Int32, _ stopped: inout Bool)
        -> ConditionTrace
    {
        if n == anchor { return stopped ? tree(n, -1) : filterConjunct(n, holds: true, value) }
        let node = builder.nodes[n]
        guard node.op == "and" else {
            var r = first
            while r >= 0, builder.records[Int(r)].node != Int32(n) { r = builder.records[Int(r)].next }
            let t = tree(n, r)
            if t.result == "false" { stopped = true }
            return t
        }
        let children = node.children.map { admittedTree($0, first, anchor, value, &stopped) }
        let results = children.map(\.result)
        let result =
            results.first == "not_evaluated"
            ? "not_evaluated"
            : results.contains("false") ? "false" : results.contains("unknown") ? "unknown" : "true"
        return ConditionTrace(
            text: node.text, file: node.file, line: node.line, column: node.column, op: node.op, result: result,
            operands: [], children: children)
    }

    /// The tree of static node `n` as record `r` (-1: not evaluated) saw it.
    func tree(_ n: Int, _ r: Int32) -> ConditionTrace {
        tree(n, record: r >= 0 ? builder.records[Int(r)] : nil)
    }

    /// A literal (static node `n`, the unit value of an offer) as a record of it would read.
    func tree(_ n: Int, constant c: Val) -> ConditionTrace {
        tree(n, record: .init(node: Int32(n), result: c, a: c, b: c, operands: 2))
    }

    private func tree(_ n: Int, record: TraceBuilder.Record?) -> ConditionTrace {
        let node = builder.nodes[n]
        var recordedChildren: [Int32] = []
        var c = record?.firstChild ?? -1
        while c >= 0 {
            recordedChildren.append(c)
            c = builder.records[Int(c)].next
        }
        var children: [ConditionTrace] = []
        for child in node.children {
            let k = recordedChildren.firstIndex { builder.records[Int($0)].node == Int32(child) }
            let match = k.map { recordedChildren.remove(at: $0) } ?? -1
            children.append(tree(child, match))
        }
        let result: String
        switch record?.result {
        case nil: result = "not_evaluated"
        case _ where node.op == "clamp" || (node.op == "value" && record.map { !$0.result.isBool } ?? false):
            result = "value"
        case .bool(true)?: result = "true"
        case .bool(false)?: result = "false"
        default: result = "unknown"
        }
        var values: [Value] = []
        if let record, record.operands >= 1 { values.append(value(record.a)) }
        if let record, record.operands >= 2 { values.append(value(record.b)) }
        let operands = node.operands.enumerated().map { i, text in
            ConditionTrace.Operand(text: text, value: i < values.count ? values[i] : nil)
        }
        return ConditionTrace(
            text: node.text, file: node.file, line: node.line, column: node.column, op: node.op, result: result,
            operands: operands, children: children)
    }
}

/// A decision with everything its trace needs, recorded as it was decided. `trace` builds the
/// `DecisionTrace` (text, trees, masking) from the record; recording costs little, building is
/// paid only for the decisions whose trace is kept.
public struct RecordedDecision: Sendable {
    public let decision: Decision
    let engine: Engine
    let request: DecisionRequest
    /// Each plugin's model version as the outputs gave it when the decision was made (not the
    /// outputs themselves, which would be boxed and kept alive by every recorded decision).
    let versions: [String: String]
    let budgets: BudgetView
    let masking: TraceMasking
    let recording: TraceRecording

    public var trace: DecisionTrace { engine.trace(decision, request, versions, budgets, masking, recording) }
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
        let recorded = decideRecorded(request, models: models, budgets: budgets, masking: masking, holdouts: holdouts)
        return (recorded.decision, recorded.trace)
    }

    /// Decides and records what its trace needs; `.trace` builds the trace when it is wanted.
    public func decideRecorded(
        _ request: DecisionRequest, models: some ModelOutputs, budgets: BudgetView = .fresh,
        masking: TraceMasking = TraceMasking(), holdouts: [String: Bool]? = nil
    ) -> RecordedDecision {
        let builder = TraceBuilder(
            nodes: rules.conditionNodes, capacity: frames.traceCapacity.load(ordering: .relaxed), pool: frames)
        let recording = TraceRecording(builder: builder, symbols: bound.symbols)
        recording.holdoutOverride = holdouts
        let decision = decide(request, models: models, budgets: budgets, excluded: [:], recording: recording)
        // The next traced decision reserves what this one needed.
        let used = max(builder.records.count, builder.lines.count * 2, 64)
        if used > frames.traceCapacity.load(ordering: .relaxed) { frames.traceCapacity.store(used, ordering: .relaxed) }
        var versions: [String: String] = [:]
        for plugin in rules.plugins { if let v = models.modelVersion(plugin: plugin) { versions[plugin] = v } }
        return RecordedDecision(
            decision: decision, engine: self, request: request, versions: versions, budgets: budgets, masking: masking,
            recording: recording)
    }

    private func money(_ m: Int64) -> String { Money(minorUnits: m, currency: rules.currency).description }

    func trace(
        _ d: Decision, _ request: DecisionRequest, _ versions: [String: String], _ budgets: BudgetView,
        _ masking: TraceMasking, _ r: TraceRecording
    ) -> DecisionTrace {
        let (customer, masked) = masking.apply(request.customer)
        let maskedID = customer.id
        // Offers: chosen first (in the decision's order), then the rest by campaign and offer id.
        let chosen = d.chosen
        let chosenOrder = chosen.map { c in
            rules.offers.firstIndex { rules.campaigns[$0.campaign].id == c.campaign && $0.id == c.offer }!
        }
        let (eligible, cartLines, resolved) = (r.eligible, r.cartLines, r.lines)
        let ranked = eligible.sorted { ($0.score, -$0.offer) > ($1.score, -$1.offer) }.map(\.offer)
        var rejectedBy: [Int: Rejection] = [:]
        if let parts = d.parts { for x in parts.rejections { rejectedBy[x.offer] = x } }
        let order = chosenOrder + r.considered.filter { !chosenOrder.contains($0) }
        var evaluated: [Int: TraceBuilder.OfferRecord] = [:]
        for e in r.builder.offers { evaluated[e.offer] = e }
        let offers = order.map { o -> OfferTrace in
            let offer = rules.offers[o]
            let campaign = rules.campaigns[offer.campaign]
            let e = evaluated[o]
            let candidate = eligible.first { $0.offer == o }
            let isChosen = chosenOrder.contains(o)
            let rejection = rejectedBy[o]
            var summary: String
            if isChosen, let c = chosen.first(where: { $0.campaign == campaign.id && $0.offer == offer.id }) {
                summary = "given: \(money(c.discount + c.shippingDiscount)) off"
                if let g = c.gift { summary = "given: gift \(g.sku) x\(g.quantity)" }
                if let c = candidate { summary += ", expected incremental profit \(money(Int64(c.score.rounded())))" }
            } else if let rejection {
                summary = rules.names.rejected(rejection).detail
            } else {
                summary = "not given"
            }
            var value: ValueTrace?
            var when: ConditionTrace?
            var lines: [LineConditions] = []
            if let e {
                let b = r.builder
                let valueLines = b.values[e.values].map { v in
                    ValueTrace.LineValue(
                        line: cartLines[Int(v.line)].id,
                        expression: offer.valueNode.flatMap { n in
                            v.expression >= 0
                                ? r.tree(n, v.expression) : offer.unitConstant.map { r.tree(n, constant: $0) }
                        },
                        base: v.base, unitDiscount: v.unitDiscount, units: v.units,
                        discount: v.discount)
                }
                let notes = b.notes[e.notes].map { n -> String in
                    switch n {
                    case .maxItems(let m): "max_items \(m): the largest unit discounts first"
                    case .marginFloor(let p): "margin floor \(PercentValue(partsPerMillion: p)) kept on every unit"
                    case .tierReached(let t):
                        "tier \(money(t)) reached; the discount split over lines by largest remainder"
                    case .maxDiscount(let m): "max_discount caps the discount at \(money(m))"
                    }
                }
                if case .value(let v) = e.evaluation {
                    value = ValueTrace(
                        lines: valueLines, matchingSubtotal: e.matchingSubtotal, tierSpend: e.tierSpend, notes: notes,
                        discount: v.lineTotal, shippingDiscount: v.shippingDiscount,
                        giftValue: v.giftValue)
                } else if e.matchingSubtotal != nil {
                    value = ValueTrace(
                        lines: [], matchingSubtotal: e.matchingSubtotal, tierSpend: e.tierSpend, notes: notes,
                        discount: 0, shippingDiscount: 0, giftValue: 0)
                }
                if let node = offer.whenNode, e.whenRoot >= 0 { when = r.tree(node, e.whenRoot) }
                let anchor = rules.index.lineFilterSpans[o].flatMap { rules.nodeBySpan[$0] }
                let filter = rules.index.lineFilters[o]
                // The lines the filter ruled out without a record of their own, named here.
                var lineRecords = Array(b.lines[e.lines])
                if e.filtered != 0, let filter {
                    e.filtered.forEachBit { i in
                        lineRecords.append(
                            .init(line: Int32(i), matched: false, root: -1, filteredBy: filter.value(of: resolved[i])))
                    }
                    lineRecords.sort { $0.line < $1.line }
                }
                for l in lineRecords {
                    let i = Int(l.line)
                    if l.filteredBy >= 0, let anchor {
                        lines.append(
                            LineConditions(
                                line: cartLines[i].id, sku: cartLines[i].sku, matched: false,
                                condition: r.filterConjunct(anchor, holds: false, l.filteredBy)))
                    } else if l.admitted, let node = offer.appliesToNode, let anchor, let filter {
                        lines.append(
                            LineConditions(
                                line: cartLines[i].id, sku: cartLines[i].sku, matched: l.matched,
                                condition: r.admittedTree(
                                    node, l.root, filterConjunct: anchor, value: filter.value(of: resolved[i]))))
                    } else if let node = offer.appliesToNode, l.root >= 0 {
                        lines.append(
                            LineConditions(
                                line: cartLines[i].id, sku: cartLines[i].sku, matched: l.matched,
                                condition: r.tree(node, l.root)))
                    }
                }
            }
            let nudge = e?.nudge
            var determining: [String] = []
            if isChosen {
                determining.append("\(offer.file):\(offer.line): offer \(offer.id) (\(offer.kindName))")
                if let w = when { determining.append("\(w.file):\(w.line): when \(w.text)") }
                if let a = lines.first(where: \.matched)?.condition {
                    determining.append("\(a.file):\(a.line): applies_to \(a.text)")
                }
                determining.append(
                    "group \(rules.groups[campaign.group].name) (\(rules.groups[campaign.group].mode.rawValue))")
            }
            return OfferTrace(
                campaign: campaign.id, offer: offer.id, kind: offer.kindName, title: offer.title,
                group: rules.groups[campaign.group].name, file: offer.file, line: offer.line,
                outcome: isChosen ? "chosen" : (rejection?.reason.rawValue ?? "not_eligible"), summary: summary,
                when: when, appliesTo: lines, value: value,
                arbitration: candidate.map { c in
                    ArbitrationTrace(
                        pWithOffer: c.p1, pWithout: c.p0, margin: r.margin, storeCost: c.value.storeCost,
                        weight: campaign.weight, expectedIncrementalProfit: c.score,
                        rank: (ranked.firstIndex(of: o) ?? 0) + 1)
                }, determining: determining, nudge: nudge, needsItems: needsItems(rejection),
                startsAt: campaign.starts, endsAt: campaign.ends)
        }
        let consideredSet = Set(r.considered)
        let ruledOut = rules.offers.indices.filter { !consideredSet.contains($0) }
        let notConsidered = ruledOut.prefix(DecisionTrace.notConsideredLimit).map { o in
            let offer = rules.offers[o]
            return NotConsidered(
                campaign: rules.campaigns[offer.campaign].id, offer: offer.id, needs: rules.offerNeeds[o],
                kind: offer.kindName, firstTier: firstTier(offer))
        }
        // Model outputs, with the customer as masked.
        let outputs = d.modelOutputs.map { u in
            TracedOutput(
                plugin: u.plugin, modelVersion: u.modelVersion ?? versions[u.plugin],
                function: u.function,
                key: ModelCall(
                    plugin: u.plugin, role: "", function: u.function, arguments: u.arguments, perCustomer: false,
                    perItem: false
                ).key, customer: u.customer.map { $0 == request.customer.id ? maskedID : $0 }, sku: u.sku,
                arguments: u.arguments, value: u.value, missingWhenRead: u.missingWhenRead, fault: u.fault)
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
        // The files the decision read: the workspace and those of the offers it considered.
        var read: Set<String> = [rules.sources.first?.path ?? ""]
        for o in r.considered { read.insert(rules.offers[o].file) }
        let time = Date(timeIntervalSince1970: TimeInterval(request.time))
        return DecisionTrace(
            traceVersion: DecisionTrace.currentVersion, engineVersion: DecisionTrace.engineVersion,
            decisionID: request.decisionID, time: request.time,
            timeText: time.formatted(.iso8601), currency: rules.currency, rulesDigest: rules.digest,
            files: rules.sources.map { s in
                TracedFile(path: s.path, sha256: s.sha256, text: read.contains(s.path) ? s.text : nil)
            },
            request: TracedRequest(customer: customer, channel: request.channel, cart: request.cart),
            masked: masked, catalog: items, modelOutputs: outputs, holdouts: r.holdouts,
            budgets: campaignsWithBudgets.map { c in
                TracedBudget(
                    campaign: c.id, total: c.budgetTotal, remaining: budgets.remaining[c.id] ?? c.budgetTotal,
                    perCustomer: c.perCustomer, customerCount: budgets.customerCounts[c.id] ?? 0)
            }, decision: traced, offers: offers, notConsidered: Array(notConsidered),
            notConsideredCount: ruledOut.count)
    }

    private func firstTier(_ o: CompiledOffer) -> Int64? {
        if case .spendThreshold(let tiers, _) = o.kind { return tiers.first?.spend }
        return nil
    }

    private func needsItems(_ r: Rejection?) -> Int? {
        if case .needsItems(let needed, let have)? = r?.why, needed > have { return needed - have }
        return nil
    }

}
