public import PromoCore
import PromoDSL

/// How a trace's values read: amounts in the trace's currency, percents, quoted text, UTC times.
struct Formatting {
    let currency: String

    func money(_ m: Int64) -> String { Money(minorUnits: m, currency: currency).description }

    func value(_ v: Value?) -> String {
        guard let v else { return "missing" }
        switch v {
        case .bool(let b): return String(b)
        case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .money(let m): return money(m)
        case .percent(let p): return PercentValue(partsPerMillion: p).description
        case .string(let s): return "\"\(s)\""
        case .dateTime(let t): return Self.time(t)
        case .duration(let d): return DurationValue(seconds: d).description
        case .list(let items): return "[" + items.map { value($0) }.joined(separator: ", ") + "]"
        case .missing: return "missing"
        }
    }

    /// `2026-12-01 04:00 UTC`.
    static func time(_ t: Int64) -> String {
        let p = CivilTime.parts(t)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(p.year)-\(two(p.month))-\(two(p.day)) \(two(p.hour)):\(two(p.minute)) UTC"
    }

    /// `cart.subtotal = 287.20 CNY`, for the operands that are not literals.
    func operands(_ c: ConditionTrace) -> String {
        c.operands.filter { $0.value != nil && !Self.isLiteral($0.text) }.map { "\($0.text) = \(value($0.value))" }
            .joined(separator: ", ")
    }

    static func isLiteral(_ text: String) -> Bool {
        guard let first = text.first else { return true }
        return first == "\"" || first == "[" || first.isNumber || first == "-" || text == "true" || text == "false"
    }
}
