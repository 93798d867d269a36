import PromoDSL

/// One model output the engine needs for a decision, one row of a `ModelBatch`: a plugin's
/// function for a customer and/or an item, with its literal arguments.
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

/// A model function the rules call, with its literal arguments: fixed for a rule set.
public struct ModelCall: Sendable, Hashable {
    public var plugin: String
    public var role: String
    /// `forecast.days_of_cover`, `customer.segment`, ...
    public var function: String
    /// Literal arguments other than the item.
    public var arguments: [Value]
    public var perCustomer: Bool
    public var perItem: Bool

    public init(plugin: String, role: String, function: String, arguments: [Value], perCustomer: Bool, perItem: Bool) {
        self.plugin = plugin
        self.role = role
        self.function = function
        self.arguments = arguments
        self.perCustomer = perCustomer
        self.perItem = perItem
    }

    /// The fixture key: the function, with arguments when it has any: `forecast.demand(7d)`.
    public var key: String {
        arguments.isEmpty ? function : function + "(" + arguments.map(Value.literalText).joined(separator: ", ") + ")"
    }
}

extension ModelCall {
    /// How many values the call has for `items` items: one per item, or one.
    func rows(items: Int) -> Int { perItem ? items : 1 }
}

/// Everything one decision asks of the models, in one columnar batch: each call for the
/// customer and, when the call is per item, for each of the decision's items.
public struct ModelBatch: Sendable, Hashable {
    public var customerID: String
    /// The items (cart lines in canonical order).
    public var skus: [String] {
        get {
            switch items {
            case .skus(let skus): skus
            case .lines(let lines): lines.map(\.sku)
            }
        }
        set { items = .skus(newValue) }
    }
    /// Each item's position in the engine's catalog (`Catalog.ordinal(of:)`), -1 when the catalog
    /// does not have it: outputs precomputed over the same catalog read their tables by it.
    public var ordinals: [Int32]
    public var calls: [ModelCall]
    /// The items as given, or as the engine's cart lines, whose skus are read out only when
    /// asked: outputs that read their tables by `ordinals` never ask, and a decision then copies
    /// no sku (each copy counts a reference, twice a decision per line).
    private var items: Items

    private enum Items: Sendable {
        case skus([String])
        case lines([CartLine])
    }

    public init(customerID: String, skus: [String], ordinals: [Int32], calls: [ModelCall]) {
        self.customerID = customerID
        self.items = .skus(skus)
        self.ordinals = ordinals
        self.calls = calls
    }

    /// The batch of a decision: the items are the cart's lines (canonical order).
    init(customerID: String, lines: [CartLine], ordinals: [Int32], calls: [ModelCall]) {
        self.customerID = customerID
        self.items = .lines(lines)
        self.ordinals = ordinals
        self.calls = calls
    }

    /// How many items there are.
    public var itemCount: Int {
        switch items {
        case .skus(let skus): skus.count
        case .lines(let lines): lines.count
        }
    }

    public static func == (a: ModelBatch, b: ModelBatch) -> Bool {
        a.customerID == b.customerID && a.ordinals == b.ordinals && a.calls == b.calls && a.skus == b.skus
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(customerID)
        hasher.combine(skus)
        hasher.combine(ordinals)
        hasher.combine(calls)
    }

    /// How many values call `c` needs: one per item, or one.
    public func rows(_ c: Int) -> Int { calls[c].rows(items: itemCount) }

    /// The batch as one query per value, call by call.
    public var queries: [ModelQuery] {
        let skus = skus
        return calls.flatMap { call -> [ModelQuery] in
            let customer = call.perCustomer ? customerID : nil
            let items: [String?] = call.perItem ? skus.map { $0 } : [nil]
            return items.map {
                ModelQuery(
                    plugin: call.plugin, role: call.role, function: call.function, customerID: customer, sku: $0,
                    arguments: call.arguments)
            }
        }
    }
}

