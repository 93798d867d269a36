public import PromoDSL

/// Money in integer minor units with a currency (`MoneyAmount` of the rules language).
/// Arithmetic that would overflow is an error, never a wrap.
public typealias Money = MoneyAmount

/// A percentage held exactly in parts per million (`PercentValue` of the rules language).
public typealias Percent = PercentValue

/// Arithmetic overflowed, or currencies differ.
public enum MoneyError: Error, Sendable, Hashable {
    case overflow
    case currencyMismatch(String, String)
}

extension MoneyAmount {
    /// Zero in a currency.
    public static func zero(_ currency: String) -> Money { Money(minorUnits: 0, currency: currency) }

    public func adding(_ other: Money) throws(MoneyError) -> Money {
        guard currency == other.currency else { throw .currencyMismatch(currency, other.currency) }
        let (v, o) = minorUnits.addingReportingOverflow(other.minorUnits)
        if o { throw .overflow }
        return Money(minorUnits: v, currency: currency)
    }

    public func subtracting(_ other: Money) throws(MoneyError) -> Money {
        guard currency == other.currency else { throw .currencyMismatch(currency, other.currency) }
        let (v, o) = minorUnits.subtractingReportingOverflow(other.minorUnits)
        if o { throw .overflow }
        return Money(minorUnits: v, currency: currency)
    }

    public func multiplied(by n: Int) throws(MoneyError) -> Money {
        let (v, o) = minorUnits.multipliedReportingOverflow(by: Int64(n))
        if o { throw .overflow }
        return Money(minorUnits: v, currency: currency)
    }
}

/// Rounding of exact quotients to whole minor units, by the workspace's rounding mode.
public enum Rounding {
    /// `numerator / denominator` rounded by `mode` (denominator > 0). Works in 128 bits.
    public static func divide(_ numerator: Int128, by denominator: Int128, _ mode: RoundingMode) -> Int128 {
        precondition(denominator > 0)
        var q = numerator / denominator
        let r = numerator % denominator
        if r == 0 { return q }
        let negative = numerator < 0
        let twice = (r < 0 ? -r : r) * 2
        let awayFromZero: Bool
        switch mode {
        case .up: awayFromZero = true
        case .down: awayFromZero = false
        case .halfUp: awayFromZero = twice >= denominator
        case .halfDown: awayFromZero = twice > denominator
        case .halfEven: awayFromZero = twice > denominator || (twice == denominator && q % 2 != 0)
        }
        if awayFromZero { q += negative ? -1 : 1 }
        return q
    }

    /// `divide` for a non-negative numerator that fits 64 bits (no 128-bit division).
    static func divide64(_ numerator: Int64, by denominator: Int64, _ mode: RoundingMode) -> Int64 {
        let q = numerator / denominator
        let r = numerator % denominator
        if r == 0 { return q }
        let twice = r * 2
        let up: Bool
        switch mode {
        case .up: up = true
        case .down: up = false
        case .halfUp: up = twice >= denominator
        case .halfDown: up = twice > denominator
        case .halfEven: up = twice > denominator || (twice == denominator && q % 2 != 0)
        }
        return up ? q + 1 : q
    }

    /// `amount x percent`, rounded; nil when the result does not fit 64 bits.
    public static func apply(_ percent: Int64, to minorUnits: Int64, _ mode: RoundingMode) -> Int64? {
        let (product, overflow) = minorUnits.multipliedReportingOverflow(by: percent)
        if !overflow && product >= 0 { return divide64(product, by: 1_000_000, mode) }
        return Int64(exactly: divide(Int128(minorUnits) * Int128(percent), by: 1_000_000, mode))
    }

    /// `amount x number`, rounded; nil when it does not fit or is not finite.
    public static func scale(_ minorUnits: Int64, by factor: Double, _ mode: RoundingMode) -> Int64? {
        let exact = Double(minorUnits) * factor
        guard exact.isFinite, abs(exact) < 9.0e18 else { return nil }
        let rule: FloatingPointRoundingRule =
            switch mode {
            case .halfUp: .toNearestOrAwayFromZero
            case .halfEven: .toNearestOrEven
            case .halfDown: exact.truncatingRemainder(dividingBy: 1).magnitude == 0.5 ? .towardZero : .toNearestOrEven
            case .up: .awayFromZero
            case .down: .towardZero
            }
        return Int64(exact.rounded(rule))
    }
}
