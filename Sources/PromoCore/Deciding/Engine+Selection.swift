import PromoDSL

extension Engine {
    /// An offer given: its candidate (`source`, read through `Frame.given`: a position in
    /// `eligible`, or when selection valued it again on discounted prices, -1 - its position in
    /// `Frame.revalued`), its discount on line i at `Frame.discounts[at + i]` (after the offers
    /// before it; only for the lines `first ..< end` of its candidate's value, which alone are
    /// stored), and its shipping discount; and where the pass that gave it stood then (its member's
    /// position, the rejections made before it), so that a pass can resume there. (A position, not
    /// a copy: a candidate is two cache lines, and a decision makes a dozen picks.)
    struct Pick {
        var source: Int32
        var member: Int32
        var at: Int
        var shipping: Int64
        var rejectedBefore: Int32
        /// The candidate's offer and score, which ranking picks reads.
        var offer: Int32
        var score: Double
    }

    /// The probabilities of buying without an offer and, when the uplift model answered, with
    /// one: the same for every offer of a decision (the customer's), read once.
    func readPropensities(_ f: Frame) {
        var p0 = Self.fallbackPropensity
        if let s = rules.propensitySlot, case .number(let p) = f.models[s * f.stride] { p0 = min(max(p, 0), 1) }
        f.p0 = p0
        f.upliftP1 = nil
        if let s = rules.upliftSlot, case .number(let u) = f.models[s * f.stride] {
            f.upliftP1 = min(max(p0 + u, 0), 1)
        }
    }

    /// Expected incremental profit of giving the offer, times the campaign's weight:
    /// P(buy | offer) x margin with it - P(buy | no offer) x margin without. P comes from the uplift
    /// model (propensity, and propensity + uplift score) when one is bound; otherwise P(no offer) is
    /// `fallbackPropensity` and the offer lifts it by `fallbackElasticity` x (value / cart subtotal).
    @inline(__always)
    func score(_ o: Int, _ v: OfferValue, _ f: Frame, lines: Int) -> Candidate {
        let facts = rules.facts[o]
        let margin = f.margin
        let p0 = f.p0
        var p1: Double
        if let upliftP1 = f.upliftP1 {
            p1 = upliftP1
        } else {
            let relative = Double(v.customerValue) * f.subtotalInverse
            p1 = min(1, p0 * (1 + Self.fallbackElasticity * relative))
        }
        let value: Double
        switch rules.objective {
        case .incrementalProfit: value = p1 * Double(margin - v.storeCost) - p0 * Double(margin)
        case .revenue: value = p1 * Double(f.subtotal - v.discount) - p0 * Double(f.subtotal)
        case .margin: value = p1 * Double(margin - v.storeCost)
        }
        // A score that is not a number (a model answering NaN) counts as the lowest there is, so
        // that scores are always ordered.
        let score = value * facts.weight
        return Candidate(
            offer: o, group: Int(facts.group), priority: (facts.campaignPriority, facts.priority),
            lines: lines, value: v, score: score.isNaN ? -.infinity : score, p1: p1, p0: p0)
    }

