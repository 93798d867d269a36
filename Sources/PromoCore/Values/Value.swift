/// A value at evaluation time. Money is in minor units of the workspace currency (the checker
/// guarantees one currency); percent in parts per million; times and durations in seconds.
public enum Value: Sendable, Hashable {
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

/// JSON form: `{"type": "money", "value": 1250}`; money, percent (parts per million), date-time
/// (seconds since 1970) and duration (seconds) as integers; lists as arrays of such objects.
extension Value: Codable {
    private enum Key: String, CodingKey { case type, value }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        switch self {
        case .bool(let b):
            try c.encode("bool", forKey: .type)
            try c.encode(b, forKey: .value)
        case .number(let n):
            try c.encode("number", forKey: .type)
            try c.encode(n, forKey: .value)
        case .money(let m):
            try c.encode("money", forKey: .type)
            try c.encode(m, forKey: .value)
        case .percent(let p):
            try c.encode("percent", forKey: .type)
            try c.encode(p, forKey: .value)
        case .string(let t):
            try c.encode("string", forKey: .type)
            try c.encode(t, forKey: .value)
        case .dateTime(let t):
            try c.encode("datetime", forKey: .type)
            try c.encode(t, forKey: .value)
        case .duration(let d):
            try c.encode("duration", forKey: .type)
            try c.encode(d, forKey: .value)
        case .list(let items):
            try c.encode("list", forKey: .type)
            try c.encode(items, forKey: .value)
        case .missing:
            try c.encode("missing", forKey: .type)
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        switch try c.decode(String.self, forKey: .type) {
        case "bool": self = .bool(try c.decode(Bool.self, forKey: .value))
        case "number": self = .number(try c.decode(Double.self, forKey: .value))
        case "money": self = .money(try c.decode(Int64.self, forKey: .value))
        case "percent": self = .percent(try c.decode(Int64.self, forKey: .value))
        case "string": self = .string(try c.decode(String.self, forKey: .value))
        case "datetime": self = .dateTime(try c.decode(Int64.self, forKey: .value))
        case "duration": self = .duration(try c.decode(Int64.self, forKey: .value))
        case "list": self = .list(try c.decode([Value].self, forKey: .value))
        case "missing": self = .missing
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: c, debugDescription: "unknown value type '\(other)'")
        }
    }
}
