import PromoDSL

/// Why an offer was not given. Stable raw values: they appear in JSON decisions and traces.
public enum Reason: String, Sendable, Hashable, Codable, CaseIterable, BitwiseCopyable {
    case notEligible = "not_eligible"
    case outsideSchedule = "outside_schedule"
    case holdout
    case outscored
    case blockedByExclusive = "blocked_by_exclusive"
    case groupAlreadyUsed = "group_already_used"
    case budgetExhausted = "budget_exhausted"
    case customerCap = "customer_cap"
    case marginFloor = "margin_floor"
    case modelOutputMissing = "model_output_missing"
}

/// "Add 12.80 CNY of eligible items to reach the 300 CNY tier."
public struct Nudge: Sendable, Hashable, Codable, BitwiseCopyable {
    /// Minor units still to spend on matching items.
    public var needed: Int64
    /// The tier's threshold and what it gives.
    public var tierSpend: Int64
    public var tierOff: Int64?
    public var tierPercent: Int64?

    public init(needed: Int64, tierSpend: Int64, tierOff: Int64?, tierPercent: Int64?) {
        self.needed = needed
        self.tierSpend = tierSpend
        self.tierOff = tierOff
        self.tierPercent = tierPercent
    }
}

/// What an offer gives against the current prices. Its line discounts live in the frame's
/// arena (`Frame.discounts[at ..< at + lines]`), so evaluating an offer allocates nothing.
struct OfferValue: Sendable {
    /// Where the discount on each line (all units together, minor units) starts in `Frame.discounts`.
    var at: Int
    /// The sum of the line discounts.
    var lineTotal: Int64
    /// The lines with a discount lie in `first ..< end` (set when the value is final), so that
    /// selection visits only those.
    var first: Int32 = 0
    var end: Int32 = 0
    var shippingDiscount: Int64 = 0
    var gift: Gift?

    /// The gift (its sku is the offer's).
    struct Gift: Sendable, Hashable {
        var quantity: Int
        var price: Int64
        var cost: Int64
    }

    var discount: Int64 { lineTotal + shippingDiscount }
    /// What the customer gets: discounts plus the gift's price.
    var customerValue: Int64 { discount + giftValue }
    /// The gift's price (0 without one).
    var giftValue: Int64 { gift.map { $0.price * Int64($0.quantity) } ?? 0 }
    /// What it costs the store: discounts plus the gift's cost.
    var storeCost: Int64 { discount + (gift.map { $0.cost * Int64($0.quantity) } ?? 0) }
}

enum Evaluation: Sendable {
    /// What the offer gives. (The nudge to a spend threshold's next tier is left in `Frame.nudge`:
    /// kept out of this value, which is returned and copied for every candidate.)
    case value(OfferValue)
    case rejected(Reason, Why)
}

/// The semantics of every offer kind, evaluated against base unit prices (list prices, or prices
/// already discounted by earlier offers when a group stacks on the discounted base).
struct OfferEvaluator {
    let catalog: Catalog

    /// Lowest unit price that keeps `floor` margin over `cost`.
    static func minimumPrice(cost: Int64, floorPPM: Int64?) -> Int64 {
        guard let floor = floorPPM, floor > 0 else { return Int64.min }
        guard floor < 1_000_000 else { return Int64.max }
        let n = Int128(cost) * 1_000_000
        let d = Int128(1_000_000 - floor)
        return Int64(clamping: (n + d - 1) / d)
    }

    /// Reserves room for one offer's line discounts, zeroed.
    @inline(__always)
    private func newValue(_ f: Frame) -> OfferValue {
        OfferValue(at: f.discounts.append(0, times: f.lines.count), lineTotal: 0)
    }

