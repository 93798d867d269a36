/// The static type of an expression. Every expression has exactly one; `error` marks a
/// sub-expression that already produced a diagnostic, so one mistake is reported once.
public indirect enum ValueType: Sendable, Hashable, CustomStringConvertible {
    case bool
    case number
    case money
    case percent
    case string
    case dateTime
    case duration
    /// A catalog item or cart line (`item` inside `applies_to` and predicates).
    case item
    case list(ValueType)
    case error

    /// Parses a type name used in plugin manifests: `number`, `list<string>`, ...
    public init?(name: String) {
        switch name {
        case "bool": self = .bool
        case "number": self = .number
        case "money": self = .money
        case "percent": self = .percent
        case "string": self = .string
        case "datetime": self = .dateTime
        case "duration": self = .duration
        case "item": self = .item
        default:
            guard name.hasPrefix("list<"), name.hasSuffix(">"),
                let inner = ValueType(name: String(name.dropFirst(5).dropLast()))
            else { return nil }
            self = .list(inner)
        }
    }

    public static let names = ["bool", "number", "money", "percent", "string", "datetime", "duration", "item"]

    public var description: String {
        switch self {
        case .bool: "bool"
        case .number: "number"
        case .money: "money"
        case .percent: "percent"
        case .string: "string"
        case .dateTime: "datetime"
        case .duration: "duration"
        case .item: "item"
        case .list(let t): "list<\(t)>"
        case .error: "<error>"
        }
    }

    var isError: Bool {
        if case .error = self { return true }
        if case .list(.error) = self { return true }
        return false
    }
}
