import Foundation
public import PromoCore

/// Why an offer was not given, and the smallest change to the request that would give it, where
/// one exists: "add 12.80 CNY of eligible items to reach the 300 CNY tier", "needs 1 more item
/// with item.category in ["socks"]", "customer segment is loyal; the offer needs one of bargain,
/// lapsed", "starts in 2 days", "outscored by spend-and-save/tier by 4.10 CNY expected profit".
public struct WhyNot: Sendable, Hashable {
    public var campaign: String
    public var offer: String
    public var outcome: String
    /// The reason as the decision gave it.
    public var reason: String
    /// The nearest miss, as a sentence.
    public var nearestMiss: String
    public var change: Change?

    /// A change to the request that would have given the offer.
    public enum Change: Sendable, Hashable {
        /// Spend this much more on items the offer counts (`condition` says which).
        case addSpend(Int64, condition: String?)
        /// Add this many units of items for which `field` (e.g. `item.category`) is one of `values`.
        case addItems(Int, field: String?, values: [String])
        /// The customer's segment (a model output) would need to be one of these.
        case segment(needs: [String], current: String?)
        /// The request's channel would need to be one of these.
        case channel([String])
        /// Decide at this time (seconds since 1970) instead.
        case time(Int64)
    }

    public static func explain(_ t: DecisionTrace, offer id: String) -> WhyNot? {
        let f = Formatting(currency: t.currency)
        let parts = id.split(separator: "/", maxSplits: 1).map(String.init)
        let matches = { (campaign: String, offer: String) in
            parts.count == 2 ? (campaign == parts[0] && offer == parts[1]) : offer == id
        }
        if let n = t.notConsidered.first(where: { matches($0.campaign, $0.offer) }) {
            return notConsidered(n, t, f)
        }
        guard let o = t.offers.first(where: { matches($0.campaign, $0.offer) }) else { return nil }
        var w = WhyNot(
            campaign: o.campaign, offer: o.offer, outcome: o.outcome, reason: o.summary, nearestMiss: o.summary,
            change: nil)
        switch o.outcome {
        case "chosen":
            w.nearestMiss = "it was given"
        case "outside_schedule":
            if let s = o.startsAt, s > t.time {
                w.change = .time(s)
                w.nearestMiss = "starts \(Formatting.time(s)), in \(Self.span(s - t.time))"
            }
        case "not_eligible", "model_output_missing":
            if let n = o.nudge {
                w.change = .addSpend(n.needed, condition: o.appliesTo.first?.condition.text)
                w.nearestMiss = "add \(f.money(n.needed)) of eligible items to reach the \(f.money(n.tierSpend)) tier"
            } else if o.kind == "spend_threshold", let v = o.value, let s = v.matchingSubtotal, let tier = v.tierSpend,
                s < tier
            {
                w.change = .addSpend(tier - s, condition: o.appliesTo.first?.condition.text)
                w.nearestMiss = "add \(f.money(tier - s)) of eligible items to reach the \(f.money(tier)) tier"
            } else if let when = o.when, when.result != "true", let miss = nearest(when, t, f) {
                (w.nearestMiss, w.change) = miss
            } else if let n = o.needsItems {
                w.change = .addItems(n, field: nil, values: [])
                w.nearestMiss = "needs \(n) more item\(n == 1 ? "" : "s") the offer counts"
            } else if !o.appliesTo.isEmpty, !o.appliesTo.contains(where: \.matched),
                let miss = itemMiss(o.appliesTo[0].condition)
            {
                (w.nearestMiss, w.change) = miss
            }
        default: break
        }
        return w
    }