    /// Evaluates offer number `offer` on list prices: its conditions, which lines it applies to
    /// (in a cart of more than 64 lines, kept in `f.matchArena` from `matchesAt`), and what it
    /// gives. `admitted`, when known, holds the lines (bits) its line filter admits, so that only
    /// those are visited; else the filter is read from `index` (passed whole, borrowed: a filter
    /// passed by value would be retained and released per candidate).
    func evaluate(_ o: CompiledOffer, _ f: Frame, offer: Int, index: OfferIndex, matchesAt: Int, admitted: UInt64?)
        -> Evaluation
    {
        let base = f.base
        setFallback(o, f)
        if o.present.contains(.when) {
            f.withTracer { $0.begin() }
            let result = o.when(f)
            f.withTracer { t in t.current.whenRoot = t.rootRecord }
            switch result {
            case .bool(true): break
            case .bool(false): return .rejected(.notEligible, .whenFalse)
            default: return missing(f, conditions: false)
            }
        }
        let n = f.lines.count
        // The lines it applies to: as bits while the cart has at most 64 lines, and past that
        // in the frame's arena too.
        var matched: UInt64 = 0
        let inArena = n > 64
        if o.present.contains(.appliesTo), let admitted {
            // The index's lines meet the filter's conjunct: only the rest is evaluated (and
            // recorded: the trace names the conjunct, and the lines the filter ruled out, when it
            // is built). (The index leaves lines only in carts of at most 64.)
            f.withTracer { $0.current.filtered = ~admitted & .lowest(n) }
            if o.present.contains(.appliesToRest) {
                admitted.forEachBit { i in
                    f.withTracer { $0.begin() }
                    f.line = i
                    let lineMatched: Bool
                    if case .bool(true) = o.appliesToRest(f) {
                        matched |= 1 << UInt64(i)
                        lineMatched = true
                    } else {
                        lineMatched = false
                    }
                    f.withTracer { t in
                        t.lines.append(
                            .init(
                                line: Int32(i), matched: lineMatched, admitted: true, root: t.rootRecord, filteredBy: -1
                            ))
                    }
                }
            } else {
                matched = admitted
                f.withTracer { t in
                    admitted.forEachBit { i in
                        t.lines.append(.init(line: Int32(i), matched: true, admitted: true, root: -1, filteredBy: -1))
                    }
                }
            }
        } else if o.present.contains(.appliesTo) {
            // Without the index's lines (index off, or more than 64 lines): `applies_to` in full
            // on each line the offer's line filter, if any, admits; conditions and lines recorded.
            if inArena { f.matchArena.append(false, times: n) }
            func evaluateLine(_ i: Int) {
                f.withTracer { $0.begin() }
                f.line = i
                let lineMatched: Bool
                if case .bool(true) = o.appliesTo(f) {
                    if inArena {
                        f.matchArena[matchesAt + i] = true
                    } else {
                        matched |= 1 << UInt64(i)
                    }
                    lineMatched = true
                } else {
                    lineMatched = false
                }
                f.withTracer { t in
                    t.lines.append(.init(line: Int32(i), matched: lineMatched, root: t.rootRecord, filteredBy: -1))
                }
            }
            let filter = index.lineFilters[offer]
            for i in 0..<n {
                if let filter, !filter.admits(f.lines[i]) {
                    f.withTracer { t in
                        t.lines.append(
                            .init(line: Int32(i), matched: false, root: -1, filteredBy: filter.value(of: f.lines[i])))
                    }
                } else {
                    evaluateLine(i)
                }
            }
        } else {
            if inArena { f.matchArena.append(true, times: n) }
            matched = .lowest(n)
        }
        // A per-unit kind that applies to no line gives nothing: what `value` would answer,
        // without its set-up (a third of the candidates in a typical decision end here).
        if matched == 0 && n <= 64 && o.shape.perUnit { return notGiven(.rejected(.notEligible, .noMatchingItem), f) }
        return value(o, f, base: base, lines: inArena ? matchesAt : Int(Int64(bitPattern: matched)))
    }

