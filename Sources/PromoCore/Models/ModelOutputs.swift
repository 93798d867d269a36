import PromoDSL

/// One model output the engine needs for a decision: a plugin's function for a customer and/or
/// an item, with its literal arguments.
public struct ModelQuery: Sendable, Hashable {
    public var plugin: String
    public var role: String
    /// `forecast.days_of_cover`, `customer.segment`, ...
    public var function: String
    public var customerID: String?
    public var sku: String?
    /// Literal arguments other than the item, e.g. `7d` for `forecast.demand(item, 7d)`.
    public var arguments: [Value]

    public init(plugin: String, role: String, function: String, customerID: String?, sku: String?, arguments: [Value]) {
        self.plugin = plugin
        self.role = role
        self.function = function
        self.customerID = customerID
        self.sku = sku
        self.arguments = arguments
    }

    /// The fixture key: the function, with arguments when it has any: `forecast.demand(7d)`.
    public var key: String {
        arguments.isEmpty ? function : function + "(" + arguments.map(Value.literalText).joined(separator: ", ") + ")"
    }
}

/// Where the engine gets model outputs. Called once per decision, with every output the candidate
/// offers need, before any rule runs; the engine memoizes the answers for that decision.
///
/// Contract: answer `values(for:)` with one entry per query, in order; `nil` where no value exists
/// (the offer's `on_missing` fallback then applies). Must be deterministic for a given snapshot.
public protocol ModelOutputs: Sendable {
    func values(for queries: [ModelQuery]) -> [Value?]
}

/// Model outputs from a fixture: values per customer, per item, and per customer and item, keyed
/// by `ModelQuery.key`. Used by `promo decide --models FILE`, tests and benchmarks.
public struct FixtureModelOutputs: ModelOutputs {
    public var customers: [String: [String: Value]]
    public var items: [String: [String: Value]]
    public var customerItems: [String: [String: [String: Value]]]

    public init(
        customers: [String: [String: Value]] = [:], items: [String: [String: Value]] = [:],
        customerItems: [String: [String: [String: Value]]] = [:]
    ) {
        self.customers = customers
        self.items = items
        self.customerItems = customerItems
    }

    public func values(for queries: [ModelQuery]) -> [Value?] {
        queries.map { q in
            let key = q.key
            if let c = q.customerID, let s = q.sku { return customerItems[c]?[s]?[key] }
            if let s = q.sku { return items[s]?[key] }
            if let c = q.customerID { return customers[c]?[key] }
            return customers["*"]?[key]
        }
    }
}

extension Value {
    /// The value as rules would write it: `7d`, `10%`, `"x"`; money in minor units as `1250`.
    static func literalText(_ v: Value) -> String {
        switch v {
        case .bool(let b): String(b)
        case .number(let n): n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .money(let m): String(m)
        case .percent(let p): PercentValue(partsPerMillion: p).description
        case .string(let s): "\"\(s)\""
        case .dateTime(let t): String(t)
        case .duration(let d): DurationValue(seconds: d).description
        case .list(let items): "[" + items.map(literalText).joined(separator: ", ") + "]"
        case .missing: "missing"
        }
    }
}
