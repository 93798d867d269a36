import Foundation
public import PromoCore

/// A trace as text for terminals: what was given first, then every other offer grouped by reason,
/// each with its conditions, the values they saw and where they are written; then the offers the
/// index did not consider and the model outputs read.
public struct TraceTextRenderer: Sendable {
    public var color: Bool

    public init(color: Bool = false) { self.color = color }

    private func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
    private func bold(_ s: String) -> String { paint(s, "1") }
    private func dim(_ s: String) -> String { paint(s, "2") }
    private func result(_ r: String) -> String {
        switch r {
        case "true": paint("true", "32")
        case "false": paint("false", "31")
        case "unknown": paint("unknown", "33")
        case "value": "value"
        default: dim("not evaluated")
        }
    }

    public func render(_ t: DecisionTrace) -> String {
        let fmt = Formatting(currency: t.currency)
        let d = t.decision
        var out =
            bold("Decision \(t.decisionID)") + " at \(Formatting.time(t.time)) for customer \(t.request.customer.id)"
        out += " on \(t.request.channel)\n"
        out += dim("rules \(t.rulesDigest.prefix(12)), \(t.engineVersion), trace v\(t.traceVersion)") + "\n"
        out += "cart: \(d.lines.count) line\(d.lines.count == 1 ? "" : "s"), subtotal \(fmt.money(d.subtotal))"
        out += ", shipping \(fmt.money(d.shipping)); total \(fmt.money(d.total))"
        out += " after \(fmt.money(d.discount + d.shippingDiscount)) off\n"
        if let p = d.problem { out += paint("refused: \(p)", "31") + "\n" }
        let chosen = t.offers.filter { $0.outcome == "chosen" }
        out += "\n" + bold("Given (\(chosen.count))") + "\n"
        for o in chosen { out += offer(o, fmt) }
        let others = t.offers.filter { $0.outcome != "chosen" }
        var reasons: [String] = []
        for o in others where !reasons.contains(o.outcome) { reasons.append(o.outcome) }
        for r in reasons.sorted() {
            let group = others.filter { $0.outcome == r }
            out += "\n" + bold("Not given: \(r.replacingOccurrences(of: "_", with: " ")) (\(group.count))") + "\n"
            for o in group { out += offer(o, fmt) }
        }
        if t.notConsideredCount > 0 {
            out += "\n" + bold("Not considered by the index (\(t.notConsideredCount))") + "\n"
            for n in t.notConsidered.prefix(20) { out += "  \(n.campaign)/\(n.offer): needs \(n.needs)\n" }
            if t.notConsideredCount > 20 { out += dim("  ... and \(t.notConsideredCount - 20) more") + "\n" }
        }
        if !t.modelOutputs.isEmpty {
            out += "\n" + bold("Model outputs (\(t.modelOutputs.count))") + "\n"
            for m in t.modelOutputs {
                var who: [String] = []
                if let c = m.customer { who.append("customer \(c)") }
                if let s = m.sku { who.append("sku \(s)") }
                out += "  \(m.key) [\(who.joined(separator: ", "))] = \(fmt.value(m.value))"
                out += dim(" (\(m.plugin)\(m.modelVersion.map { " \($0)" } ?? ""))")
                if m.missingWhenRead { out += paint(" missing when read", "33") }
                if let fault = m.fault { out += paint(" — \(fault)", "31") }
                out += "\n"
            }
        }
        if !t.masked.isEmpty {
            out += "\n" + dim("masked: " + t.masked.map { "\($0.path) (\($0.how))" }.joined(separator: ", ")) + "\n"
        }
        return out
    }

    func offer(_ o: OfferTrace, _ fmt: Formatting) -> String {
        let mark = o.outcome == "chosen" ? paint("✓", "32") : paint("✗", "31")
        var out = "  \(mark) \(bold("\(o.campaign)/\(o.offer)")) (\(o.kind)) \"\(o.title)\": \(o.summary)\n"
        out += dim("      \(o.file):\(o.line), group \(o.group)") + "\n"
        if let w = o.when { out += condition(w, label: "when", indent: "      ", fmt) }
        for l in o.appliesTo {
            out += condition(l.condition, label: "applies_to line \(l.line) (\(l.sku))", indent: "      ", fmt)
        }
        if let v = o.value {
            for l in v.lines {
                out += "      value line \(l.line): \(l.units) x \(fmt.money(l.unitDiscount)) off"
                out += " on \(fmt.money(l.base)) = \(fmt.money(l.discount))\n"
                if let e = l.expression, e.op != "value" || !Formatting.isLiteral(e.text) {
                    out += condition(e, label: "        from", indent: "", fmt)
                }
            }
            if let s = v.matchingSubtotal {
                out += "      matching subtotal \(fmt.money(s))"
                if let tier = v.tierSpend { out += ", tier \(fmt.money(tier))" }
                out += "\n"
            }
            for n in v.notes { out += dim("      note: \(n)") + "\n" }
        }
        if let n = o.nudge {
            out +=
                "      nudge: add \(fmt.money(n.needed)) of eligible items to reach the \(fmt.money(n.tierSpend)) tier\n"
        }
        if let a = o.arbitration {
            out += String(
                format: "      arbitration: P(buy | offer) %.3f, P(buy | none) %.3f, margin %@, cost %@, weight %.2f",
                a.pWithOffer, a.pWithout, fmt.money(a.margin), fmt.money(a.storeCost), a.weight)
            out +=
                "; expected incremental profit \(fmt.money(Int64(a.expectedIncrementalProfit.rounded()))), rank \(a.rank)\n"
        }
        for r in o.determining { out += dim("      because \(r)") + "\n" }
        return out
    }

    func condition(_ c: ConditionTrace, label: String, indent: String, _ fmt: Formatting) -> String {
        var out = "\(indent)\(label) \(dim("\(c.file):\(c.line)")): \(c.text)"
        if c.result != "value" { out += ": \(result(c.result))" }
        let values = fmt.operands(c)
        if !values.isEmpty { out += " (\(values))" }
        out += "\n"
        for (i, child) in c.children.enumerated() {
            out += tree(child, indent + "  ", last: i == c.children.count - 1, fmt)
        }
        return out
    }

    private func tree(_ c: ConditionTrace, _ indent: String, last: Bool, _ fmt: Formatting) -> String {
        var out = "\(indent)\(last ? "└ " : "├ ")\(c.text): \(result(c.result))"
        let values = fmt.operands(c)
        if !values.isEmpty && c.result != "not_evaluated" { out += " (\(values))" }
        out += "\n"
        for (i, child) in c.children.enumerated() {
            out += tree(child, indent + (last ? "  " : "│ "), last: i == c.children.count - 1, fmt)
        }
        return out
    }
}
