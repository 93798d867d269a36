import PromoDSL

extension Engine {
    /// An offer given: its candidate, its line discounts at `Frame.discounts[at...]` (after the
    /// offers before it), and its shipping discount.
    struct Pick {
        var candidate: Candidate
        var at: Int
        var shipping: Int64
    }

    struct Selection {
        var chosen: [Pick] = []
        var rejected: [Rejection] = []
    }

    /// Expected incremental profit of giving the offer, times the campaign's weight:
    /// P(buy | offer) x margin with it - P(buy | no offer) x margin without. P comes from the uplift
    /// model (propensity, and propensity + uplift score) when one is bound; otherwise P(no offer) is
    /// `fallbackPropensity` and the offer lifts it by `fallbackElasticity` x (value / cart subtotal).
    func score(_ o: Int, _ v: OfferValue, _ f: Frame, matchesAt: Int) -> Candidate {
        let facts = rules.facts[o]
        let margin = f.margin
        var p0 = Self.fallbackPropensity
        if let s = rules.propensitySlot, case .number(let p) = f.models[s * f.stride] { p0 = min(max(p, 0), 1) }
        var p1: Double
        if let s = rules.upliftSlot, case .number(let u) = f.models[s * f.stride] {
            p1 = min(max(p0 + u, 0), 1)
        } else {
            let relative = f.subtotal > 0 ? Double(v.customerValue) / Double(f.subtotal) : 0
            p1 = min(1, p0 * (1 + Self.fallbackElasticity * relative))
        }
        let value: Double
        switch rules.objective {
        case .incrementalProfit: value = p1 * Double(margin - v.storeCost) - p0 * Double(margin)
        case .revenue: value = p1 * Double(f.subtotal - v.discount) - p0 * Double(f.subtotal)
        case .margin: value = p1 * Double(margin - v.storeCost)
        }
        return Candidate(
            offer: o, group: Int(facts.group), priority: (facts.campaignPriority, facts.priority),
            matchesAt: matchesAt, value: v, score: value * facts.weight, p1: p1, p0: p0)
    }

