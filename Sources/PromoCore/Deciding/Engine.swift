import Foundation
import PromoDSL
import Synchronization

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
    /// Over the per-customer limit, resume each selection pass at the first pick set aside
    /// (default). Off decides every group again from the start; what is given is the same.
    public var resumesSelection = true
    /// The catalog in this rule set's symbols.
    let bound: BoundCatalog
    /// Frames for reuse, so that a decision allocates almost nothing.
    let frames: FramePool

    /// When no uplift model is bound: P(buy | no offer), and the lift per unit of discount
    /// relative to the cart (an elasticity of 2).
    public static let fallbackPropensity = 0.5
    public static let fallbackElasticity = 2.0

    /// Binds the rules to the catalog (interning the catalog's categories, brands, skus and tags;
    /// linear in the catalog, done once).
    public init(rules: RuleSet, catalog: Catalog, useIndex: Bool = true) {
        self.rules = rules
        self.catalog = catalog
        self.useIndex = useIndex
        self.bound = BoundCatalog(catalog, rules: rules.symbols)
        self.frames = FramePool()
    }

    struct Candidate {
        var offer: Int
        /// The offer's stacking group, and its order there when the group goes by priority.
        var group: Int
        var priority: (campaign: Int, offer: Int)
        /// The lines it applies to: as bits in a cart of at most 64 lines (the usual case: no
        /// arena to write and read), else where they start in `Frame.matchArena`.
        var lines: Int
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
        var excluded: [Int: (Reason, Why)] = [:]
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
                    excluded[index] = (.budgetExhausted, .reservationBudget(remaining: remaining))
                case .customerCap(let used, let cap):
                    excluded[index] = (.customerCap, .reservationCap(used: used, cap: cap))
                }
            }
            if excluded.count > rules.offers.count { return decision }
        }
    }

    /// A decision that gives nothing because the request is out of bounds.
    func refused(_ request: DecisionRequest, _ problem: String) -> Decision {
        var d = Decision(
            decisionID: request.decisionID, rulesDigest: rules.digest, time: request.time, currency: rules.currency,
            chosen: [], lines: [], subtotal: 0, discount: 0, shipping: 0, shippingDiscount: 0, total: 0,
            gifts: [], nudges: [], offersNotConsidered: rules.offers.count)
        d.problem = problem
        return d
    }

    func decide(
        _ request: DecisionRequest, models: some ModelOutputs, budgets: BudgetView, excluded: [Int: (Reason, Why)],
        recording: TraceRecording? = nil
    )
        -> Decision
    {
        if let problem = Limits.problem(in: request, catalog: catalog) { return refused(request, problem) }
        let f =
            frames.take()
            ?? Frame(
                bound: bound, rounding: rules.rounding, modelSlots: rules.modelSlots.count, letSlots: rules.letCount)
        // The frame reads the request where the caller has it (a copy would count references to
        // its strings and arrays, and release the last request's), for as long as the decision runs.
        let d = withUnsafePointer(to: request) { p in
            f.requestPointer = p
            return decide(in: f, request, models: models, budgets: budgets, excluded: excluded, recording: recording)
        }
        f.requestPointer = nil
        f.tracer = nil
        f.tracing = false
        f.holdoutOverride = nil
        // A recorded decision keeps its frame for its trace; the recording gives it back.
        if recording?.frame !== f { frames.put(f) }
        return d
    }

    private func decide(
        in f: Frame, _ request: DecisionRequest, models: some ModelOutputs, budgets: BudgetView,
        excluded: [Int: (Reason, Why)], recording: TraceRecording?
    ) -> Decision {
        f.reset(request)
        if let recording {
            f.tracer = recording.builder
            f.tracing = true
            f.nodeBySpan = rules.nodeBySpan
            f.holdoutOverride = recording.holdoutOverride
        }
        for (i, l) in f.lines.enumerated() where l.ordinal >= 0 {
            if !(0...Limits.maxUnitAmount).contains(l.cost) || !(0...Limits.maxUnitAmount).contains(l.listPrice) {
                return refused(request, "catalog item \(f.cartLines[i].sku): price or cost is out of range")
            }
        }
        // The decision's parts are the frame's, refilled, unless a decision still holds them.
        let parts: DecisionParts
        if isKnownUniquelyReferenced(&f.parts), let p = f.parts {
            parts = p
            parts.given.removeAll(keepingCapacity: true)
            parts.allocations.removeAll(keepingCapacity: true)
            parts.rejections.removeAll(keepingCapacity: true)
            parts.record.entries.removeAll(keepingCapacity: true)
            parts.record.values.removeAll()
            parts.record.readMissing.removeAll(keepingCapacity: true)
        } else {
            parts = DecisionParts(names: rules.names)
            f.parts = parts
        }
        parts.record.customerID = request.customer.id
        f.rejected.removeAll()

        // 1. Candidates: the index (with the customer's segment when offers are indexed on it).
        if useIndex {
            var segment: Int32?
            if let s = rules.segmentSlot {
                gather(s < 64 ? f.shape(bits: 1 << UInt64(s), rules) : .init([s], rules), f, models, &parts.record)
                if case .symbol(let v) = f.models[s * f.stride] { segment = Int(v) < rules.symbols.count ? v : -1 }
            }
            rules.index.candidates(segment: segment, f, facts: rules.facts, into: &f.candidates)
        } else {
            rules.index.all(into: &f.candidates)
        }
        let notConsidered = rules.offers.count - f.candidates.count
        recording?.considered = f.candidates.map(Int.init)

        // 2. Campaign-level filters: schedule and holdout, once per campaign. In the same pass,
        // the model slots the candidates kept read (3. below), and each one's offer object read
        // now, all together, so that their cache misses overlap with each other and with the
        // model batches (evaluation reads them one by one).
        f.prepareCampaigns(rules.campaigns.count)
        f.prepareOffers(rules.offers.count)
        var kept = 0
        var bits: UInt64 = 0
        var wide = false
        var touched: UInt8 = 0
        let candidateCount = f.candidates.count
        let rank = f.candidateRank
        for (k, o) in f.candidates.enumerated() {
            rank[Int(o)] = Int32(truncatingIfNeeded: k)
            let facts = rules.facts[Int(o)]
            if !facts.alwaysOn {
                let c = Int(facts.campaign)
                if f.campaignStamp[c] != f.stamp {
                    f.campaignStamp[c] = f.stamp
                    f.campaignStatus[c] = rules.campaignRefs[c]._withUnsafeGuaranteedRef {
                        campaignStatus($0, request, override: f.holdoutOverride)
                    }
                    if let recording, rules.campaigns[c].holdoutPPM > 0 {
                        recording.holdouts[rules.campaigns[c].id] =
                            f.campaignStatus[c].map { $0.0 == .holdout } ?? false
                    }
                }
                if let (reason, why) = f.campaignStatus[c] {
                    f.rejected.append(Rejection(offer: Int(o), reason: reason, why: why, score: nil))
                    continue
                }
            }
            f.candidates[kept] = o
            kept += 1
            bits |= facts.slotBits
            wide = wide || facts.wideSlots
            touched |= rules.offerRefs[Int(o)]._withUnsafeGuaranteedRef { $0.present.rawValue }
        }
        f.candidates.removeLast(f.candidates.count - kept)
        f.touched = touched

        // 3. Model outputs: only those the remaining candidates read, plus arbitration's.
        // As bits while every slot is below 64 (the usual case), else as a set.
        if let p = rules.propensitySlot { if p < 64 { bits |= 1 << UInt64(p) } else { wide = true } }
        if let u = rules.upliftSlot { if u < 64 { bits |= 1 << UInt64(u) } else { wide = true } }
        if wide {
            f.wanted.removeAll()
            f.wanted.append(false, times: rules.modelSlots.count)
            for o in f.candidates {
                for k in Int(rules.offerSlotsAt[Int(o)])..<Int(rules.offerSlotsAt[Int(o) + 1]) {
                    f.wanted[Int(rules.offerSlots[k])] = true
                }
            }
            if let p = rules.propensitySlot { f.wanted[p] = true }
            if let u = rules.upliftSlot { f.wanted[u] = true }
            if let s = rules.segmentSlot, useIndex { f.wanted[s] = false }
        } else if let s = rules.segmentSlot, useIndex {
            bits &= ~(1 << UInt64(s))
        }
        gather(
            wide ? .init((0..<f.wanted.count).filter { f.wanted[$0] }, rules) : f.shape(bits: bits, rules), f, models,
            &parts.record)
        f.margin = 0
        for l in f.lines { f.margin += (l.unitPrice - l.cost) * Int64(l.quantity) }

        // 4. Evaluate every candidate on list prices and score the eligible ones.
        readPropensities(f)
        let evaluator = OfferEvaluator(catalog: catalog)
        f.eligible.removeAll()
        var nudges: [OfferNudge] = []
        for o in f.candidates {
            let o = Int(o)
            if !excluded.isEmpty, let (reason, why) = excluded[o] {
                f.rejected.append(Rejection(offer: o, reason: reason, why: why, score: nil))
                continue
            }
            let matchesAt = f.matchArena.count
            f.withTracer { $0.beginOffer(o) }
            // The index left the lines it met the offer on; the filter is read without them.
            let admitted =
                useIndex && rules.facts[o].filtered && f.lines.count <= 64 ? f.indexMarks[o].lines : nil
            let evaluation = rules.offerRefs[o]._withUnsafeGuaranteedRef {
                evaluator.evaluate($0, f, offer: o, index: rules.index, matchesAt: matchesAt, admitted: admitted)
            }
            let n = f.nudge
            f.withTracer { $0.endOffer(evaluation, nudge: n) }
            if let n { nudges.append(nudge(o, n)) }
            switch evaluation {
            case .value(let v):
                f.eligible.append(score(o, v, f, lines: f.valuedLines))
            case .rejected(let reason, let why):
                f.rejected.append(Rejection(offer: o, reason: reason, why: why, score: nil))
            }
        }
        if let recording {
            recording.margin = f.margin
        }

        // 5. Choose under stacking groups, exclusivity, budgets and the per-customer limit.
        select(f.eligible, f, evaluator, budgets)
        // Into the decision's array in offer order (offers are in (campaign id, offer id) order,
        // so this is the order of names), and for one offer in the order found: the campaigns'
        // and the evaluation's rejections, then selection's. Placed by counting over the
        // candidates' places (every rejected offer is a candidate), with no comparison: which
        // offer comes before which is data.
        f.rejectionsBefore.removeAll()
        f.rejectionsBefore.append(0, times: candidateCount + 1)
        let before = f.rejectionsBefore
        let byEvaluation = f.rejected
        let bySelection = f.selectionRejected
        for r in byEvaluation { before[Int(rank[r.offer]) &+ 1] &+= 1 }
        for r in bySelection { before[Int(rank[r.offer]) &+ 1] &+= 1 }
        for k in 0..<candidateCount { before[k &+ 1] &+= before[k] }
        let into = parts.rejections.appendUninitialized(byEvaluation.count + bySelection.count)
        for r in byEvaluation {
            let k = Int(rank[r.offer])
            into[Int(before[k])] = r
            before[k] &+= 1
        }
        for r in bySelection {
            let k = Int(rank[r.offer])
            into[Int(before[k])] = r
            before[k] &+= 1
        }

        // What was given, kept as numbers: `Decision.chosen` and `lines` name them when read.
        let n = f.lines.count
        var gifts: [GiftLine] = []
        var shippingDiscount: Int64 = 0
        for pick in f.picks {
            // The lines the pick discounts (`first ..< end`), in a row of all the lines.
            let c = f.given(pick)
            let row = parts.allocations.append(0, times: n)
            var discount: Int64 = 0
            for i in Int(c.pointee.value.first)..<Int(c.pointee.value.end) {
                parts.allocations[row + i] = f.discounts[pick.at + i]
                discount += f.discounts[pick.at + i]
            }
            shippingDiscount += pick.shipping
            let o = c.pointee.offer
            let giftQuantity = c.pointee.value.gift?.quantity
            if let q = giftQuantity, let gift = rules.names.gift(o, quantity: q) { gifts.append(gift) }
            parts.given.append(
                Decision.Given(
                    offer: o, discount: discount, shippingDiscount: pick.shipping, giftQuantity: giftQuantity,
                    score: c.pointee.score, pWithOffer: c.pointee.p1, pWithout: c.pointee.p0))
        }
        parts.record.noteMissingReads(f)
        parts.cartLines = f.cartLines
        if nudges.count > 1 { nudges.sort { ($0.campaign, $0.offer) < ($1.campaign, $1.offer) } }
        if let recording {
            recording.keep(f, until: frames)
        }
        return Decision(
            request, rules, subtotal: f.subtotal, shippingDiscount: shippingDiscount, gifts: gifts, nudges: nudges,
            offersNotConsidered: notConsidered, parts: parts)
    }

    private func nudge(_ o: Int, _ n: Nudge) -> OfferNudge {
        OfferNudge(
            campaign: rules.names.campaigns[rules.names.offerCampaign[o]], offer: rules.names.offerIDs[o], nudge: n)
    }

    /// Fetches the outputs of a set of slots for this request in one batch into the frame.
    private func gather(
        _ shape: Frame.BatchShape, _ f: Frame, _ models: some ModelOutputs, _ record: inout ModelRecord
    ) {
        let slots = shape.slots
        guard !slots.isEmpty else { return }
        let batch = ModelBatch(
            customerID: f.request.customer.id, lines: f.cartLines, ordinals: f.lineOrdinals, calls: shape.calls)
        // Into the record's values (the frame's buffer, reused once the last decision is gone);
        // an answer of the wrong length is cut or filled with missing values.
        let at = record.values.count
        let notes = models.answer(for: batch, appendingTo: &record.values)
        var expected = at
        for c in slots.indices { expected += batch.rows(c) }
        record.values.keep(expected)
        while record.values.count < expected { record.values.append(nil) }
        let values = record.values
        // The frame's outputs written through a copy of its buffer (the same memory; no read of
        // the frame per value).
        let outputs = f.models
        let stride = f.stride
        let items = batch.itemCount
        values.withBuffers { numbers, tags in
            var k = at
            for (c, s) in slots.enumerated() {
                let row0 = s &* stride
                for row in 0..<shape.calls[c].rows(items: items) {
                    if tags[k] == ModelValues.number {
                        outputs[row0 &+ row] = .number(numbers[k])
                    } else if tags[k] != ModelValues.none, let v = values[k] {
                        outputs[row0 &+ row] = f.val(v)
                    }
                    k += 1
                }
            }
        }
        record.entries.append(.init(shape: shape, at: at, notes: notes))
    }

    /// Whether a campaign runs for this request: schedule (in its time zone) and holdout. (Offers
    /// of campaigns with neither skip this: `CompiledCampaign.runsForEveryRequest`.)
    func campaignStatus(_ c: CompiledCampaign, _ r: DecisionRequest, override: [String: Bool]? = nil) -> (Reason, Why)?
    {
        if let s = c.starts, r.time < s { return (.outsideSchedule, .startsIn(seconds: s - r.time)) }
        if let e = c.ends, r.time > e { return (.outsideSchedule, .endedAgo(seconds: r.time - e)) }
        if !c.days.isEmpty || c.hours != nil {
            var offset = 0
            if let tz = c.zone { offset = tz.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(r.time))) }
            let local = r.time + Int64(offset)
            let days = Int((local >= 0 ? local : local - 86_399) / 86_400)
            let weekday = ((days % 7) + 7 + 3) % 7 + 1  // 1970-01-01 was a Thursday; 1 = Monday
            if !c.days.isEmpty && !c.days.contains(weekday) {
                return (.outsideSchedule, .onlyOnDays(c.days.reduce(UInt8(0)) { $0 | UInt8(1 << $1) }))
            }
            let minute = Int(((local % 86_400) + 86_400) % 86_400 / 60)
            if let h = c.hours, !h.contains(minute) {
                return (.outsideSchedule, .onlyHours(from: h.lowerBound, to: h.upperBound))
            }
        }
        if c.holdoutPPM > 0,
            override?[c.id] ?? (Holdout.bucket(customer: r.customer.id, campaign: c.id) < c.holdoutPPM)
        {
            return (.holdout, .controlGroup)
        }
        return nil
    }
}

