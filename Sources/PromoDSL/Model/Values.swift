/// ISO 4217 currencies the rules language knows, with their minor-unit digits.
public enum Currencies {
    public static let minorDigits: [String: Int] = [
        "CNY": 2, "USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "KRW": 0, "HKD": 2, "TWD": 2, "SGD": 2, "AUD": 2,
        "CAD": 2, "CHF": 2, "SEK": 2, "NOK": 2, "DKK": 2, "INR": 2, "BRL": 2, "MXN": 2, "RUB": 2, "ZAR": 2,
        "NZD": 2, "THB": 2, "MYR": 2, "IDR": 2, "PHP": 2, "VND": 0, "PLN": 2, "CZK": 2, "HUF": 2, "TRY": 2,
        "AED": 2, "SAR": 2, "ILS": 2, "KWD": 3, "BHD": 3,
    ]
}

/// An amount of money in integer minor units, e.g. `12.50 CNY` is `MoneyAmount(minorUnits: 1250, currency: "CNY")`.
public struct MoneyAmount: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var minorUnits: Int64
    public var currency: String

    public init(minorUnits: Int64, currency: String) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// Parses `300 CNY` / `12.50 CNY`. Fails on unknown currencies, more decimals than the currency
    /// has, or overflow.
    public static func parse(amount: String, currency: String) -> Result<MoneyAmount, ValueError> {
        guard let digits = Currencies.minorDigits[currency] else {
            return .failure(
                ValueError(
                    "unknown currency '\(currency)'", Suggestions.hint(for: currency, in: Currencies.minorDigits.keys)))
        }
        guard let decimal = ExactDecimal(amount) else { return .failure(ValueError("'\(amount)' is not a number")) }
        guard decimal.scale <= digits else {
            return .failure(ValueError("\(currency) has \(digits) decimal places; '\(amount)' has \(decimal.scale)"))
        }
        guard let minor = decimal.scaled(to: digits) else {
            return .failure(ValueError("amount '\(amount)' is too large"))
        }
        return .success(MoneyAmount(minorUnits: minor, currency: currency))
    }

    public static func < (lhs: MoneyAmount, rhs: MoneyAmount) -> Bool { lhs.minorUnits < rhs.minorUnits }

    public var description: String {
        let digits = Currencies.minorDigits[currency] ?? 2
        return "\(ExactDecimal(mantissa: minorUnits, scale: digits)) \(currency)"
    }
}

/// A percentage held exactly in parts per million: `12.5%` is `125_000`.
public struct PercentValue: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var partsPerMillion: Int64

    public init(partsPerMillion: Int64) { self.partsPerMillion = partsPerMillion }

    /// Parses the number part of `12.5%` (at most 4 decimals).
    public static func parse(_ number: String) -> Result<PercentValue, ValueError> {
        guard let d = ExactDecimal(number) else { return .failure(ValueError("'\(number)%' is not a percentage")) }
        guard d.scale <= 4, let ppm = d.scaled(to: 4) else {
            return .failure(ValueError("'\(number)%' has more than 4 decimal places"))
        }
        return .success(PercentValue(partsPerMillion: ppm))
    }

    public static func < (lhs: PercentValue, rhs: PercentValue) -> Bool { lhs.partsPerMillion < rhs.partsPerMillion }

    public var description: String { "\(ExactDecimal(mantissa: partsPerMillion, scale: 4).trimmed)%" }
}

/// A length of time in seconds: `7d`, `12h`, `30m`, `2w`, `45s`.
public struct DurationValue: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var seconds: Int64

    public init(seconds: Int64) { self.seconds = seconds }

    static let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]

    /// Parses `7d`; nil if it is not a duration.
    public static func parse(_ text: String) -> DurationValue? {
        guard let unit = text.last, let factor = units[unit], let n = Int64(text.dropLast()), n >= 0 else {
            return nil
        }
        let (v, overflow) = n.multipliedReportingOverflow(by: factor)
        return overflow ? nil : DurationValue(seconds: v)
    }

    public static func < (lhs: DurationValue, rhs: DurationValue) -> Bool { lhs.seconds < rhs.seconds }

    public var description: String {
        for (unit, factor) in [("w", Int64(604_800)), ("d", 86_400), ("h", 3600), ("m", 60)]
        where seconds % factor == 0 && seconds != 0 {
            return "\(seconds / factor)\(unit)"
        }
        return "\(seconds)s"
    }
}