    /// Applies stacking groups, exclusivity, budgets and the per-customer offer limit. Over the
    /// limit, the picks below the top `maxOffersPerCustomer` by score (ties by stable key) are set
    /// aside and the groups are decided again without them, until the limit holds. Candidates are
    /// addressed by their position in `eligible`, so ordering and filtering move no values.
    func select(_ eligible: [Candidate], _ f: Frame, _ evaluator: OfferEvaluator, _ budgets: BudgetView)
        -> Selection
    {
        // Members in group order; within a group by score (best) or by priority (stack, first).
        // The groups are decided in this order, however many times the limit makes them.
        let groups = rules.groups
        // The orders and sets below live in the frame between decisions (no allocation).
        var order: [Int32] = []
        var pool: [Int32] = []
        var capped: [Int] = []
        var ranked: [Int] = []
        swap(&order, &f.selectionOrder)
        swap(&pool, &f.selectionPool)
        swap(&capped, &f.selectionCapped)
        swap(&ranked, &f.selectionRanked)
        defer {
            swap(&order, &f.selectionOrder)
            swap(&pool, &f.selectionPool)
            swap(&capped, &f.selectionCapped)
            swap(&ranked, &f.selectionRanked)
        }
        order.removeAll(keepingCapacity: true)
        order.append(contentsOf: 0..<Int32(eligible.count))
        eligible.withUnsafeBufferPointer { e in
            groups.withUnsafeBufferPointer { groups in
                order.sortFew { a, b in
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
        capped.removeAll(keepingCapacity: true)
        pool.removeAll(keepingCapacity: true)
        pool.append(contentsOf: order)
        // The picks and rejections are the frame's buffers; `decide` gives them back.
        var s = Selection()
        swap(&s.chosen, &f.picks)
        swap(&s.rejected, &f.selectionRejected)
        while true {
            selectOnce(pool, eligible, f, evaluator, budgets, into: &s)
            if s.chosen.count <= rules.maxOffersPerCustomer {
                for k in order where capped.contains(eligible[Int(k)].offer) {
                    let c = eligible[Int(k)]
                    s.rejected.append(Rejection(offer: c.offer, reason: .outscored, why: .overLimit, score: c.score))
                }
                return s
            }
            ranked.removeAll(keepingCapacity: true)
            ranked.append(contentsOf: s.chosen.indices)
            s.chosen.withUnsafeBufferPointer { c in
                ranked.sortFew { a, b in
                    let x = c[a].candidate
                    let y = c[b].candidate
                    return x.score != y.score ? x.score > y.score : x.offer < y.offer
                }
            }
            for p in ranked.dropFirst(rules.maxOffersPerCustomer) { capped.append(s.chosen[p].candidate.offer) }
            pool.removeAll { capped.contains(eligible[Int($0)].offer) }
        }
    }

    private func isExclusive(_ c: Candidate) -> Bool { rules.facts[c.offer].exclusive }

    private func selectOnce(
        _ members: [Int32], _ eligible: [Candidate], _ f: Frame, _ evaluator: OfferEvaluator, _ budgets: BudgetView,
        into result: inout Selection
    ) {
        guard members.contains(where: { isExclusive(eligible[Int($0)]) }) else {
            stack(members, eligible, f, evaluator, budgets, into: &result)
            return
        }
        stack(members.filter { !isExclusive(eligible[Int($0)]) }, eligible, f, evaluator, budgets, into: &result)
        let exclusives = members.map { eligible[Int($0)] }.filter(isExclusive).sorted {
            ($0.score, -$0.offer) > ($1.score, -$1.offer)
        }
        var best: Candidate?
        for e in exclusives {
            if let (reason, why) = budgetProblem(e.offer, e.value.customerValue, spent: [], budgets) {
                result.rejected.append(Rejection(offer: e.offer, reason: reason, why: why, score: e.score))
            } else if let b = best {
                result.rejected.append(
                    Rejection(
                        offer: e.offer, reason: .outscored, why: .outscored(by: b.offer, margin: b.score - e.score),
                        score: e.score))
            } else {
                best = e
            }
        }
        guard let exclusive = best else { return }
        let combined = result.chosen.reduce(0.0) { $0 + $1.candidate.score }
        if result.chosen.isEmpty || exclusive.score > combined {
            for p in result.chosen {
                result.rejected.append(
                    Rejection(
                        offer: p.candidate.offer, reason: .blockedByExclusive, why: .exclusiveWins(exclusive.offer),
                        score: p.candidate.score))
            }
            result.chosen.removeAll(keepingCapacity: true)
            result.chosen.append(
                Pick(candidate: exclusive, at: exclusive.value.at, shipping: exclusive.value.shippingDiscount))
        } else {
            result.rejected.append(
                Rejection(
                    offer: exclusive.offer, reason: .outscored,
                    why: .exclusiveLoses(margin: combined - exclusive.score),
                    score: exclusive.score))
        }
    }

    /// Whether the campaign's budget or the customer's cap stops an offer worth `value`, given
    /// what earlier picks of this decision spent (`spent`: campaign and amount).
    private func budgetProblem(_ o: Int, _ value: Int64, spent: [(campaign: Int, amount: Int64)], _ budgets: BudgetView)
        -> (Reason, Why)?
    {
        guard rules.facts[o].limited else { return nil }
        let c = Int(rules.facts[o].campaign)
        let campaign = rules.campaigns[c]
        let earlier = spent.first { $0.campaign == c }
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
    /// and buy-X-get-Y are always computed again.
    private func pricesChanged(for c: Candidate, _ f: Frame) -> Bool {
        let facts = rules.facts[c.offer]
        if facts.priceFree { return false }
        if facts.repriced { return true }
        for i in 0..<f.lines.count where f.applied[i] > 0 && f.matchArena[c.matchesAt + i] { return true }
        return false
    }

    /// Groups in workspace order (`members` come in `select`'s order). `best`: the highest score; `first`: the first by priority;
    /// `stack`: all by priority, each on list prices (`original`) or on the prices left by the
    /// offers before it (`discounted`). No line is ever discounted below zero.
    private func stack(
        _ members: [Int32], _ eligible: [Candidate], _ f: Frame, _ evaluator: OfferEvaluator, _ budgets: BudgetView,
        into s: inout Selection
    ) {
        s.chosen.removeAll(keepingCapacity: true)
        s.rejected.removeAll(keepingCapacity: true)
        guard !members.isEmpty else { return }
        let n = f.lines.count
        f.applied.removeAll(keepingCapacity: true)
        f.applied.append(0, times: n)
        // The prices left by the picks so far, kept up to date as picks are made, with a
        // signature of them: of each line changed, the hash of its price now and of its first
        // price, combined by xor (so a change updates it, and the list prices, every pass's
        // start, sign as 0).
        f.discountedBase.removeAll(keepingCapacity: true)
        var signature: UInt64 = 0
        for i in 0..<n { f.discountedBase.append(f.lines[i].quantity > 0 ? f.lines[i].unitPrice : 0) }
        var anyApplied = false
        var shippingLeft = f.request.cart.shipping
        var spent: [(campaign: Int, amount: Int64)] = []
        swap(&spent, &f.spent)
        defer {
            spent.removeAll(keepingCapacity: true)
            swap(&spent, &f.spent)
        }
        var winner: Int?
        var currentGroup = -1
        var mode = StackingGroup.Mode.best
        var onDiscounted = false
        for k in members {
            let m = eligible[Int(k)]
            let g = m.group
            if g != currentGroup {
                currentGroup = g
                winner = nil
                mode = rules.groups[g].mode
                onDiscounted = rules.groups[g].base == .discounted
            }
            if let w = winner, mode != .stack {
                if mode == .best {
                    s.rejected.append(
                        Rejection(
                            offer: m.offer, reason: .outscored,
                            why: .outscored(by: w, margin: s.chosen.last!.candidate.score - m.score), score: m.score))
                } else {
                    s.rejected.append(
                        Rejection(
                            offer: m.offer, reason: .groupAlreadyUsed, why: .groupUsed(by: w, group: g), score: m.score)
                    )
                }
                continue
            }
            var candidate = m
            if onDiscounted && anyApplied && pricesChanged(for: m, f) {
                // The per-customer cap decides the groups again: an offer met on the same prices
                // as before gives what it gave then.
                let evaluation: Evaluation
                if f.memoStamp[m.offer] == f.stamp && f.memoSignature[m.offer] == signature {
                    evaluation = f.memo[m.offer]
                } else {
                    evaluation = rules.offerRefs[m.offer]._withUnsafeGuaranteedRef {
                        evaluator.value($0, f, base: f.discountedBase, matchesAt: m.matchesAt, again: true)
                    }
                    f.memoStamp[m.offer] = f.stamp
                    f.memoSignature[m.offer] = signature
                    f.memo[m.offer] = evaluation
                }
                switch evaluation {
                case .value(let v, _): candidate = score(m.offer, v, f, matchesAt: m.matchesAt)
                case .rejected(let reason, let why, _):
                    s.rejected.append(
                        Rejection(offer: m.offer, reason: reason, why: why, score: m.score, onDiscountedPrices: true))
                    continue
                }
            }
            // What is left of each line after the offers before this one.
            let at = f.discounts.append(0, times: n)
            var lineSum: Int64 = 0
            let lines = Int(candidate.value.first)..<Int(candidate.value.end)
            for i in lines {
                let d = min(f.discounts[candidate.value.at + i], f.lines[i].amount - f.applied[i])
                f.discounts[at + i] = d
                lineSum += d
            }
            let shipping = min(candidate.value.shippingDiscount, shippingLeft)
            let giftValue = candidate.value.gift.map { $0.price * Int64($0.quantity) } ?? 0
            let value = lineSum + shipping + giftValue
            guard value > 0 else {
                f.discounts.removeLast(n)
                s.rejected.append(Rejection(offer: m.offer, reason: .notEligible, why: .nothingLeft, score: m.score))
                continue
            }
            let facts = rules.facts[m.offer]
            if let (reason, why) = budgetProblem(m.offer, value, spent: spent, budgets) {
                f.discounts.removeLast(n)
                s.rejected.append(Rejection(offer: m.offer, reason: reason, why: why, score: m.score))
                continue
            }
            // What each campaign with a budget or a cap spent so far (`limited` is the campaign's).
            if facts.limited {
                let c = Int(facts.campaign)
                if let e = spent.firstIndex(where: { $0.campaign == c }) {
                    spent[e].amount += value
                } else {
                    spent.append((c, value))
                }
            }
            for i in lines where f.discounts[at + i] > 0 {
                f.applied[i] += f.discounts[at + i]
                let q = f.lines[i].quantity
                let b = (f.lines[i].amount - f.applied[i]) / Int64(q)
                signature ^= Self.lineHash(i, f.discountedBase[i]) ^ Self.lineHash(i, b)
                f.discountedBase[i] = b
            }
            anyApplied = anyApplied || lineSum > 0
            shippingLeft -= shipping
            s.chosen.append(Pick(candidate: candidate, at: at, shipping: shipping))
            winner = m.offer
        }
    }
}
