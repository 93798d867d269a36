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
        let days = Int((t >= 0 ? t : t - 86_399) / 86_400)
        let seconds = Int(t - Int64(days) * 86_400)
        // Civil from days (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(y)-\(two(m))-\(two(d)) \(two(seconds / 3600)):\(two(seconds % 3600 / 60)) UTC"
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