    /// What an offer that gives nothing answers: an overflow, or an output read while missing,
    /// said as such (with no nudge); else `result`.
    @inline(__always)
    private func notGiven(_ result: Evaluation, _ f: Frame) -> Evaluation {
        if f.overflow {
            f.nudge = nil
            return .rejected(.notEligible, .overflowed)
        }
        if case .rejected(.notEligible, _) = result, f.missingInOffer > 0 {
            f.nudge = nil
            return missing(f, conditions: true)
        }
        return result
    }

    private func setFallback(_ o: CompiledOffer, _ f: Frame) {
        f.nudge = nil
        f.missingInOffer = 0
        f.hasFallback = false
        if o.present.contains(.fallback) {
            let v = o.fallback(f)
            f.fallback = v
            f.hasFallback = true
        }
        f.overflow = false
    }

    /// What an offer whose conditions hold gives against `base` prices; `lines` are the lines it
    /// applies to (`Engine.Candidate.lines`: bits in a cart of at most 64 lines, else where they
    /// start in `f.matchArena`). Conditions do not read the base, so a group stacking on
    /// discounted prices computes only this part again.
    func value(_ o: CompiledOffer, _ f: Frame, base: Scratch<Int64>, lines: Int, again: Bool = false) -> Evaluation {
        if again { setFallback(o, f) }
        let n = f.lines.count
        var anyMatch = false
        if n <= 64 {
            f.matchBits = UInt64(bitPattern: Int64(lines))
            anyMatch = f.matchBits != 0
        } else {
            f.matchesAt = lines
            for i in 0..<n where f.matchArena[lines + i] {
                anyMatch = true
                break
            }
        }
        var result: Evaluation = .rejected(.notEligible, .noMatchingItem)
        // The common kinds from the offer's fields (no copy of `kind`), the rest from `kind`. A
        // literal unit value is read as such (a trace names it when it is built).
        let constant = o.unitConstant
        switch o.shape {
        case .percentOff:
            guard anyMatch, o.present.contains(.unitValue) else { break }
            // (The offer comes in as an argument: captured, it would be retained per call.)
            result = perUnit(o, f, base, o.maxItems) { o, f, i in
                guard case .percent(let p) = constant ?? o.unitValue(f) else { return nil }
                return Rounding.apply(min(max(p, 0), 1_000_000), to: base[i], f.rounding)
            }
        case .amountOff:
            guard anyMatch, o.present.contains(.unitValue) else { break }
            result = perUnit(o, f, base, o.maxItems) { o, f, i in
                guard case .money(let m) = constant ?? o.unitValue(f) else { return nil }
                return min(max(m, 0), base[i])
            }
        case .fixedPrice:
            guard anyMatch, o.present.contains(.unitValue) else { break }
            result = perUnit(o, f, base, o.maxItems) { o, f, i in
                guard case .money(let m) = constant ?? o.unitValue(f) else { return nil }
                return max(0, base[i] - max(m, 0))
            }
        case .spendThreshold:
            // The tiers read through a buffer: passed as an array, they would be retained per call.
            result = o.tiers.withUnsafeBufferPointer { spendThreshold(o, f, base, $0, o.nudgeWithin) }
        case .other:
            switch o.kind {
            case .percentOff, .amountOff, .fixedPrice, .spendThreshold: break
            case .bundle(let items, let price, let percent, let maxBundles):
                result = bundle(o, f, base, items, price, percent, maxBundles)
            case .buyXGetY(let buy, let buyQ, let get, let getQ, let pct, let cheapest, let maxApps):
                result = buyXGetY(o, f, base, buy, buyQ, get, getQ, pct, cheapest, maxApps)
            case .gift(let sku, let quantity):
                guard !o.present.contains(.appliesTo) || anyMatch else {
                    return .rejected(.notEligible, .noMatchingItem)
                }
                guard let item = catalog[sku] else { return .rejected(.notEligible, .giftNotInCatalog) }
                guard item.stock >= quantity else {
                    return .rejected(.notEligible, .giftOutOfStock(stock: item.stock, needed: quantity))
                }
                var v = newValue(f)
                v.gift = .init(quantity: quantity, price: item.price, cost: item.cost)
                result = .value(v)
            case .freeShipping(let maxShipping):
                guard !o.present.contains(.appliesTo) || anyMatch else {
                    return .rejected(.notEligible, .noMatchingItem)
                }
                let fee = f.request.cart.shipping
                guard fee > 0 else { return .rejected(.notEligible, .noShippingFee) }
                var v = newValue(f)
                v.shippingDiscount = min(fee, maxShipping ?? fee)
                result = .value(v)
            }
        }
        guard !f.overflow, case .value(var v) = result else { return notGiven(result, f) }
        if let cap = o.maxDiscount, v.discount > cap {
            let lineCap = max(0, cap - v.shippingDiscount)
            v.shippingDiscount = min(v.shippingDiscount, cap)
            f.weights.removeAll(keepingCapacity: true)
            for i in 0..<n { f.weights.append(f.discounts[v.at + i]) }
            v.lineTotal = min(lineCap, v.lineTotal)
            allocate(v.lineTotal, f, into: v.at)
            f.withTracer { $0.notes.append(.maxDiscount(cap)) }
        }
        guard v.customerValue > 0 else { return .rejected(.notEligible, .givesNothing) }
        // The common kinds discount only the lines they apply to: the search starts there.
        var first = 0
        var end = n
        if n <= 64 && o.shape != .other {
            first = min(n, f.matchBits.trailingZeroBitCount)
            end = max(first, 64 - f.matchBits.leadingZeroBitCount)
        }
        while first < end && f.discounts[v.at + first] == 0 { first += 1 }
        while end > first && f.discounts[v.at + end - 1] == 0 { end -= 1 }
        v.first = Int32(first)
        v.end = Int32(end)
        return .value(v)
    }