extension ModelBatch: CustomStringConvertible {
    /// The batch as its fields read (the skus however they are held).
    public var description: String {
        "ModelBatch(customerID: \(customerID), skus: \(skus), ordinals: \(ordinals), calls: \(calls.map(\.key)))"
    }
}

/// Where the engine gets model outputs. Asked once or twice per decision (the customer's segment
/// first when offers are indexed on it, then the rest), with every output the candidate offers
/// need, before any rule runs; the engine memoizes the answers for that decision.
///
/// Contract: answer `values(for:)` with one column per call, in order, of `batch.rows(c)` values;
/// `nil` where no value exists (the offer's `on_missing` fallback then applies). Must be
/// deterministic for a given snapshot. The engine asks `answer(for:appendingTo:)`, whose default
/// goes through `answer(for:)` and `values(for:)`; an answer of the wrong length is cut or filled
/// with missing values.
public protocol ModelOutputs: Sendable {
    func values(for batch: ModelBatch) -> [[Value?]]
    /// The version of the model behind a plugin's outputs, for traces (nil: unknown).
    func modelVersion(plugin: String) -> String?
    /// The values with, per call, the model version that answered and why a call has no values
    /// (a plugin that timed out, crashed or answered badly). The engine asks this; the default
    /// answers `values(for:)` with no faults.
    func answer(for batch: ModelBatch) -> ModelAnswer
    /// The same answer with its values appended to `values`, call by call, `batch.rows(c)` of
    /// each (nil where none), and the faults and versions returned. The engine asks this, into a
    /// buffer it reuses between decisions; the default appends `answer(for:)`'s columns. Outputs
    /// that hold their values in tables implement it to answer without building columns.
    func answer(for batch: ModelBatch, appendingTo values: inout ModelValues) -> ModelAnswer.Notes
}

extension ModelOutputs {
    public func modelVersion(plugin: String) -> String? { nil }

    /// The values, with no faults and no versions (traces then ask `modelVersion(plugin:)`):
    /// nothing extra is allocated on the deciding path.
    public func answer(for batch: ModelBatch) -> ModelAnswer {
        ModelAnswer(columns: values(for: batch), faults: [], versions: [])
    }

    public func answer(for batch: ModelBatch, appendingTo values: inout ModelValues) -> ModelAnswer.Notes {
        let answer = answer(for: batch)
        for c in batch.calls.indices {
            let column = c < answer.columns.count ? answer.columns[c] : []
            for row in 0..<batch.rows(c) { values.append(row < column.count ? column[row] : nil) }
        }
        return ModelAnswer.Notes(faults: answer.faults, versions: answer.versions)
    }
}

/// What a `ModelOutputs` answers for a batch: one column per call and, per call, the model
/// version that answered and the fault that left it without values, if any.
public struct ModelAnswer: Sendable, Hashable {
    public var columns: [[Value?]]
    /// Per call: why its values are missing, e.g. `deadline: no answer within 50 ms; cancelled`.
    /// Empty when no call failed.
    public var faults: [String?]
    /// Per call: the model version behind its values. Empty when not told.
    public var versions: [String?]

    public init(columns: [[Value?]], faults: [String?], versions: [String?]) {
        self.columns = columns
        self.faults = faults
        self.versions = versions
    }

    /// An answer's faults and versions without its values (`ModelOutputs.answer(for:appendingTo:)`).
    public struct Notes: Sendable, Hashable {
        public var faults: [String?]
        public var versions: [String?]

        public init(faults: [String?] = [], versions: [String?] = []) {
            self.faults = faults
            self.versions = versions
        }
    }
}

/// Model output values in a batch's order (call by call, `batch.rows(c)` of each; nil where
/// none): the buffer a `ModelOutputs` answers into. Numbers, nearly all outputs, are kept apart
/// from other values, so that the engine empties and refills it between decisions without
/// destroying each value.
public struct ModelValues: Sendable, Hashable {
    // Inlinable, for outputs that answer a value at a time from their own module.
    /// Per value: the number, or 0.
    @usableFromInline var numbers: [Double] = []
    /// Per value: `number`, `none`, or where it lies in `others`.
    @usableFromInline var tags: [Int32] = []
    @usableFromInline var others: [Value] = []
    @usableFromInline static let number: Int32 = -1
    @usableFromInline static let none: Int32 = -2

