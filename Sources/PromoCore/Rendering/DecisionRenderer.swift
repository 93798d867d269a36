import Foundation
import PromoDSL

/// Renders a decision for terminals and as JSON.
public struct DecisionRenderer: Sendable {
    public var color: Bool

    public init(color: Bool = false) { self.color = color }

    private func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

    private func money(_ m: Int64, _ currency: String) -> String {
        Money(minorUnits: m, currency: currency).description
    }

    public func text(_ d: Decision) -> String {
        if let problem = d.problem { return paint("decision \(d.decisionID)", "1") + ": refused: \(problem)\n" }
        let c = d.currency
        var out =
            paint("decision \(d.decisionID)", "1")
            + " · rules \(d.rulesDigest.prefix(12)) · \(d.lines.count) line\(d.lines.count == 1 ? "" : "s")\n\n"
        out += paint("given", "1;32") + "\n"
        if d.chosen.isEmpty { out += "  (no offer)\n" }
        for o in d.chosen {
            var value: [String] = []
            if o.discount > 0 { value.append("-\(money(o.discount, c))") }
            if o.shippingDiscount > 0 { value.append("shipping -\(money(o.shippingDiscount, c))") }
            if let g = o.gift { value.append("gift \(g.quantity) x \(g.sku)") }
            out += "  \(o.campaign)/\(o.offer) (\(o.kind)) \"\(o.title)\": \(value.joined(separator: ", "))"
            out += String(
                format: "  [expected profit %.2f, P(buy) %.2f -> %.2f]\n", o.score / 100, o.pWithout, o.pWithOffer)
            for a in o.allocation { out += "      line \(a.line): -\(money(a.amount, c))\n" }
        }
        out += "\n" + paint("lines", "1") + "\n"
        for l in d.lines {
            out += "  \(l.id) \(l.sku) x\(l.quantity) @ \(money(l.unitPrice, c)) = \(money(l.amount, c))"
            out += l.discount > 0 ? " - \(money(l.discount, c)) = \(money(l.total, c))\n" : "\n"
        }
        out += "\n" + paint("totals", "1") + "\n"
        out += "  subtotal \(money(d.subtotal, c)), discount -\(money(d.discount, c)), shipping \(money(d.shipping, c))"
        if d.shippingDiscount > 0 { out += " -\(money(d.shippingDiscount, c))" }
        out += ", total " + paint(money(d.total, c), "1") + "\n"
        if !d.nudges.isEmpty {
            out += "\n" + paint("nudges", "1;36") + "\n"
            for n in d.nudges {
                let gives =
                    n.nudge.tierOff.map { "save \(money($0, c))" } ?? n.nudge.tierPercent.map {
                        "save \(PercentValue(partsPerMillion: $0))"
                    } ?? ""
                out +=
                    "  add \(money(n.nudge.needed, c)) of eligible items to reach the \(money(n.nudge.tierSpend, c)) tier and \(gives) (\(n.campaign)/\(n.offer))\n"
            }
        }
        if !d.rejected.isEmpty {
            out += "\n" + paint("not given", "1;33") + "\n"
            for r in d.rejected { out += "  \(r.campaign)/\(r.offer) (\(r.kind)): \(r.reason.rawValue): \(r.detail)\n" }
        }
        if d.offersNotConsidered > 0 {
            out +=
                "  (\(d.offersNotConsidered) offer\(d.offersNotConsidered == 1 ? "" : "s") ruled out by the index: their channel, segment or item conditions do not match)\n"
        }
        let missing = d.modelOutputs.filter(\.missingWhenRead)
        if !missing.isEmpty {
            out += "\n" + paint("missing model outputs (read by a rule)", "1;33") + "\n"
            for m in missing {
                out +=
                    "  \(m.function)\(m.sku.map { " for \($0)" } ?? "")\(m.customer.map { " for customer \($0)" } ?? "")"
                    + (m.fault.map { ": " + $0 } ?? "") + "\n"
            }
        }
        return out
    }

    public func json(_ d: Decision) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return (try? String(decoding: encoder.encode(d), as: UTF8.self)).map { $0 + "\n" } ?? "{}\n"
    }
}