    private func missing(_ f: Frame, conditions: Bool) -> Evaluation {
        if f.missingInOffer == 0 { return .rejected(.notEligible, .undecided(conditions: conditions)) }
        return .rejected(.modelOutputMissing, .missingOutput(conditions: conditions))
    }

    /// Splits `total` over the lines in proportion to `f.weights` (largest remainder, ties by line
    /// order, which is line id order) into the discounts at `at`: each line with a positive
    /// weight gets its part; the others keep their discount, which is zero (in every caller a
    /// line's weight is its discount, or the row is new).
    private func allocate(_ total: Int64, _ f: Frame, into at: Int) {
        let discounts = f.discounts
        Allocation.largestRemainder(total, weights: f.weights, scratch: &f.remainders) { i, part in
            discounts[at + i] = part
        }
    }

    /// percent_off, amount_off, fixed_price: a discount per matching unit, the largest first when
    /// `max_items` caps the units, never below the margin floor.
    private func perUnit(
        _ o: CompiledOffer, _ f: Frame, _ base: Scratch<Int64>, _ maxItems: Int?,
        _ unitDiscount: (CompiledOffer, Frame, Int) -> Int64?
    ) -> Evaluation {
        var v = newValue(f)
        var flooredOut = false
        var any = false
        f.order.removeAll(keepingCapacity: true)
        // A literal unit value has no record (the trace names it when it is built).
        let recorded = f.tracerRef != nil && o.unitConstant == nil
        f.forEachMatch { i in
            f.line = i
            if recorded { f.withTracer { $0.begin() } }
            let computed = unitDiscount(o, f, i)
            if recorded {
                f.withTracer { t in
                    while t.expressions.count <= i { t.expressions.append(-1) }
                    t.expressions[i] = t.rootRecord
                }
            }
            guard var d = computed else { return }
            if o.marginFloorPPM != nil {
                let minimum = Self.minimumPrice(cost: f.lines[i].cost, floorPPM: o.marginFloorPPM)
                if base[i] - d < minimum {
                    d = max(0, base[i] - minimum)
                    if d == 0 { flooredOut = true }
                }
            }
            if d > 0 {
                any = true
                // The unit discount first; units are assigned below.
                f.discounts[v.at + i] = d
                f.order.append(i)
            }
        }
        guard any else {
            f.discounts.removeLast(f.lines.count)
            if flooredOut { return .rejected(.marginFloor, .atMarginFloor) }
            return .rejected(.notEligible, .givesNothing)
        }
        // The largest unit discounts first when `max_items` caps the units, ties by line order.
        if maxItems != nil {
            let d = f.discounts
            f.order.sortFew { (d[v.at + $0], -$0) > (d[v.at + $1], -$1) }
        }
        // Traces: each line's unit discount, in that order, before units multiply it.
        let firstValue = f.tracerRef?._withUnsafeGuaranteedRef { $0.values.count } ?? 0
        f.withTracer { t in
            for i in f.order {
                t.values.append(
                    .init(
                        line: Int32(i), expression: i < t.expressions.count ? t.expressions[i] : -1, base: base[i],
                        unitDiscount: f.discounts[v.at + i], units: 0, discount: 0))
            }
        }
        if let maxItems {
            var unitsLeft = maxItems
            for i in f.order {
                let units = min(unitsLeft, f.lines[i].quantity)
                f.discounts[v.at + i] *= Int64(units)
                unitsLeft -= units
            }
        } else {
            for i in f.order { f.discounts[v.at + i] *= Int64(f.lines[i].quantity) }
        }
        for i in f.order { v.lineTotal += f.discounts[v.at + i] }
        f.withTracer { t in
            for (k, i) in f.order.enumerated() {
                let unit = t.values[firstValue + k].unitDiscount
                t.values[firstValue + k].discount = f.discounts[v.at + i]
                t.values[firstValue + k].units = unit > 0 ? Int(f.discounts[v.at + i] / unit) : 0
            }
            if let maxItems { t.notes.append(.maxItems(maxItems)) }
            if let floor = o.marginFloorPPM { t.notes.append(.marginFloor(floor)) }
        }
        return .value(v)
    }