    /// Applies stacking groups, exclusivity, budgets and the per-customer offer limit, into the
    /// frame's `picks` and `selectionRejected`. Over the limit, the picks below the top
    /// `maxOffersPerCustomer` by score (ties by stable key) are set aside and the groups are
    /// decided again without them, until the limit holds. Everything before the first pick set
    /// aside is decided as it was (the same members in the same state), so a pass resumes there
    /// instead of starting over (when no offer is exclusive: those are weighed against the whole).
    /// Candidates are addressed by their position in `eligible`, so ordering and filtering move
    /// no values.
    func select(_ eligible: Scratch<Candidate>, _ f: Frame, _ evaluator: OfferEvaluator, _ budgets: BudgetView) {
        // Members in group order; within a group by score (best) or by priority (stack, first).
        // The groups are decided in this order, however many times the limit makes them.
        let groups = rules.groups
        f.selectionOrder.removeAll()
        let order = f.selectionOrder.appendUninitialized(eligible.count)
        for k in eligible.indices { order[k] = Int32(k) }
        eligible.withUnsafeBufferPointer { e in
            groups.withUnsafeBufferPointer { groups in
                f.selectionOrder.sortFew { a, b in
                    let x = e[Int(a)]
                    let y = e[Int(b)]
                    if x.group != y.group { return x.group < y.group }
                    if groups[x.group].mode == .best {
                        return x.score != y.score ? x.score > y.score : x.offer < y.offer
                    }
                    if x.priority.campaign != y.priority.campaign { return x.priority.campaign > y.priority.campaign }
                    if x.priority.offer != y.priority.offer { return x.priority.offer > y.priority.offer }
                    return x.offer < y.offer
                }
            }
        }
        f.selectionPool.removeAll()
        f.selectionOrder.withUnsafeBufferPointer { f.selectionPool.append(contentsOf: $0) }
        let anyExclusive = rules.anyExclusive && f.selectionPool.contains { isExclusive(eligible[Int($0)]) }
        f.picks.removeAll()
        f.revalued.removeAll()
        f.selectionRejected.removeAll()
        var resume: Int?
        var capped = false
        while true {
            selectOnce(f.selectionPool, eligible, f, evaluator, budgets, resumingAt: resume)
            if f.picks.count <= rules.maxOffersPerCustomer {
                // Offers set aside (this decision's stamp) in the order of the members.
                if capped {
                    for k in f.selectionOrder where f.cappedStamp[eligible[Int(k)].offer] == f.stamp {
                        let c = eligible[Int(k)]
                        f.selectionRejected.append(
                            Rejection(offer: c.offer, reason: .outscored, why: .overLimit, score: c.score))
                    }
                }
                return
            }
            // A pick is set aside when `maxOffersPerCustomer` picks rank above it (by score, ties
            // by offer; scores are never NaN, `score` sees to it, so the order is total and some
            // pick is always set aside): counted pair by pair without branches, since which pick
            // ranks above which is data (a sort's comparisons are branches taken at random).
            // (The scores and offers side by side, so that each pick's count is one pass over two
            // plain arrays.)
            let limit = rules.maxOffersPerCustomer
            let stamp = f.stamp
            let n = f.picks.count
            f.pickScores.removeAll()
            f.pickOffers.removeAll()
            let scores = f.pickScores.appendUninitialized(n)
            let offers = f.pickOffers.appendUninitialized(n)
            for (k, p) in f.picks.enumerated() {
                scores[k] = p.score
                offers[k] = p.offer
            }
            let setAside = f.cappedStamp
            for k in 0..<n {
                let (score, offer) = (scores[k], offers[k])
                var above = 0
                for j in 0..<n {
                    above &+= (scores[j] > score ? 1 : 0) | (scores[j] == score ? 1 : 0) & (offers[j] < offer ? 1 : 0)
                }
                let o = Int(offer)
                setAside[o] = above >= limit ? stamp : setAside[o]
            }
            capped = true
            // The picks before the first one set aside stand; their members keep their places.
            resume =
                anyExclusive || !resumesSelection
                ? nil : f.picks.firstIndex { f.cappedStamp[Int($0.offer)] == f.stamp }
            // (Each member written, and kept or not by arithmetic: which are kept is data.)
            var kept = 0
            for k in f.selectionPool {
                f.selectionPool[kept] = k
                kept += f.cappedStamp[eligible[Int(k)].offer] != f.stamp ? 1 : 0
            }
            f.selectionPool.removeLast(f.selectionPool.count - kept)
        }
    }

    private func isExclusive(_ c: Candidate) -> Bool { rules.facts[c.offer].exclusive }