/// A date or date-time as written: `2026-12-01`, `2026-12-01T09:00`, `2026-12-01T09:00+08:00`.
/// `offsetSeconds` is nil when no offset or `Z` was written (a local time).
public struct DateTimeValue: Sendable, Hashable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    public var hasTime: Bool
    public var offsetSeconds: Int?

    /// Parses ISO 8601 in the forms above; nil when the text is not one, or the fields are out of range.
    public static func parse(_ text: String) -> DateTimeValue? {
        let s = Array(text.utf8)
        func num(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= s.count else { return nil }
            var v = 0
            for b in s[from..<from + count] {
                guard b >= 48, b <= 57 else { return nil }
                v = v * 10 + Int(b - 48)
            }
            return v
        }
        guard s.count >= 10, let y = num(0, 4), s[4] == 45, let mo = num(5, 2), s[7] == 45, let d = num(8, 2) else {
            return nil
        }
        var value = DateTimeValue(
            year: y, month: mo, day: d, hour: 0, minute: 0, second: 0, hasTime: false, offsetSeconds: nil)
        var i = 10
        if i < s.count {
            guard s[i] == 84 || s[i] == 116, let h = num(i + 1, 2), i + 3 < s.count, s[i + 3] == 58,
                let mi = num(i + 4, 2)
            else { return nil }
            value.hour = h
            value.minute = mi
            value.hasTime = true
            i += 6
            if i < s.count, s[i] == 58 {
                guard let sec = num(i + 1, 2) else { return nil }
                value.second = sec
                i += 3
            }
            if i < s.count {
                if s[i] == 90 || s[i] == 122 {
                    value.offsetSeconds = 0
                    i += 1
                } else if s[i] == 43 || s[i] == 45 {
                    guard let oh = num(i + 1, 2), i + 3 < s.count, s[i + 3] == 58, let om = num(i + 4, 2),
                        oh <= 14, om < 60
                    else { return nil }
                    value.offsetSeconds = (s[i] == 45 ? -1 : 1) * (oh * 3600 + om * 60)
                    i += 6
                }
            }
        }
        guard i == s.count else { return nil }
        let daysInMonth = [
            31, (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
        ]
        guard (1...12).contains(mo), d >= 1, d <= daysInMonth[mo - 1], value.hour < 24, value.minute < 60,
            value.second < 60
        else { return nil }
        return value
    }

    /// Seconds since 1970-01-01T00:00:00Z, when an offset is known (or given).
    public func epochSeconds(offset: Int? = nil) -> Int64? {
        guard let off = offsetSeconds ?? offset else { return nil }
        // Days from civil (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = Int64(era * 146_097 + doe - 719_468)
        return days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(off)
    }

    public var description: String {
        func p(_ v: Int, _ w: Int = 2) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        var out = "\(p(year, 4))-\(p(month))-\(p(day))"
        if hasTime { out += "T\(p(hour)):\(p(minute))" + (second != 0 ? ":\(p(second))" : "") }
        if let o = offsetSeconds {
            out += o == 0 ? "Z" : "\(o < 0 ? "-" : "+")\(p(abs(o) / 3600)):\(p(abs(o) % 3600 / 60))"
        }
        return out
    }
}

/// A decimal number held exactly: mantissa x 10^-scale.
public struct ExactDecimal: Sendable, Hashable, CustomStringConvertible {
    public var mantissa: Int64
    public var scale: Int

    public init(mantissa: Int64, scale: Int) {
        self.mantissa = mantissa
        self.scale = scale
    }

    /// Parses `-12.50`; nil for anything else (no exponents, no thousands separators).
    public init?(_ text: String) {
        var digits = Substring(text)
        var negative = false
        if digits.first == "-" {
            negative = true
            digits = digits.dropFirst()
        }
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.allSatisfy(\.isASCIIDigit) else {
            return nil
        }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard parts.count == 1 || (!fraction.isEmpty && fraction.allSatisfy(\.isASCIIDigit)) else { return nil }
        guard let m = Int64(whole + fraction) else { return nil }
        mantissa = negative ? -m : m
        scale = fraction.count
    }

    /// The mantissa at a larger scale, nil on overflow.
    public func scaled(to target: Int) -> Int64? {
        var m = mantissa
        for _ in scale..<max(scale, target) {
            let (v, o) = m.multipliedReportingOverflow(by: 10)
            if o { return nil }
            m = v
        }
        return m
    }

    public var doubleValue: Double {
        var d = Double(mantissa)
        for _ in 0..<scale { d /= 10 }
        return d
    }

    /// Without trailing zeros in the fraction.
    public var trimmed: ExactDecimal {
        var r = self
        while r.scale > 0 && r.mantissa % 10 == 0 {
            r.mantissa /= 10
            r.scale -= 1
        }
        return r
    }

    public var description: String {
        guard scale > 0 else { return String(mantissa) }
        let sign = mantissa < 0 ? "-" : ""
        var digits = String(mantissa.magnitude)
        if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
        let cut = digits.index(digits.endIndex, offsetBy: -scale)
        return sign + digits[..<cut] + "." + digits[cut...]
    }
}

/// Why a literal could not be read, with an optional hint.
public struct ValueError: Error, Sendable, Hashable {
    public var message: String
    public var hint: String?

    public init(_ message: String, _ hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