    /// 满减: the highest tier reached on the matching subtotal, allocated over the matching lines.
    private func spendThreshold(
        _ o: CompiledOffer, _ f: Frame, _ base: Scratch<Int64>, _ tiers: UnsafeBufferPointer<CompiledTier>,
        _ nudgeWithin: Int64?
    ) -> Evaluation {
        f.weights.removeAll(keepingCapacity: true)
        f.weights.append(0, times: f.lines.count)
        var subtotal: Int64 = 0
        var cost: Int64 = 0
        f.forEachMatch { i in
            let w = base[i] * Int64(f.lines[i].quantity)
            f.weights[i] = w
            subtotal += w
            cost += f.lines[i].cost * Int64(f.lines[i].quantity)
        }
        // Tiers rise (the checker sees to it): those reached are a prefix, counted without a
        // branch per tier (whether one is reached is data).
        var count = 0
        for t in tiers { count &+= t.spend <= subtotal ? 1 : 0 }
        let reached = count > 0 ? tiers[count - 1] : nil
        if count < tiers.count, case let next = tiers[count],
            nudgeWithin.map({ next.spend - subtotal <= $0 }) ?? false
        {
            f.nudge = Nudge(
                needed: next.spend - subtotal, tierSpend: next.spend, tierOff: next.off, tierPercent: next.percent)
        }
        f.withTracer { t in
            t.current.matchingSubtotal = subtotal
            t.current.tierSpend = tiers.first?.spend
        }
        guard let tier = reached else {
            return .rejected(.notEligible, .belowFirstTier(subtotal: subtotal, first: tiers.first?.spend ?? 0))
        }
        var off = tier.off ?? Rounding.apply(tier.percent ?? 0, to: subtotal, f.rounding) ?? 0
        off = min(off, subtotal)
        if let floor = o.marginFloorPPM, floor > 0 {
            let after = subtotal - off
            if after <= 0 || Int128(after - cost) * 1_000_000 < Int128(floor) * Int128(after) {
                return .rejected(.marginFloor, .basketBelowFloor(off: off))
            }
        }
        var v = newValue(f)
        allocate(off, f, into: v.at)
        v.lineTotal = off > 0 ? off : 0
        f.withTracer { t in
            t.current.matchingSubtotal = subtotal
            t.current.tierSpend = tier.spend
            for i in 0..<f.lines.count where f.discounts[v.at + i] > 0 {
                t.values.append(
                    .init(
                        line: Int32(i), base: base[i], unitDiscount: 0, units: f.lines[i].quantity,
                        discount: f.discounts[v.at + i]))
            }
            t.notes.append(.tierReached(tier.spend))
        }
        return .value(v)
    }

