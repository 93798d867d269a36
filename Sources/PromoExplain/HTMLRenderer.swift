import Foundation
public import PromoCore

/// A trace as one self-contained HTML file (no external assets) an auditor can open: a summary,
/// the offers with their condition trees and values, the model outputs, a bar chart of expected
/// incremental profit by candidate, and the rules source inline with every condition linked to its
/// line. A small script only adds collapsing and marks the page ready.
public struct TraceHTMLRenderer: Sendable {
    public init() {}

    /// Text as HTML: `&`, `<`, `>` and quotes escaped.
    public static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// The id of a rules source line in the report.
    public static func anchor(_ file: String, _ line: Int) -> String {
        "src-" + file.map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined() + "-\(line)"
    }

    public func render(_ t: DecisionTrace) -> String {
        let f = Formatting(currency: t.currency)
        let d = t.decision
        let e = Self.escape
        var referenced: Set<String> = []
        var h = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Decision \(e(t.decisionID))</title>
            <style>
            body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#1d232a;padding:0 1em}
            h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd}
            .meta{color:#667}.offer{border:1px solid #dde;border-radius:6px;padding:.6em 1em;margin:.8em 0}
            .chosen{border-left:5px solid #2a8a4a}.rejected{border-left:5px solid #b8433a}
            .t{color:#2a8a4a;font-weight:600}.f{color:#b8433a;font-weight:600}.u{color:#a67c00;font-weight:600}
            .n{color:#999}ul.tree{list-style:none;padding-left:1.2em;margin:.2em 0}
            code{background:#f3f4f7;padding:0 .25em;border-radius:3px}
            table{border-collapse:collapse}td,th{border:1px solid #dde;padding:.2em .6em;text-align:left}
            pre.src{background:#f7f8fa;border:1px solid #dde;padding:.5em;overflow-x:auto}
            pre.src span{display:block}pre.src span.hit{background:#fff3bf}pre.src span:target{background:#ffd43b}
            .ln{color:#99a;display:inline-block;width:3em}.toggle{cursor:pointer;color:#3a5ba0}
            </style></head><body>
            <h1>Decision <code>\(e(t.decisionID))</code></h1>
            <p class="meta">\(e(Formatting.time(t.time))) · customer <code>\(e(t.request.customer.id))</code> · channel \(e(t.request.channel)) · rules <code>\(e(String(t.rulesDigest.prefix(12))))</code> · \(e(t.engineVersion)) · trace v\(t.traceVersion)</p>
            <h2>Summary</h2>
            <table><tr><th>subtotal</th><td>\(e(f.money(d.subtotal)))</td></tr>
            <tr><th>discount</th><td>\(e(f.money(d.discount)))</td></tr>
            <tr><th>shipping</th><td>\(e(f.money(d.shipping))) (\(e(f.money(d.shippingDiscount))) off)</td></tr>
            <tr><th>total</th><td><b>\(e(f.money(d.total)))</b></td></tr>
            <tr><th>offers given</th><td>\(d.chosen.map { e($0.title) }.joined(separator: ", "))</td></tr></table>

            """
        h +=
            "<h2>Cart</h2><table><tr><th>line</th><th>sku</th><th>qty</th><th>unit</th><th>discount</th><th>total</th></tr>"
        for l in d.lines {
            h += "<tr><td>\(e(l.id))</td><td>\(e(l.sku))</td><td>\(l.quantity)</td><td>\(e(f.money(l.unitPrice)))</td>"
            h += "<td>\(e(f.money(l.discount)))</td><td>\(e(f.money(l.total)))</td></tr>"
        }
        h += "</table>\n"
        h += chart(t, f)
        h += "<h2>Offers</h2>\n"
        for o in t.offers {
            let chosen = o.outcome == "chosen"
            h += "<div class=\"offer \(chosen ? "chosen" : "rejected")\" id=\"offer-\(e(o.campaign))-\(e(o.offer))\">"
            h += "<b>\(chosen ? "✓" : "✗") \(e(o.campaign))/\(e(o.offer))</b> (\(e(o.kind))) “\(e(o.title))”"
            h += " — <i>\(e(o.outcome.replacingOccurrences(of: "_", with: " ")))</i>: \(e(o.summary))"
            referenced.insert(Self.anchor(o.file, o.line))
            h += " <a href=\"#\(Self.anchor(o.file, o.line))\">\(e(o.file)):\(o.line)</a>"
            h += " <span class=\"toggle\" data-toggle>details</span><div class=\"details\">"
            if let w = o.when { h += "<div>when</div>" + tree(w, f, &referenced) }
            for l in o.appliesTo {
                h +=
                    "<div>applies_to, line \(e(l.line)) (\(e(l.sku))): \(l.matched ? "matches" : "does not match")</div>"
                h += tree(l.condition, f, &referenced)
            }
            if let v = o.value {
                for l in v.lines {
                    h += "<div>value, line \(e(l.line)): \(l.units) × \(e(f.money(l.unitDiscount))) off on "
                    h += "\(e(f.money(l.base))) = \(e(f.money(l.discount)))</div>"
                }
                if let s = v.matchingSubtotal { h += "<div>matching subtotal \(e(f.money(s)))</div>" }
                for n in v.notes { h += "<div class=\"n\">\(e(n))</div>" }
            }
            if let a = o.arbitration {
                h += String(
                    format: "<div>arbitration: P(buy | offer) %.3f, P(buy | none) %.3f, weight %.2f, ", a.pWithOffer,
                    a.pWithout, a.weight)
                h +=
                    "expected incremental profit \(e(f.money(Int64(a.expectedIncrementalProfit.rounded())))), rank \(a.rank)</div>"
            }
            for r in o.determining { h += "<div class=\"n\">because \(e(r))</div>" }
            h += "</div></div>\n"
        }
        if !t.notConsidered.isEmpty {
            h += "<h2>Not considered by the index (\(t.notConsideredCount))</h2><ul>"
            for n in t.notConsidered {
                h += "<li>\(e(n.campaign))/\(e(n.offer)): needs <code>\(e(n.needs))</code></li>"
            }
            h += "</ul>\n"
        }
        h +=
            "<h2>Model outputs</h2><table><tr><th>output</th><th>customer</th><th>sku</th><th>value</th><th>plugin</th></tr>"
        for m in t.modelOutputs {
            h += "<tr><td><code>\(e(m.key))</code></td><td>\(e(m.customer ?? ""))</td><td>\(e(m.sku ?? ""))</td>"
            h +=
                "<td>\(e(f.value(m.value)))\(m.missingWhenRead ? " (missing when read)" : "")\(m.fault.map { " — " + e($0) } ?? "")</td>"
            h += "<td>\(e(m.plugin)) \(e(m.modelVersion ?? ""))</td></tr>"
        }
        h += "</table>\n<h2>Rules source</h2>\n"
        for file in t.files {
            guard let text = file.text else { continue }
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            guard lines.indices.contains(where: { referenced.contains(Self.anchor(file.path, $0 + 1)) }) else {
                continue
            }
            h +=
                "<h3><code>\(e(file.path))</code> <span class=\"n\">sha256 \(e(String(file.sha256.prefix(12))))</span></h3><pre class=\"src\">"
            for (i, line) in lines.enumerated() {
                let id = Self.anchor(file.path, i + 1)
                h +=
                    "<span id=\"\(id)\"\(referenced.contains(id) ? " class=\"hit\"" : "")><span class=\"ln\">\(i + 1)</span>\(e(String(line)))</span>"
            }
            h += "</pre>\n"
        }
        if !t.masked.isEmpty {
            h += "<p class=\"meta\">masked: \(t.masked.map { e("\($0.path) (\($0.how))") }.joined(separator: ", "))</p>"
        }
        h += """
            <script>
            document.querySelectorAll('[data-toggle]').forEach(function (t) {
              t.addEventListener('click', function () {
                var d = t.nextElementSibling; d.hidden = !d.hidden;
              });
            });
            document.body.setAttribute('data-ready', 'ok');
            </script>
            </body></html>

            """
        return h
    }

    private func tree(_ c: ConditionTrace, _ f: Formatting, _ referenced: inout Set<String>) -> String {
        let e = Self.escape
        let cls = ["true": "t", "false": "f", "unknown": "u"][c.result] ?? "n"
        let anchor = Self.anchor(c.file, c.line)
        referenced.insert(anchor)
        var h = "<ul class=\"tree\"><li><code>\(e(c.text))</code> <span class=\"\(cls)\">"
        h += e(c.result.replacingOccurrences(of: "_", with: " ")) + "</span>"
        let values = f.operands(c)
        if !values.isEmpty && c.result != "not_evaluated" { h += " (\(e(values)))" }
        h += " <a href=\"#\(anchor)\">\(e(c.file)):\(c.line)</a>"
        for child in c.children { h += tree(child, f, &referenced) }
        return h + "</li></ul>"
    }

    /// Expected incremental profit by eligible candidate, as an inline SVG bar chart.
    private func chart(_ t: DecisionTrace, _ f: Formatting) -> String {
        let bars = t.offers.compactMap { o in o.arbitration.map { (o, $0.expectedIncrementalProfit) } }
        guard !bars.isEmpty else { return "" }
        let width = 640.0
        let label = 240.0
        let row = 22.0
        let peak = max(1, bars.map { abs($0.1) }.max() ?? 1)
        let zero = label + (bars.contains { $0.1 < 0 } ? (width - label) / 2 : 0)
        let scale = (width - zero - 60) / peak
        var s = "<h2>Expected incremental profit by candidate</h2>"
        s +=
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(row * Double(bars.count) + 10))\" role=\"img\" aria-label=\"expected incremental profit by candidate\">"
        for (i, (o, v)) in bars.enumerated() {
            let y = Double(i) * row + 4
            let w = abs(v) * scale
            let x = v < 0 ? zero - w : zero
            let color = o.outcome == "chosen" ? "#2a8a4a" : "#9aa5b8"
            s += "<text x=\"0\" y=\"\(y + 14)\" font-size=\"12\">\(Self.escape("\(o.campaign)/\(o.offer)"))</text>"
            s += String(
                format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\" fill=\"%@\"/>", x, y, max(w, 1), color
            )
            s += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">", (v < 0 ? zero : x + w) + 4, y + 13)
            s += Self.escape(f.money(Int64(v.rounded()))) + "</text>"
        }
        s +=
            "<line x1=\"\(zero)\" y1=\"0\" x2=\"\(zero)\" y2=\"\(row * Double(bars.count) + 6)\" stroke=\"#333\"/></svg>\n"
        return s
    }
}