/// Frames kept for reuse between decisions, one per concurrent decision at most.
final class FramePool: Sendable {
    private let free = Mutex<[Frame]>([])
    /// How many condition records a traced decision of this engine needed at most so far.
    let traceCapacity = Atomic<Int>(256)

    /// Trace builders' buffers, given back when a recorded decision is dropped.
    private let traceBuffers = Mutex<[TraceBuilder.Buffers]>([])

    func take() -> Frame? { free.withLock { $0.popLast() } }

    func takeTraceBuffers() -> TraceBuilder.Buffers? { traceBuffers.withLock { $0.popLast() } }

    /// Keeps a builder's buffers for the next one; false when enough are kept already.
    func putTraceBuffers(_ b: TraceBuilder.Buffers) -> Bool {
        traceBuffers.withLock {
            guard $0.count < 16 else { return false }
            $0.append(b)
            return true
        }
    }

    deinit { traceBuffers.withLock { for b in $0 { b.free() } } }

    func put(_ f: Frame) {
        free.withLock { if $0.count < 64 { $0.append(f) } }
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
    /// (The bytes hashed as they are read: no array per campaign and decision.)
    public static func bucket(customer: String, campaign: String) -> Int64 {
        let separated = fnv1a64(CollectionOfOne(0), from: fnv1a64(customer.utf8))
        return Int64(fnv1a64(campaign.utf8, from: separated) % 1_000_000)
    }

    /// FNV-1a, 64 bits: stable across runs, machines and Swift versions (unlike `Hasher`).
    /// `from`: the hash of the bytes before these.
    public static func fnv1a64(_ bytes: some Sequence<UInt8>, from start: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
        var h = start
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }
}