    /// One unit of a cart line.
    private struct Unit {
        var line: Int
        var price: Int64
    }

    private func units(_ f: Frame, _ base: Scratch<Int64>, where include: (Int) -> Bool) -> [Unit] {
        var result: [Unit] = []
        for i in f.lines.indices where include(i) {
            for _ in 0..<min(f.lines[i].quantity, 1_000) { result.append(Unit(line: i, price: base[i])) }
        }
        return result
    }

    private func orderLevelFloor(_ o: CompiledOffer, _ f: Frame, _ used: [Unit], discount: Int64) -> Bool {
        guard let floor = o.marginFloorPPM, floor > 0 else { return true }
        let revenue = used.reduce(Int64(0)) { $0 + $1.price } - discount
        let cost = used.reduce(Int64(0)) { $0 + f.lines[$1.line].cost }
        return revenue > 0 && Int128(revenue - cost) * 1_000_000 >= Int128(floor) * Int128(revenue)
    }

    /// Writes per-line discounts into a new value.
    private func value(_ f: Frame, _ discounts: [Int64]) -> OfferValue {
        var v = newValue(f)
        for (i, d) in discounts.enumerated() {
            f.discounts[v.at + i] = d
            v.lineTotal += d
        }
        return v
    }

    /// Bundles: greedy, most constrained component first (sku components, then conditions in
    /// order), each filled with the most expensive matching units left, while a bundle still
    /// saves money. Optimal when components do not share items; O(B x C x U log U) for B bundles,
    /// C components and U units.
    private func bundle(
        _ o: CompiledOffer, _ f: Frame, _ base: Scratch<Int64>, _ items: [CompiledBundleItem], _ price: Int64?,
        _ percent: Int64?,
        _ maxBundles: Int?
    ) -> Evaluation {
        let ordered = items.enumerated().sorted { (a, b) in
            (a.element.sku == nil ? 1 : 0, a.offset) < (b.element.sku == nil ? 1 : 0, b.offset)
        }.map(\.element)
        var componentMatches: [[Bool]] = []
        for c in ordered {
            var m = [Bool](repeating: false, count: f.lines.count)
            for i in f.lines.indices {
                if let sku = c.sku {
                    m[i] = f.cartLines[i].sku == sku
                } else if let match = c.match {
                    f.line = i
                    if case .bool(true) = match(f) { m[i] = true }
                }
            }
            componentMatches.append(m)
        }
        var available = units(f, base) { _ in true }
        available.sort { ($0.price, -$0.line) > ($1.price, -$1.line) }
        var taken = [Bool](repeating: false, count: available.count)
        var discounts = [Int64](repeating: 0, count: f.lines.count)
        var bundles = 0
        var allUsed: [Unit] = []
        var total: Int64 = 0
        while bundles < (maxBundles ?? Int.max) {
            var chosen: [Int] = []
            var complete = true
            for (c, component) in ordered.enumerated() {
                var need = component.quantity
                for (k, u) in available.enumerated()
                where need > 0 && !taken[k] && componentMatches[c][u.line] && !chosen.contains(k) {
                    chosen.append(k)
                    need -= 1
                }
                if need > 0 {
                    complete = false
                    break
                }
            }
            guard complete else { break }
            let sum = chosen.reduce(Int64(0)) { $0 + available[$1].price }
            let saving: Int64
            if let price {
                saving = sum - price
            } else {
                saving = Rounding.apply(percent ?? 0, to: sum, f.rounding) ?? 0
            }
            guard saving > 0 else { break }
            for k in chosen { taken[k] = true }
            // Ties by line order, then by position in the bundle.
            let byLine = chosen.sorted { (available[$0].line, $0) < (available[$1].line, $1) }
            var scratch: [(Int128, Int)] = []
            var weights = Scratch<Int64>(capacity: byLine.count)
            defer { weights.free() }
            for k in byLine { weights.append(available[k].price) }
            Allocation.largestRemainder(saving, weights: weights, scratch: &scratch) {
                discounts[available[byLine[$0]].line] += $1
            }
            allUsed += chosen.map { available[$0] }
            total += saving
            bundles += 1
        }
        guard bundles > 0 else { return .rejected(.notEligible, .noCompleteBundle) }
        guard orderLevelFloor(o, f, allUsed, discount: total) else {
            return .rejected(.marginFloor, .bundleBelowFloor)
        }
        return .value(value(f, discounts))
    }