    public init() {}

    public var count: Int { tags.count }

    @inlinable
    public mutating func append(_ v: Value?) {
        switch v {
        case .number(let x)?:
            numbers.append(x)
            tags.append(Self.number)
        case nil:
            numbers.append(0)
            tags.append(Self.none)
        case let v?:
            numbers.append(0)
            tags.append(Int32(others.count))
            others.append(v)
        }
    }

    /// Appends `n` numbers, `number(k)` for k in 0..<n (nil where there is none): for outputs
    /// that answer a column at a time from tables (room made once per column, and inlined into
    /// the caller's loop).
    @inlinable
    public mutating func appendNumbers(_ n: Int, _ number: (Int) throws -> Double?) rethrows {
        guard n > 0 else { return }
        numbers.reserveCapacity(tags.count + n)
        tags.reserveCapacity(tags.count + n)
        for k in 0..<n {
            let x = try number(k)
            numbers.append(x ?? 0)
            tags.append(x == nil ? Self.none : Self.number)
        }
    }

    public subscript(i: Int) -> Value? {
        switch tags[i] {
        case Self.number: .number(numbers[i])
        case Self.none: nil
        case let k: others[Int(k)]
        }
    }

    /// The number at `i`, when it is one (read without building a `Value`).
    func number(_ i: Int) -> Double? { tags[i] == Self.number ? numbers[i] : nil }

    /// The numbers and, per value, `number`, `none` or where it lies in `others`, through the
    /// arrays' buffers (for reading many at once).
    func withBuffers<R>(_ body: (UnsafeBufferPointer<Double>, UnsafeBufferPointer<Int32>) -> R) -> R {
        numbers.withUnsafeBufferPointer { n in tags.withUnsafeBufferPointer { t in body(n, t) } }
    }

    public mutating func removeAll() {
        numbers.removeAll(keepingCapacity: true)
        tags.removeAll(keepingCapacity: true)
        if !others.isEmpty { others.removeAll(keepingCapacity: true) }
    }

    /// Keeps the first `n` values.
    mutating func keep(_ n: Int) {
        guard n < count else { return }
        if let k = tags[n...].first(where: { $0 >= 0 }) { others.removeLast(others.count - Int(k)) }
        numbers.removeLast(count - n)
        tags.removeLast(count - n)
    }
}

/// Model outputs from a fixture: values per customer, per item, and per customer and item, keyed
/// by `ModelCall.key`. Used by `promo decide --models FILE`, tests and benchmarks.
public struct FixtureModelOutputs: ModelOutputs {
    public var customers: [String: [String: Value]]
    public var items: [String: [String: Value]]
    public var customerItems: [String: [String: [String: Value]]]
    /// What traces name as the model version of every output (e.g. the fixture file and digest).
    public var version: String?

    public init(
        customers: [String: [String: Value]] = [:], items: [String: [String: Value]] = [:],
        customerItems: [String: [String: [String: Value]]] = [:], version: String? = nil
    ) {
        self.customers = customers
        self.items = items
        self.customerItems = customerItems
        self.version = version
    }

    public func modelVersion(plugin: String) -> String? { version }

    public func values(for batch: ModelBatch) -> [[Value?]] {
        let skus = batch.skus
        return batch.calls.map { call in
            let key = call.key
            let c = batch.customerID
            switch (call.perCustomer, call.perItem) {
            case (true, true): return skus.map { customerItems[c]?[$0]?[key] }
            case (false, true): return skus.map { items[$0]?[key] }
            case (true, false): return [customers[c]?[key]]
            case (false, false): return [customers["*"]?[key]]
            }
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
