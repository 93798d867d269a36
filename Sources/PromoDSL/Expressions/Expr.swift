/// A typed, located expression of the rules language.
///
/// The parser builds `.name` and `.call` nodes; the checker resolves them into `.field`,
/// `.letRef`, `.model` and `.builtin` and fills in `type`.
public struct Expr: Sendable, Hashable {
    public indirect enum Kind: Sendable, Hashable {
        case number(Double, text: String)
        case string(String)
        case bool(Bool)
        case money(MoneyAmount)
        case percent(PercentValue)
        case duration(DurationValue)
        case dateTime(DateTimeValue)
        case list([Expr])
        /// An unresolved dotted name, e.g. `customer.segment` (parser output).
        case name([String])
        /// An unresolved call, e.g. `forecast.demand(item, 7d)` (parser output).
        case call(callee: [String], arguments: [Expr])
        case unary(UnaryOperator, Expr)
        case binary(BinaryOperator, Expr, Expr)
        /// A context field such as `cart.subtotal` (checker output).
        case field(ContextField)
        /// A reference to a campaign `let` binding (checker output).
        case letRef(String)
        /// A model output declared by a plugin manifest (checker output).
        case model(ModelReference, arguments: [Expr])
        /// A built-in function (checker output).
        case builtin(BuiltinFunction, arguments: [Expr])
    }

    public var kind: Kind
    public var span: SourceSpan
    public var type: ValueType

    public init(_ kind: Kind, span: SourceSpan, type: ValueType = .error) {
        self.kind = kind
        self.span = span
        self.type = type
    }
}

public enum UnaryOperator: String, Sendable, Hashable {
    case not
    case negate = "-"
}

public enum BinaryOperator: String, Sendable, Hashable {
    case or, and
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case `in`
    case add = "+", subtract = "-", multiply = "*", divide = "/"

    var precedence: Int {
        switch self {
        case .or: 1
        case .and: 2
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .in: 4
        case .add, .subtract: 5
        case .multiply, .divide: 6
        }
    }
}

/// A model function as resolved against the bound plugin's manifest.
public struct ModelReference: Sendable, Hashable {
    /// The model role (`forecast`, `profile`, ...).
    public var role: String
    /// The plugin bound to that role in `promo.yaml`.
    public var plugin: String
    /// The namespace used in rules (`forecast`, or `customer` for profile fields).
    public var namespace: String
    public var function: String
    public var result: ValueType
    /// What the output varies by: request, customer, item, or customer and item.
    public var per: ModelFunction.Scope

    public init(
        role: String, plugin: String, namespace: String, function: String, result: ValueType, per: ModelFunction.Scope
    ) {
        self.role = role
        self.plugin = plugin
        self.namespace = namespace
        self.function = function
        self.result = result
        self.per = per
    }
}

/// The fixed set of built-in functions.
public enum BuiltinFunction: String, Sendable, Hashable, CaseIterable {
    case clamp, min, max, count, sum, any, all
    case daysSince = "days_since"
}

extension Expr {
    /// Whether this is a literal value (number, string, bool, money, percent, duration, date-time).
    public var isLiteral: Bool {
        switch kind {
        case .number, .string, .bool, .money, .percent, .duration, .dateTime: true
        default: false
        }
    }
}

extension ValueType {
    /// An example literal of this type, for messages.
    var example: String {
        switch self {
        case .bool: "true"
        case .number: "7"
        case .money: "100 CNY"
        case .percent: "10%"
        case .string: "\"text\""
        case .dateTime: "2026-12-01T00:00+08:00"
        case .duration: "7d"
        case .item: "item"
        case .list: "[...]"
        case .error: "..."
        }
    }
}