    /// An offer the index ruled out: which of its constraints the request misses, and the change
    /// when only one is missed.
    static func notConsidered(_ n: NotConsidered, _ t: DecisionTrace, _ f: Formatting) -> WhyNot {
        var misses: [(String, Change?)] = []
        for clause in n.needs.components(separatedBy: " and ") {
            let values = strings(clause)
            if clause.hasPrefix("customer.segment ") {
                let current = t.modelOutputs.first { $0.function == "customer.segment" }?.value
                var have: String?
                if case .string(let s)? = current { have = s }
                if let have, values.contains(have) { continue }
                misses.append(
                    (
                        "customer segment is \(have ?? "unknown"); the offer needs \(values.count == 1 ? values[0] : "one of \(values.joined(separator: ", "))")",
                        .segment(needs: values, current: have)
                    ))
            } else if clause.hasPrefix("channel ") {
                if values.contains(t.request.channel) { continue }
                misses.append(
                    (
                        "only on channel \(values.joined(separator: " or ")); this request came by \(t.request.channel)",
                        .channel(values)
                    ))
            } else if let (field, values) = itemConstraint(clause) {
                let which =
                    values.count == 1
                    ? "\(field) == \"\(values[0])\""
                    : "\(field) in [\(values.map { "\"\($0)\"" }.joined(separator: ", "))]"
                if let tier = n.firstTier {
                    misses.append(
                        (
                            "add \(f.money(tier)) of items with \(which) to reach the \(f.money(tier)) tier",
                            .addSpend(tier, condition: clause)
                        ))
                } else {
                    misses.append(("needs 1 more item with \(which)", .addItems(1, field: field, values: values)))
                }
            }
        }
        return WhyNot(
            campaign: n.campaign, offer: n.offer, outcome: "not_considered",
            reason: "the index found nothing in this request it could apply to",
            nearestMiss: misses.isEmpty ? "needs \(n.needs)" : misses.map(\.0).joined(separator: "; and "),
            change: misses.count == 1 ? misses[0].1 : nil)
    }

    static func span(_ s: Int64) -> String {
        if s >= 86_400 { return "\(s / 86_400) day\(s / 86_400 == 1 ? "" : "s")" }
        if s >= 3600 { return "\(s / 3600) h" }
        return "\(max(1, s / 60)) min"
    }

    /// `item.category in ["socks", "tights"]` → (`item.category`, values).
    static func itemConstraint(_ text: String) -> (String, [String])? {
        for clause in text.components(separatedBy: " and ") {
            for field in ["item.sku", "item.category", "item.brand"] where clause.hasPrefix(field + " ") {
                let rest = clause.dropFirst(field.count + 1)
                let values = rest.split(separator: "\"").enumerated().filter { $0.offset % 2 == 1 }.map {
                    String($0.element)
                }
                if !values.isEmpty { return (field, values) }
            }
        }
        return nil
    }

    /// The first failing part of a condition that a change to the request can fix.
    static func nearest(_ c: ConditionTrace, _ t: DecisionTrace, _ f: Formatting) -> (String, Change?)? {
        if c.op == "and" || c.op == "or" || c.op == "not" {
            for child in c.children where child.result == "false" || child.result == "unknown" {
                if let m = nearest(child, t, f) { return m }
            }
            return nil
        }
        let lhs = c.operands.first
        let rhs = c.operands.count > 1 ? c.operands[1] : nil
        switch (c.op, lhs?.text) {
        case (">=", "cart.subtotal"?), (">", "cart.subtotal"?):
            if case .money(let have)? = lhs?.value, case .money(let need)? = rhs?.value {
                let needed = need - have + (c.op == ">" ? 1 : 0)
                return (
                    "add \(f.money(needed)) to the cart to reach \(f.money(need))", .addSpend(needed, condition: nil)
                )
            }
        case (">=", "cart.quantity"?), (">", "cart.quantity"?):
            if case .number(let have)? = lhs?.value, case .number(let need)? = rhs?.value {
                let n = Int((need - have).rounded(.up)) + (c.op == ">" ? 1 : 0)
                return ("needs \(n) more item\(n == 1 ? "" : "s") in the cart", .addItems(n, field: nil, values: []))
            }
        case ("in", "customer.segment"?), ("==", "customer.segment"?):
            let needs = rhs.map { Self.strings($0.text) } ?? []
            var current: String?
            if case .string(let s)? = lhs?.value { current = s }
            let list = needs.joined(separator: ", ")
            return (
                "customer segment is \(current ?? "unknown"); the offer needs \(needs.count == 1 ? list : "one of \(list)")",
                .segment(needs: needs, current: current)
            )
        case ("in", "channel"?), ("==", "channel"?):
            let needs = rhs.map { Self.strings($0.text) } ?? []
            return (
                "only on channel \(needs.joined(separator: " or ")); this request came by \(t.request.channel)",
                .channel(needs)
            )
        default: break
        }
        let values = f.operands(c)
        return ("needs \(c.text)" + (values.isEmpty ? "" : " (\(values))"), nil)
    }

    /// For an `applies_to` no line met: the item condition to meet.
    static func itemMiss(_ c: ConditionTrace) -> (String, Change?)? {
        if let (field, values) = itemConstraint(c.text) {
            let which =
                values.count == 1 ? "\(field) \"\(values[0])\"" : "\(field) in \(values.joined(separator: ", "))"
            return ("needs 1 more item with \(which)", .addItems(1, field: field, values: values))
        }
        return ("no item in the cart meets \(c.text)", nil)
    }

    static func strings(_ text: String) -> [String] {
        text.split(separator: "\"").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    /// As text: `spend-and-save/tier (not_eligible): add 12.80 CNY ...`.
    public var text: String {
        "\(campaign)/\(offer) (\(outcome.replacingOccurrences(of: "_", with: " "))): \(nearestMiss)"
            + (reason != nearestMiss ? "\n  reason: \(reason)" : "")
    }
}