    /// Buy X get Y: per application, the Y cheapest (or dearest) get-set units left are discounted
    /// and X buy-set units are paid for, taken from units outside the get set first, dearest first.
    private func buyXGetY(
        _ o: CompiledOffer, _ f: Frame, _ base: Scratch<Int64>, _ buy: Eval?, _ buyQuantity: Int, _ get: Eval?,
        _ getQuantity: Int,
        _ percent: Int64, _ cheapestFirst: Bool, _ maxApplications: Int?
    ) -> Evaluation {
        func matching(_ e: Eval?) -> [Bool] {
            f.lines.indices.map { i in
                guard let e else { return true }
                f.line = i
                if case .bool(true) = e(f) { return true }
                return false
            }
        }
        let inBuy = matching(buy)
        let inGet = matching(get)
        var all = units(f, base) { inBuy[$0] || inGet[$0] }
        all.sort { ($0.price, -$0.line) > ($1.price, -$1.line) }  // dearest first
        let getOrder = (cheapestFirst ? Array(all.indices.reversed()) : Array(all.indices)).filter {
            inGet[all[$0].line]
        }
        let buyOrder =
            all.indices.filter { inBuy[all[$0].line] && !inGet[all[$0].line] }
            + all.indices.filter { inBuy[all[$0].line] && inGet[all[$0].line] }
        var taken = [Bool](repeating: false, count: all.count)
        var discounts = [Int64](repeating: 0, count: f.lines.count)
        var used: [Unit] = []
        var total: Int64 = 0
        var applications = 0
        while applications < (maxApplications ?? Int.max) {
            var gets: [Int] = []
            for k in getOrder where gets.count < getQuantity && !taken[k] { gets.append(k) }
            guard gets.count == getQuantity else { break }
            for k in gets { taken[k] = true }
            var buys: [Int] = []
            for k in buyOrder where buys.count < buyQuantity && !taken[k] { buys.append(k) }
            guard buys.count == buyQuantity else {
                for k in gets { taken[k] = false }
                break
            }
            for k in buys { taken[k] = true }
            for k in gets {
                let d = Rounding.apply(percent, to: all[k].price, f.rounding) ?? 0
                discounts[all[k].line] += d
                total += d
            }
            used += (gets + buys).map { all[$0] }
            applications += 1
        }
        guard applications > 0, total > 0 else {
            let have = all.filter { inBuy[$0.line] }.count
            return .rejected(.notEligible, .needsItems(needed: buyQuantity + getQuantity, have: have))
        }
        guard orderLevelFloor(o, f, used, discount: total) else {
            return .rejected(.marginFloor, .itemsBelowFloor)
        }
        return .value(value(f, discounts))
    }
}