    /// One pass over the groups, from the start or resuming at pick `resume` of the last pass.
    private func selectOnce(
        _ members: Scratch<Int32>, _ eligible: Scratch<Candidate>, _ f: Frame, _ evaluator: OfferEvaluator,
        _ budgets: BudgetView, resumingAt resume: Int?
    ) {
        guard rules.anyExclusive && members.contains(where: { isExclusive(eligible[Int($0)]) }) else {
            members.withUnsafeBufferPointer { stack($0, eligible, f, evaluator, budgets, resumingAt: resume) }
            return
        }
        members.filter { !isExclusive(eligible[Int($0)]) }.withUnsafeBufferPointer {
            stack($0, eligible, f, evaluator, budgets, resumingAt: nil)
        }
        let exclusives = members.filter { isExclusive(eligible[Int($0)]) }.sorted {
            (eligible[Int($0)].score, -eligible[Int($0)].offer) > (eligible[Int($1)].score, -eligible[Int($1)].offer)
        }
        var best: (Int32, Candidate)?
        for k in exclusives {
            let e = eligible[Int(k)]
            if let (reason, why) = budgetProblem(e.offer, e.value.customerValue, nil, budgets) {
                f.selectionRejected.append(Rejection(offer: e.offer, reason: reason, why: why, score: e.score))
            } else if let (_, b) = best {
                f.selectionRejected.append(
                    Rejection(
                        offer: e.offer, reason: .outscored, why: .outscored(by: b.offer, margin: b.score - e.score),
                        score: e.score))
            } else {
                best = (k, e)
            }
        }
        guard let (source, exclusive) = best else { return }
        let combined = f.picks.reduce(0.0) { $0 + $1.score }
        if f.picks.isEmpty || exclusive.score > combined {
            for p in f.picks {
                f.selectionRejected.append(
                    Rejection(
                        offer: Int(p.offer), reason: .blockedByExclusive, why: .exclusiveWins(exclusive.offer),
                        score: p.score))
            }
            f.picks.removeAll()
            f.picks.append(
                Pick(
                    source: source, member: 0, at: exclusive.value.at, shipping: exclusive.value.shippingDiscount,
                    rejectedBefore: 0, offer: Int32(exclusive.offer), score: exclusive.score))
        } else {
            f.selectionRejected.append(
                Rejection(
                    offer: exclusive.offer, reason: .outscored,
                    why: .exclusiveLoses(margin: combined - exclusive.score),
                    score: exclusive.score))
        }
    }

    /// Whether the campaign's budget or the customer's cap stops an offer worth `value`, given
    /// what earlier picks of this decision spent (`f.spent`; none without a frame).
    @inline(__always)
    private func budgetProblem(_ o: Int, _ value: Int64, _ f: Frame?, _ budgets: BudgetView) -> (Reason, Why)? {
        rules.facts[o].limited ? limitProblem(o, value, f, budgets) : nil
    }

    private func limitProblem(_ o: Int, _ value: Int64, _ f: Frame?, _ budgets: BudgetView) -> (Reason, Why)? {
        let c = Int(rules.facts[o].campaign)
        let campaign = rules.campaigns[c]
        let earlier = f?.spent.first { $0.campaign == c }
        if let total = campaign.budgetTotal {
            let remaining = (budgets.remaining[campaign.id] ?? total) - (earlier?.amount ?? 0)
            if remaining < value { return (.budgetExhausted, .budgetLeft(remaining: remaining, worth: value)) }
        }
        if let cap = campaign.perCustomer, earlier == nil {
            let used = budgets.customerCounts[campaign.id] ?? 0
            if used >= cap { return (.customerCap, .customerCap(used: used, cap: cap)) }
        }
        return nil
    }

