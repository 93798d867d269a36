/// A value at evaluation time. Money is in minor units of the workspace currency (the checker
/// guarantees one currency); percent in parts per million; times and durations in seconds.
public enum Value: Sendable, Hashable, Codable {
    case bool(Bool)
    case number(Double)
    case money(Int64)
    case percent(Int64)
    case string(String)
    case dateTime(Int64)
    case duration(Int64)
    case list([Value])
    /// A model output that was not available (or an overflow): conditions over it are unknown.
    case missing

    var isMissing: Bool {
        if case .missing = self { return true }
        return false
    }

    /// Ordering within one kind; nil across kinds or for missing.
    static func compare(_ a: Value, _ b: Value) -> Int? {
        switch (a, b) {
        case (.number(let x), .number(let y)): x < y ? -1 : x > y ? 1 : 0
        case (.money(let x), .money(let y)), (.percent(let x), .percent(let y)), (.dateTime(let x), .dateTime(let y)),
            (.duration(let x), .duration(let y)):
            x < y ? -1 : x > y ? 1 : 0
        case (.string(let x), .string(let y)): x < y ? -1 : x > y ? 1 : 0
        case (.bool(let x), .bool(let y)): x == y ? 0 : (x ? 1 : -1)
        default: nil
        }
    }
}

extension Value {
    /// The value as rules would write it: `7d`, `10%`, `"x"`, money in minor units.
    public var text: String { Value.literalText(self) }
}
