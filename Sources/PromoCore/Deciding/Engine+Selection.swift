import PromoDSL

extension Engine {
    struct Pick {
        var candidate: Candidate
        var lines: [Int64]
        var shipping: Int64
    }

    struct Selection {
        var chosen: [Pick] = []
        var rejected: [(Int, Reason, Why, Double?)] = []
    }

    /// Expected incremental profit of giving the offer, times the campaign's weight:
    /// P(buy | offer) x margin with it - P(buy | no offer) x margin without. P comes from the uplift
    /// model (propensity, and propensity + uplift score) when one is bound; otherwise P(no offer) is
    /// `fallbackPropensity` and the offer lifts it by `fallbackElasticity` x (value / cart subtotal).
    func score(_ o: Int, _ v: OfferValue, _ f: Frame) -> Candidate {
        let offer = rules.offers[o]
        var margin: Int64 = 0
        for l in f.lines { margin += (l.unitPrice - l.item.cost) * Int64(l.quantity) }
        var p0 = Self.fallbackPropensity
        if let s = rules.propensitySlot, case .number(let p)? = f.models[s].first { p0 = min(max(p, 0), 1) }
        var p1: Double
        if let s = rules.upliftSlot, case .number(let u)? = f.models[s].first {
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
        return Candidate(offer: o, value: v, score: value * rules.campaigns[offer.campaign].weight, p1: p1, p0: p0)
    }

    /// Applies stacking groups, exclusivity, budgets and the per-customer offer limit. Over the
    /// limit, the picks below the top `maxOffersPerCustomer` by score (ties by stable key) are set
    /// aside and the groups are decided again without them, until the limit holds.
    func select(_ eligible: [Candidate], _ f: Frame, _ evaluator: OfferEvaluator, _ budgets: BudgetView) -> Selection {
        var capped: Set<Int> = []
        var pool = eligible
        while true {
            var s = selectOnce(pool, f, evaluator, budgets)
            if s.chosen.count <= rules.maxOffersPerCustomer {
                for c in eligible where capped.contains(c.offer) {
                    s.rejected.append(
                        (c.offer, .outscored, .overLimit, c.score))
                }
                return s
            }
            let ranked = s.chosen.sorted {
                ($0.candidate.score, -$0.candidate.offer) > ($1.candidate.score, -$1.candidate.offer)
            }
            for p in ranked.dropFirst(rules.maxOffersPerCustomer) { capped.insert(p.candidate.offer) }
            pool = eligible.filter { !capped.contains($0.offer) }
        }
    }

    private func selectOnce(_ eligible: [Candidate], _ f: Frame, _ evaluator: OfferEvaluator, _ budgets: BudgetView)
        -> Selection
    {
        let shared = eligible.filter { !rules.campaigns[rules.offers[$0.offer].campaign].exclusive }
        var result = stack(shared, f, evaluator, budgets)
        let exclusives = eligible.filter { rules.campaigns[rules.offers[$0.offer].campaign].exclusive }
            .sorted { ($0.score, -$0.offer) > ($1.score, -$1.offer) }
        var best: Candidate?
        for e in exclusives {
            if let (reason, detail) = budgetProblem(e.offer, e.value.customerValue, spent: [:], counted: [], budgets) {
                result.rejected.append((e.offer, reason, .text(detail), e.score))
            } else if best == nil {
                best = e
            } else {
                result.rejected.append(
                    (e.offer, .outscored, .outscored(by: best!.offer, margin: best!.score - e.score), e.score))
            }
        }
        guard let exclusive = best else { return result }
        let combined = result.chosen.reduce(0.0) { $0 + $1.candidate.score }
        if result.chosen.isEmpty || exclusive.score > combined {
            for p in result.chosen {
                result.rejected.append(
                    (p.candidate.offer, .blockedByExclusive, .exclusiveWins(exclusive.offer), p.candidate.score))
            }
            result.chosen = [
                Pick(
                    candidate: exclusive, lines: exclusive.value.lineDiscounts,
                    shipping: exclusive.value.shippingDiscount)
            ]
        } else {
            result.rejected.append(
                (exclusive.offer, .outscored, .exclusiveLoses(margin: combined - exclusive.score), exclusive.score))
        }
        return result
    }

    /// Why an offer lost, as data: turned into text once, for the final selection only.
    enum Why {
        case text(String)
        case outscored(by: Int, margin: Double)
        case groupUsed(by: Int, group: Int)
        case exclusiveWins(Int)
        case exclusiveLoses(margin: Double)
        case onDiscountedPrices(String)
        case overLimit
    }

    func describe(_ why: Why) -> String {
        switch why {
        case .text(let t): t
        case .outscored(let w, let margin):
            "outscored by \(name(w)) by \(format(Int64(margin.rounded()))) expected profit"
        case .groupUsed(let w, let g): "\(name(w)) comes first in group \(rules.groups[g].name)"
        case .exclusiveWins(let e): "\(name(e)) is exclusive and scores higher"
        case .exclusiveLoses(let margin):
            "exclusive, but the other offers together score \(format(Int64(margin.rounded()))) more"
        case .onDiscountedPrices(let detail): "on the discounted prices, \(detail)"
        case .overLimit: "over the limit of \(rules.maxOffersPerCustomer) offers per customer; others score higher"
        }
    }

    func name(_ o: Int) -> String { "\(rules.campaigns[rules.offers[o].campaign].id)/\(rules.offers[o].id)" }

    private func budgetProblem(_ o: Int, _ value: Int64, spent: [Int: Int64], counted: Set<Int>, _ budgets: BudgetView)
        -> (Reason, String)?
    {
        let c = rules.offers[o].campaign
        let campaign = rules.campaigns[c]
        if let total = campaign.budgetTotal {
            let remaining = (budgets.remaining[campaign.id] ?? total) - (spent[c] ?? 0)
            if remaining < value {
                return (
                    .budgetExhausted,
                    "the campaign budget has \(format(max(0, remaining))) left; the offer is worth \(format(value))"
                )
            }
        }
        if let cap = campaign.perCustomer, !counted.contains(c), (budgets.customerCounts[campaign.id] ?? 0) >= cap {
            return (
                .customerCap,
                "the customer already received this campaign \(budgets.customerCounts[campaign.id] ?? 0) of \(cap) times"
            )
        }
        return nil
    }

    /// Groups in workspace order. `best`: the highest score; `first`: the first by priority;
    /// `stack`: all by priority, each on list prices (`original`) or on the prices left by the
    /// offers before it (`discounted`). No line is ever discounted below zero.
    private func stack(_ eligible: [Candidate], _ f: Frame, _ evaluator: OfferEvaluator, _ budgets: BudgetView)
        -> Selection
    {
        var s = Selection()
        var applied = [Int64](repeating: 0, count: f.lines.count)
        var shippingLeft = f.request.cart.shipping
        var spent: [Int: Int64] = [:]
        var counted: Set<Int> = []
        let amounts = f.lines.map { $0.unitPrice * Int64($0.quantity) }
        for (g, group) in rules.groups.enumerated() {
            var members = eligible.filter { rules.campaigns[rules.offers[$0.offer].campaign].group == g }
            guard !members.isEmpty else { continue }
            if group.mode == .best {
                members.sort { ($0.score, -$0.offer) > ($1.score, -$1.offer) }
            } else {
                members.sort {
                    let a = rules.offers[$0.offer]
                    let b = rules.offers[$1.offer]
                    return (rules.campaigns[a.campaign].priority, a.priority, -$0.offer) > (
                        rules.campaigns[b.campaign].priority, b.priority, -$1.offer
                    )
                }
            }
            var winner: Int?
            for m in members {
                if let w = winner, group.mode != .stack {
                    if group.mode == .best {
                        s.rejected.append(
                            (
                                m.offer, .outscored,
                                .outscored(by: w, margin: s.chosen.last!.candidate.score - m.score), m.score
                            ))
                    } else {
                        s.rejected.append(
                            (m.offer, .groupAlreadyUsed, .groupUsed(by: w, group: g), m.score))
                    }
                    continue
                }
                var candidate = m
                if group.base == .discounted && applied.contains(where: { $0 > 0 }) {
                    let base = f.lines.indices.map { i in
                        f.lines[i].quantity > 0 ? (amounts[i] - applied[i]) / Int64(f.lines[i].quantity) : 0
                    }
                    switch evaluator.evaluate(rules.offers[m.offer], f, base: base) {
                    case .value(let v): candidate = score(m.offer, v, f)
                    case .rejected(let reason, let detail, _):
                        s.rejected.append((m.offer, reason, .onDiscountedPrices(detail), m.score))
                        continue
                    }
                }
                let lines = f.lines.indices.map { min(candidate.value.lineDiscounts[$0], amounts[$0] - applied[$0]) }
                let shipping = min(candidate.value.shippingDiscount, shippingLeft)
                let giftValue = candidate.value.gift.map { $0.price * Int64($0.quantity) } ?? 0
                let value = lines.reduce(0, +) + shipping + giftValue
                guard value > 0 else {
                    s.rejected.append(
                        (
                            m.offer, .notEligible, .text("nothing is left to discount after the offers before it"),
                            m.score
                        ))
                    continue
                }
                if let (reason, detail) = budgetProblem(m.offer, value, spent: spent, counted: counted, budgets) {
                    s.rejected.append((m.offer, reason, .text(detail), m.score))
                    continue
                }
                let c = rules.offers[m.offer].campaign
                spent[c, default: 0] += value
                counted.insert(c)
                for i in applied.indices { applied[i] += lines[i] }
                shippingLeft -= shipping
                s.chosen.append(Pick(candidate: candidate, lines: lines, shipping: shipping))
                winner = m.offer
            }
        }
        return s
    }
}