    /// A line's base price mixed with its position (the SplitMix64 finaliser).
    private static func lineHash(_ i: Int, _ price: Int64) -> UInt64 {
        var z = UInt64(bitPattern: price) &+ UInt64(i) &* 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Whether earlier picks discounted a line this offer's value depends on. Per-unit kinds and
    /// tiers read only the lines they apply to; gifts and free shipping no price at all; bundles
    /// and buy-X-get-Y are always computed again. `appliedBits`: the lines discounted so far, as
    /// bits, in a cart of at most 64 lines (compared with the candidate's in one step).
    @inline(__always)
    private func pricesChanged(for c: Candidate, _ f: Frame, appliedBits: UInt64) -> Bool {
        let facts = rules.facts[c.offer]
        if facts.priceFree { return false }
        if facts.repriced { return true }
        let n = f.lines.count
        if n <= 64 {
            return appliedBits & UInt64(bitPattern: Int64(c.lines)) != 0
        } else {
            for i in 0..<n where f.applied[i] > 0 && f.matchArena[c.lines + i] { return true }
        }
        return false
    }

    /// Groups in workspace order (`members` come in `select`'s order). `best`: the highest score; `first`: the first by priority;
    /// `stack`: all by priority, each on list prices (`original`) or on the prices left by the
    /// offers before it (`discounted`). No line is ever discounted below zero. Resuming at pick
    /// `resume`, the picks before it are kept (and their effect on prices and budgets made
    /// again) and the members from its place on are decided.
    private func stack(
        _ members: UnsafeBufferPointer<Int32>, _ eligible: Scratch<Candidate>, _ f: Frame, _ evaluator: OfferEvaluator,
        _ budgets: BudgetView, resumingAt resume: Int?
    ) {
        let n = f.lines.count
        f.applied.removeAll()
        f.applied.append(0, times: n)
        // The prices left by the picks so far (`refreshBases` below). Their
        // signature (of each line changed, the hash of its price now and of its first price,
        // combined by xor, so that the list prices, every pass's start, sign as 0) is made when a
        // memoized value is looked up, not at every change: there are fewer look-ups.
        func firstPrice(_ i: Int) -> Int64 { f.lines[i].quantity > 0 ? f.lines[i].unitPrice : 0 }
        var signature: UInt64 = 0
        var signed = true
        // Brought up to date from what the picks applied only when an offer is valued on them
        // (about once a decision), not at every pick (a division per line discounted).
        var basesStale = false
        var basesMade = false
        func refreshBases() {
            if !basesMade {
                f.discountedBase.removeAll()
                for i in 0..<n { f.discountedBase.append(firstPrice(i)) }
                basesMade = true
            }
            guard basesStale else { return }
            basesStale = false
            for i in 0..<n where f.applied[i] > 0 {
                let b = (f.lines[i].amount - f.applied[i]) / Int64(f.lines[i].quantity)
                signed = signed && b == f.discountedBase[i]
                f.discountedBase[i] = b
            }
        }
        func sign() -> UInt64 {
            if !signed {
                signature = 0
                for i in 0..<n {
                    let first = firstPrice(i)
                    if f.discountedBase[i] != first {
                        signature ^= Self.lineHash(i, first) ^ Self.lineHash(i, f.discountedBase[i])
                    }
                }
                signed = true
            }
            return signature
        }
        var anyApplied = false
        var appliedBits: UInt64 = 0
        var shippingLeft = f.request.cart.shipping
        f.spent.removeAll()
        // A pick's effect on what the ones after it see: prices, shipping and budgets.
        func give(_ pick: Pick, lineSum: Int64, value: Int64) {
            let candidate = f.given(pick)
            let facts = rules.facts[Int(pick.offer)]
            // What each campaign with a budget or a cap spent so far (`limited` is the campaign's).
            if facts.limited {
                let c = Int(facts.campaign)
                if let e = f.spent.firstIndex(where: { $0.campaign == c }) {
                    f.spent[e].amount += value
                } else {
                    f.spent.append(Frame.Spent(campaign: c, amount: value))
                }
            }
            for i in Int(candidate.pointee.value.first)..<Int(candidate.pointee.value.end)
            where f.discounts[pick.at + i] > 0 {
                f.applied[i] += f.discounts[pick.at + i]
                if i < 64 { appliedBits |= 1 << UInt64(i) }
                basesStale = true
            }
            anyApplied = anyApplied || lineSum > 0
            shippingLeft -= pick.shipping
        }
        var start = 0
        if let resume {
            let stop = f.picks[resume]
            start = Int(stop.member)
            f.picks.removeLast(f.picks.count - resume)
            f.selectionRejected.removeLast(f.selectionRejected.count - Int(stop.rejectedBefore))
            for p in f.picks {
                let c = f.given(p)
                var lineSum: Int64 = 0
                for i in Int(c.pointee.value.first)..<Int(c.pointee.value.end) { lineSum += f.discounts[p.at + i] }
                give(p, lineSum: lineSum, value: lineSum + p.shipping + c.pointee.value.giftValue)
            }
        } else {
            f.picks.removeAll()
            f.selectionRejected.removeAll()
        }
        // (A pass resumes at a pick, which no earlier member of a `best` or `first` group won.)
        var winner: Int?
        var currentGroup = -1
        var mode = StackingGroup.Mode.best
        var onDiscounted = false
        for position in start..<members.count {
            var source = members[position]
            let m = eligible.base + Int(source)
            let g = m.pointee.group
            if g != currentGroup {
                currentGroup = g
                winner = nil
                mode = rules.groups[g].mode
                onDiscounted = rules.groups[g].base == .discounted
            }
            let offer = m.pointee.offer
            let memberScore = m.pointee.score
            if let w = winner, mode != .stack {
                if mode == .best {
                    f.selectionRejected.append(
                        Rejection(
                            offer: offer, reason: .outscored,
                            why: .outscored(by: w, margin: f.picks[f.picks.count - 1].score - memberScore),
                            score: memberScore))
                } else {
                    f.selectionRejected.append(
                        Rejection(
                            offer: offer, reason: .groupAlreadyUsed, why: .groupUsed(by: w, group: g),
                            score: memberScore)
                    )
                }
                continue
            }
            if onDiscounted && anyApplied && pricesChanged(for: m.pointee, f, appliedBits: appliedBits) {
                // The per-customer cap decides the groups again: an offer met on the same prices
                // as before gives what it gave then.
                let evaluation: Evaluation
                refreshBases()
                let signature = sign()
                let lines = m.pointee.lines
                if f.memoStamp[offer] == f.stamp && f.memoSignature[offer] == signature {
                    evaluation = f.memo[offer]
                } else {
                    evaluation = rules.offerRefs[offer]._withUnsafeGuaranteedRef {
                        evaluator.value($0, f, base: f.discountedBase, lines: lines, again: true)
                    }
                    f.memoStamp[offer] = f.stamp
                    f.memoSignature[offer] = signature
                    f.memo[offer] = evaluation
                }
                switch evaluation {
                case .value(let v):
                    source = -1 - Int32(f.revalued.count)
                    f.revalued.append(score(offer, v, f, lines: lines))
                case .rejected(let reason, let why):
                    f.selectionRejected.append(
                        Rejection(offer: offer, reason: reason, why: why, score: memberScore, onDiscountedPrices: true))
                    continue
                }
            }
            let given = source >= 0 ? m : f.revalued.base + Int(-1 - source)
            let value = given.pointee.value
            // What is left of each line after the offers before this one, for the lines the
            // value discounts (`first ..< end`; each written below).
            let (first, width) = (Int(value.first), Int(value.end - value.first))
            let at = f.discounts.count - first
            f.discounts.appendUninitialized(width)
            var lineSum: Int64 = 0
            for i in first..<first + width {
                let d = min(f.discounts[value.at + i], f.lines[i].amount - f.applied[i])
                f.discounts[at + i] = d
                lineSum += d
            }
            let shipping = min(value.shippingDiscount, shippingLeft)
            let worth = lineSum + shipping + value.giftValue
            guard worth > 0 else {
                f.discounts.removeLast(width)
                f.selectionRejected.append(
                    Rejection(offer: offer, reason: .notEligible, why: .nothingLeft, score: memberScore))
                continue
            }
            if let (reason, why) = budgetProblem(offer, worth, f, budgets) {
                f.discounts.removeLast(width)
                f.selectionRejected.append(Rejection(offer: offer, reason: reason, why: why, score: memberScore))
                continue
            }
            let pick = Pick(
                source: source, member: Int32(position), at: at, shipping: shipping,
                rejectedBefore: Int32(f.selectionRejected.count), offer: Int32(offer), score: given.pointee.score)
            give(pick, lineSum: lineSum, value: worth)
            f.picks.append(pick)
            winner = offer
        }
    }
}
