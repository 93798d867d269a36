import PromoDSL
import PromoYAML

/// A compiled expression: a closure tree with every path resolved to a property or slot and
/// every text literal to a symbol.
typealias Eval = @Sendable (Frame) -> Val

/// A model output the rules read, with its fixed arguments; one slot per distinct call.
struct ModelSlot: Sendable, Hashable {
    var reference: ModelReference
    var arguments: [Value]
    /// The call as batches name it; computed once, not per decision.
    let call: ModelCall

    init(reference: ModelReference, arguments: [Value]) {
        self.reference = reference
        self.arguments = arguments
        self.call = ModelCall(
            plugin: reference.plugin, role: reference.role, function: "\(reference.namespace).\(reference.function)",
            arguments: arguments, perCustomer: reference.per == .customer || reference.per == .customerItem,
            perItem: reference.per == .item || reference.per == .customerItem)
    }

    var perItem: Bool { call.perItem }
    var perCustomer: Bool { call.perCustomer }
}

/// Compiles checked expressions into closures. Paths are resolved here, once: evaluation does no
/// string or dictionary look-ups.
struct ExpressionCompiler {
    private(set) var modelSlots: [ModelSlot] = []
    private var slotIndex: [ModelSlot: Int] = [:]
    /// Let bindings of the campaign being compiled: slot, whether item-dependent, compiled body.
    var lets: [String: (slot: Int, needsItem: Bool, body: Eval)] = [:]
    var letCount = 0
    /// Model slots each compiled expression reads (accumulated; callers reset between offers).
    var usedSlots: Set<Int> = []
    /// Text literals as symbols.
    var symbols = SymbolBuilder()
    /// Condition nodes for traces, and where each expression's node is.
    var nodes: [ConditionNode] = []
    var nodeBySpan: [SourceSpan: Int] = [:]
    /// The conditions compiled by `condition(_:)` since `residual` last ran, by place: the rest of
    /// an `applies_to` is made of its own conjuncts' closures. (In a struct: a closure kept as a
    /// dictionary's or an array's element would be called through conversion thunks.)
    private var conditionBySpan: [SourceSpan: Condition] = [:]
    private struct Condition { let eval: Eval }

    mutating func slot(for reference: ModelReference, arguments: [Value]) -> Int {
        let key = ModelSlot(reference: reference, arguments: arguments)
        if let i = slotIndex[key] { return i }
        modelSlots.append(key)
        slotIndex[key] = modelSlots.count - 1
        return modelSlots.count - 1
    }

    /// A literal's public value (model arguments are public values).
    static func literal(_ e: Expr) -> Value? {
        switch e.kind {
        case .number(let v, _): .number(v)
        case .string(let s): .string(s)
        case .bool(let b): .bool(b)
        case .money(let m): .money(m.minorUnits)
        case .percent(let p): .percent(p.partsPerMillion)
        case .duration(let d): .duration(d.seconds)
        case .dateTime(let d): d.epochSeconds().map { .dateTime($0) } ?? .missing
        default: nil
        }
    }

    /// A literal as the evaluator sees it; lists are not constants here (they live in the arena).
    mutating func constant(_ e: Expr) -> Val? {
        switch e.kind {
        case .string(let s): return .symbol(symbols.intern(s))
        default:
            switch Self.literal(e) {
            case .bool(let b)?: return .bool(b)
            case .number(let n)?: return .number(n)
            case .money(let m)?: return .money(m)
            case .percent(let p)?: return .percent(p)
            case .dateTime(let t)?: return .dateTime(t)
            case .duration(let d)?: return .duration(d)
            case .missing?: return .missing
            default: return nil
            }
        }
    }

    mutating func compile(_ e: Expr) -> Eval {
        if let v = constant(e) { return { _ in v } }
        switch e.kind {
        case .list(let items):
            let constants = items.compactMap { constant($0) }
            if constants.count == items.count { return { f in f.list(constants) } }
            let parts = items.map { compile($0) }
            return { f in
                var values: [Val] = []
                values.reserveCapacity(parts.count)
                for p in parts { values.append(p(f)) }
                return f.list(values)
            }
        case .name(let parts):
            // Only `item` stays a name after checking.
            precondition(parts == ["item"], "unresolved name \(parts)")
            return { f in .symbol(f.lines[f.line].sku) }
        case .field(let field): return Self.field(field)
        case .letRef(let name):
            guard let binding = lets[name] else { return { _ in .missing } }
            if binding.needsItem { return binding.body }
            let slot = binding.slot
            let body = binding.body
            return { f in
                if f.letStamps[slot] == f.stamp { return f.lets[slot] }
                let before = f.missingInOffer
                let v = body(f)
                // A value that read a missing output may differ per offer (fallbacks): do not cache it.
                if f.missingInOffer == before {
                    f.lets[slot] = v
                    f.letStamps[slot] = f.stamp
                }
                return v
            }
        case .model(let reference, let arguments):
            let (s, perItem) = modelSlot(reference, arguments)
            if perItem { return { f in f.model(s, perItem: true) } }
            return { f in f.model(s, perItem: false) }
        case .builtin(let function, let arguments): return builtin(function, arguments)
        case .unary(.not, _):
            return condition(e).eval
        case .unary(.negate, let operand):
            let a = compile(operand)
            return { f in
                switch a(f) {
                case .number(let x): .number(-x)
                case .money(let x): .money(0 &- x)
                case .percent(let x): .percent(0 &- x)
                case .duration(let x): .duration(0 &- x)
                default: .missing
                }
            }
        case .binary(let op, let lhs, let rhs):
            if op == .and || op == .or || Self.isComparison(op) { return condition(e).eval }
            return binary(op, compile(lhs), compile(rhs))
        default:
            return { _ in .missing }
        }
    }

    /// An operand of a comparison: constants and model outputs are read in the comparison's own
    /// closure (one closure, one context to reach, instead of three); the rest is compiled.
    enum Operand {
        case constant(Val)
        case model(slot: Int, perItem: Bool)
        case eval(Eval)

        @inline(__always)
        func read(_ f: Frame) -> Val {
            switch self {
            case .constant(let v): v
            case .model(let s, let perItem): f.model(s, perItem: perItem)
            case .eval(let e): e(f)
            }
        }
    }

    mutating func operand(_ e: Expr) -> Operand {
        if let v = constant(e) { return .constant(v) }
        if case .model(let reference, let arguments) = e.kind {
            let (s, perItem) = modelSlot(reference, arguments)
            return .model(slot: s, perItem: perItem)
        }
        return .eval(compile(e))
    }

    /// The slot of a model call (its literal arguments, the item left out), noted as used.
    private mutating func modelSlot(_ reference: ModelReference, _ arguments: [Expr]) -> (Int, perItem: Bool) {
        let s = slot(
            for: reference, arguments: arguments.filter { $0.type != .item }.map { Self.literal($0) ?? .missing })
        usedSlots.insert(s)
        return (s, modelSlots[s].perItem)
    }

    /// The symbols a text comparison tests against, the first two held inline: the usual `== "x"`
    /// or two-value `in` reads nothing outside its closure's context (a traced decision runs these
    /// on every line the index admitted, each context cold).
    struct SymbolSet {
        let isEmpty: Bool
        let first: Int32
        let second: Int32
        /// Set when there are more than two.
        let all: [Int32]?

        init(_ symbols: [Int32]) {
            isEmpty = symbols.isEmpty
            first = symbols.first ?? 0
            second = symbols.count > 1 ? symbols[1] : first
            all = symbols.count > 2 ? symbols : nil
        }

        @inline(__always)
        func contains(_ s: Int32) -> Bool {
            if isEmpty { return false }
            if s == first || s == second { return true }
            return all?.contains(s) ?? false
        }
    }

    /// Reads a text field as a symbol, for the common `field == "x"` and `field in ["x", "y"]`
    /// conditions: one integer comparison per candidate value.
    static func textField(_ field: ContextField) -> (@Sendable (Frame) -> Int32)? {
        switch field.path {
        case "channel": { f in f.channel }
        case "customer.id": { f in f.customerIDSymbol() }
        case "customer.tier": { f in f.customerTierSymbol() }
        case "customer.country": { f in f.customerCountrySymbol() }
        case "item.sku": { f in f.lines[f.line].sku }
        case "item.title": { f in f.symbol(f.item(f.line)?.title ?? f.cartLines[f.line].sku) }
        case "item.category": { f in f.lines[f.line].category }
        case "item.brand": { f in f.lines[f.line].brand }
        default: nil
        }
    }

    /// The symbols a text comparison tests against: `== "a"`, `!= "a"`, `in ["a", "b"]`; nil for
    /// any other comparison.
    mutating func literalSymbols(_ op: BinaryOperator, _ rhs: Expr) -> [Int32]? {
        switch (op, rhs.kind) {
        case (.equal, .string(let s)), (.notEqual, .string(let s)): return [symbols.intern(s)]
        case (.in, .list(let items)):
            var values: [Int32] = []
            for item in items {
                guard case .string(let s) = item.kind else { return nil }
                values.append(symbols.intern(s))
            }
            return values
        default: return nil
        }
    }

    /// A model output or a computed value ordered against a literal (`forecast.days_of_cover(item)
    /// > 30`, `cart.subtotal >= 100 CNY`): read and compared in one closure, the operator turned
    /// into the set of orders that make it true; values of another type, or missing, go the
    /// general way.
    func orderedComparison(_ op: BinaryOperator, _ a: Operand, _ b: Operand, id: Int) -> Eval? {
        let truth: UInt8
        switch op {
        case .less: truth = 0b001
        case .lessEqual: truth = 0b011
        case .greater: truth = 0b100
        case .greaterEqual: truth = 0b110
        default: return nil
        }
        guard case .constant(let c) = b, Val.order(c, c) != nil else { return nil }
        switch a {
        case .model(let s, let perItem):
            return { f in Self.ordered(f.model(s, perItem: perItem), c, truth, op, id, f) }
        case .eval(let e):
            return { f in Self.ordered(e(f), c, truth, op, id, f) }
        case .constant: return nil
        }
    }

    /// `x` against the literal `c` under the orders in `truth` (bit 0: less, 1: equal, 2: greater).
    @inline(__always)
    static func ordered(_ x: Val, _ c: Val, _ truth: UInt8, _ op: BinaryOperator, _ id: Int, _ f: Frame) -> Val {
        let r: Val
        if let o = Val.order(x, c) {
            r = .bool(truth & (1 << (o + 1)) != 0)
        } else {
            r = comparison(op, x, c, f)
        }
        if f.tracing { f.record(id, r, x, c) }
        return r
    }

    /// A text field compared with literals: the field read as a symbol, no `Val` in between.
    mutating func textComparison(_ op: BinaryOperator, _ lhs: Expr, _ rhs: Expr, id: Int) -> Eval? {
        guard case .field(let field) = lhs.kind, let read = Self.textField(field) else {
            return textValueComparison(op, lhs, rhs, id: id)
        }
        guard let symbols = literalSymbols(op, rhs).map(SymbolSet.init) else { return nil }
        let negate = op == .notEqual
        return { f in
            let s = read(f)
            let r = symbols.contains(s) != negate
            if f.tracing { f.record(id, .bool(r), .symbol(s)) }
            return .bool(r)
        }
    }

    /// `x == "a"`, `x != "a"` and `x in ["a", "b"]` for any text expression (a model output, a
    /// let): integer comparisons, unknown when `x` is.
    mutating func textValueComparison(_ op: BinaryOperator, _ lhs: Expr, _ rhs: Expr, id: Int) -> Eval? {
        guard lhs.type == .string, let symbols = literalSymbols(op, rhs).map(SymbolSet.init) else { return nil }
        let read = operand(lhs)
        let negate = op == .notEqual
        return { f in
            let v = read.read(f)
            guard case .symbol(let s) = v else {
                if f.tracing { f.record(id, .missing, v) }
                return .missing
            }
            let r = symbols.contains(s) != negate
            if f.tracing { f.record(id, .bool(r), v) }
            return .bool(r)
        }
    }

    static func isComparison(_ op: BinaryOperator) -> Bool {
        switch op {
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .in: true
        default: false
        }
    }

    /// Registers a condition node for traces: its text, place, operator, operands and parts.
    mutating func register(_ e: Expr, op: String, operands: [Expr], children: [Int]) -> Int {
        nodes.append(
            ConditionNode(
                text: ExprText.text(e), file: e.span.file, line: e.span.start.line, column: e.span.start.column, op: op,
                operands: operands.map(ExprText.text), children: children))
        nodeBySpan[e.span] = nodes.count - 1
        return nodes.count - 1
    }

    /// `applies_to` without the conjunct its line filter comes from, for the lines the index
    /// admitted (where that conjunct holds): the other conjuncts, as `applies_to` compiled them,
    /// joined by an `and` that records nothing (a traced decision records each conjunct, and the
    /// trace makes the filter's conjunct and the `and`s between them when it is built). Nil when
    /// nothing is left. Unknowns are kept: `true and x` is `x`.
    mutating func residual(_ appliesTo: Expr, _ keys: IndexKeys) -> Eval? {
        defer { conditionBySpan = [:] }
        guard let d = keys.lineAnchor, let span = keys.spans[d] else { return nil }
        let rest = IndexKeys.conjuncts(appliesTo).filter { $0.span != span }.map { conditionBySpan[$0.span]! }
        guard let first = rest.first?.eval else { return nil }
        guard rest.count > 1 else { return first }
        // Left to right, as `and` does: stops at the first false; unknown when a part is and
        // none is false.
        return { f in
            var unknown = false
            for c in rest {
                switch c.eval(f) {
                case .bool(false): return .bool(false)
                case .bool(true): break
                default: unknown = true
                }
            }
            return unknown ? .missing : .bool(true)
        }
    }

    /// Compiles a condition so that, when the frame is tracing, it records its result and the
    /// values its operands had (`and`, `or` and `not` record their parts as a tree). The same
    /// closures decide whether tracing is on or off.
    mutating func condition(_ e: Expr) -> (eval: Eval, node: Int) {
        let c = compileCondition(e)
        conditionBySpan[e.span] = Condition(eval: c.eval)
        return c
    }

    private mutating func compileCondition(_ e: Expr) -> (eval: Eval, node: Int) {
        switch e.kind {
        case .binary(let op, let lhs, let rhs) where op == .and || op == .or:
            let (a, ia) = condition(lhs)
            let (b, ib) = condition(rhs)
            let id = register(e, op: op.rawValue, operands: [], children: [ia, ib])
            // `and` stops at the first false, `or` at the first true; either is unknown when a
            // part is unknown and none decides.
            let decisive = op == .or
            return (
                { f in
                    if f.tracing { f.withTracer { $0.open(id) } }
                    let r: Val
                    let x = a(f)
                    if case .bool(let p) = x, p == decisive {
                        r = .bool(decisive)
                    } else {
                        let y = b(f)
                        if case .bool(let q) = y, q == decisive {
                            r = .bool(decisive)
                        } else if case .bool = x, case .bool = y {
                            r = .bool(!decisive)
                        } else {
                            r = .missing
                        }
                    }
                    if f.tracing { f.withTracer { $0.close(r) } }
                    return r
                }, id
            )
        case .unary(.not, let operand):
            let (a, ia) = condition(operand)
            let id = register(e, op: "not", operands: [], children: [ia])
            return (
                { f in
                    if f.tracing { f.withTracer { $0.open(id) } }
                    let r: Val
                    if case .bool(let b) = a(f) { r = .bool(!b) } else { r = .missing }
                    if f.tracing { f.withTracer { $0.close(r) } }
                    return r
                }, id
            )
        case .binary(let op, let lhs, let rhs) where Self.isComparison(op):
            let id = register(e, op: op.rawValue, operands: [lhs, rhs], children: [])
            if let fast = textComparison(op, lhs, rhs, id: id) { return (fast, id) }
            let a = operand(lhs)
            let b = operand(rhs)
            if let fast = orderedComparison(op, a, b, id: id) { return (fast, id) }
            return (
                { f in
                    let x = a.read(f)
                    let y = b.read(f)
                    let r = Self.comparison(op, x, y, f)
                    if f.tracing { f.record(id, r, x, y) }
                    return r
                }, id
            )
        case .builtin(.clamp, let args) where args.count == 3:
            // Records the value before the clamp and after it.
            let id = register(e, op: "clamp", operands: [args[0], e], children: [])
            let (x, lo, hi) = (compile(args[0]), compile(args[1]), compile(args[2]))
            return (
                { f in
                    let v = x(f)
                    let l = lo(f)
                    let h = hi(f)
                    let r: Val
                    if let a = f.compare(v, l), let b = f.compare(v, h) {
                        r = a < 0 ? l : b > 0 ? h : v
                    } else {
                        r = .missing
                    }
                    if f.tracing { f.record(id, r, v, r) }
                    return r
                }, id
            )
        default:
            let inner = compile(e)
            let id = register(e, op: "value", operands: [e], children: [])
            return (
                { f in
                    let v = inner(f)
                    if f.tracing { f.record(id, v, v) }
                    return v
                }, id
            )
        }
    }

    static func field(_ field: ContextField) -> Eval {
        if let text = textField(field) { return { f in .symbol(text(f)) } }
        switch field.path {
        case "now": return { f in .dateTime(f.request.time) }
        case "customer.is_employee": return { f in .bool(f.request.customer.isEmployee) }
        case "customer.tags": return { f in f.customerTagList() }
        case "customer.orders": return { f in .number(Double(f.request.customer.orders)) }
        case "customer.lifetime_value": return { f in .money(f.request.customer.lifetimeValue) }
        case "customer.first_order_at": return { f in f.request.customer.firstOrderAt.map(Val.dateTime) ?? .missing }
        case "customer.last_order_at": return { f in f.request.customer.lastOrderAt.map(Val.dateTime) ?? .missing }
        case "item.price": return { f in .money(f.lines[f.line].unitPrice) }
        case "item.cost": return { f in .money(f.lines[f.line].cost) }
        case "item.margin":
            return { f in
                let l = f.lines[f.line]
                guard l.unitPrice > 0 else { return .percent(0) }
                return .percent(Int64((Double(l.unitPrice - l.cost) / Double(l.unitPrice) * 1_000_000).rounded()))
            }
        case "item.stock": return { f in .number(Double(f.lines[f.line].stock)) }
        case "item.quantity": return { f in .number(Double(f.lines[f.line].quantity)) }
        case "item.tags": return { f in f.itemTagList() }
        case "cart.subtotal": return { f in .money(f.subtotal) }
        case "cart.quantity": return { f in .number(Double(f.quantity)) }
        case "cart.lines": return { f in .number(Double(f.lines.count)) }
        case "cart.shipping": return { f in .money(f.request.cart.shipping) }
        case "cart.skus": return { f in f.cartSkuList() }
        case "cart.categories": return { f in f.cartCategoryList() }
        case "cart.items": return { f in .list(start: 0, count: 0) }  // only iterated by count/sum/any/all
        default: preconditionFailure("context field \(field.path) has no compiled accessor")
        }
    }

    private mutating func builtin(_ function: BuiltinFunction, _ arguments: [Expr]) -> Eval {
        switch function {
        case .clamp:
            let (x, lo, hi) = (compile(arguments[0]), compile(arguments[1]), compile(arguments[2]))
            return { f in
                let v = x(f)
                let l = lo(f)
                let h = hi(f)
                guard let a = f.compare(v, l), let b = f.compare(v, h) else { return .missing }
                return a < 0 ? l : b > 0 ? h : v
            }
        case .min, .max:
            let parts = arguments.map { compile($0) }
            let wantMin = function == .min
            return { f in
                var best = parts[0](f)
                for p in parts.dropFirst() {
                    let v = p(f)
                    guard let c = f.compare(v, best) else { return .missing }
                    if wantMin ? c < 0 : c > 0 { best = v }
                }
                return best
            }
        case .daysSince:
            let a = compile(arguments[0])
            return { f in
                guard case .dateTime(let t) = a(f) else { return .missing }
                return .number(Double(f.request.time - t) / 86_400)
            }
        case .count, .sum, .any, .all:
            let predicate = arguments.count > 1 ? compile(arguments[1]) : nil
            return { f in
                // The predicate runs once per line; a trace shows the total, not each run.
                let saved = f.line
                let tracing = f.tracing
                f.tracing = false
                defer {
                    f.line = saved
                    f.tracing = tracing
                }
                var units = 0.0
                var money: Int64 = 0
                var isMoney = false
                var sawMissing = false
                for i in f.lines.indices {
                    f.line = i
                    let v = predicate?(f) ?? Val.bool(true)
                    switch (function, v) {
                    case (.count, .bool(true)): units += Double(f.lines[i].quantity)
                    case (.any, .bool(true)): return .bool(true)
                    case (.all, .bool(false)): return .bool(false)
                    case (.sum, .number(let n)): units += n
                    case (.sum, .money(let m)):
                        isMoney = true
                        let (s, o) = money.addingReportingOverflow(m)
                        if o {
                            f.overflow = true
                            return .missing
                        }
                        money = s
                    case (_, .missing): sawMissing = true
                    default: break
                    }
                }
                if sawMissing { return .missing }
                switch function {
                case .any: return .bool(false)
                case .all: return .bool(true)
                case .sum: return isMoney ? .money(money) : (f.lines.isEmpty ? .number(0) : .number(units))
                default: return .number(units)
                }
            }
        }
    }

    /// Comparisons and arithmetic (`and` and `or` are conditions, compiled by `condition`).
    private func binary(_ op: BinaryOperator, _ a: @escaping Eval, _ b: @escaping Eval) -> Eval {
        switch op {
        case .and, .or: preconditionFailure("and/or compile through condition(_:)")
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .in:
            return { f in Self.comparison(op, a(f), b(f), f) }
        case .add, .subtract, .multiply, .divide:
            return { f in Self.arithmetic(op, a(f), b(f), f) }
        }
    }

    /// A comparison of two values: `==`, `!=`, ordering, `in`; unknown when an operand is.
    static func comparison(_ op: BinaryOperator, _ x: Val, _ y: Val, _ f: Frame) -> Val {
        switch op {
        case .equal, .notEqual:
            guard let e = f.equal(x, y) else { return .missing }
            return .bool(e != (op == .notEqual))
        case .in:
            guard !x.isMissing, case .list(let start, let count) = y else { return .missing }
            var sawMissing = false
            for k in Int(start)..<Int(start + count) {
                switch f.equal(x, f.arena[k]) {
                case true?: return .bool(true)
                case nil: sawMissing = true
                default: break
                }
            }
            return sawMissing ? .missing : .bool(false)
        default:
            guard let c = f.compare(x, y) else { return .missing }
            switch op {
            case .less: return .bool(c < 0)
            case .lessEqual: return .bool(c <= 0)
            case .greater: return .bool(c > 0)
            default: return .bool(c >= 0)
            }
        }
    }

    static func arithmetic(_ op: BinaryOperator, _ x: Val, _ y: Val, _ f: Frame) -> Val {
        func checked(_ r: (Int64, Bool), _ wrap: (Int64) -> Val) -> Val {
            if r.1 {
                f.overflow = true
                return .missing
            }
            return wrap(r.0)
        }
        switch (op, x, y) {
        case (.add, .number(let p), .number(let q)): return .number(p + q)
        case (.subtract, .number(let p), .number(let q)): return .number(p - q)
        case (.multiply, .number(let p), .number(let q)): return .number(p * q)
        case (.divide, .number(let p), .number(let q)): return q == 0 ? .missing : .number(p / q)
        case (.add, .money(let p), .money(let q)): return checked(p.addingReportingOverflow(q), Val.money)
        case (.subtract, .money(let p), .money(let q)): return checked(p.subtractingReportingOverflow(q), Val.money)
        case (.add, .percent(let p), .percent(let q)): return checked(p.addingReportingOverflow(q), Val.percent)
        case (.subtract, .percent(let p), .percent(let q)):
            return checked(p.subtractingReportingOverflow(q), Val.percent)
        case (.add, .duration(let p), .duration(let q)): return checked(p.addingReportingOverflow(q), Val.duration)
        case (.subtract, .duration(let p), .duration(let q)):
            return checked(p.subtractingReportingOverflow(q), Val.duration)
        case (.add, .dateTime(let p), .duration(let q)): return checked(p.addingReportingOverflow(q), Val.dateTime)
        case (.subtract, .dateTime(let p), .duration(let q)):
            return checked(p.subtractingReportingOverflow(q), Val.dateTime)
        case (.subtract, .dateTime(let p), .dateTime(let q)):
            return checked(p.subtractingReportingOverflow(q), Val.duration)
        case (.multiply, .money(let m), .number(let n)), (.multiply, .number(let n), .money(let m)):
            return Rounding.scale(m, by: n, f.rounding).map(Val.money) ?? overflow(f)
        case (.multiply, .money(let m), .percent(let p)), (.multiply, .percent(let p), .money(let m)):
            return Rounding.apply(p, to: m, f.rounding).map(Val.money) ?? overflow(f)
        case (.multiply, .percent(let p), .number(let n)), (.multiply, .number(let n), .percent(let p)):
            return Rounding.scale(p, by: n, .halfEven).map(Val.percent) ?? overflow(f)
        case (.multiply, .duration(let d), .number(let n)), (.multiply, .number(let n), .duration(let d)):
            return Rounding.scale(d, by: n, .halfEven).map(Val.duration) ?? overflow(f)
        case (.divide, .money(let p), .money(let q)): return q == 0 ? .missing : .number(Double(p) / Double(q))
        case (.divide, .duration(let p), .duration(let q)): return q == 0 ? .missing : .number(Double(p) / Double(q))
        case (.divide, .percent(let p), .percent(let q)): return q == 0 ? .missing : .number(Double(p) / Double(q))
        case (.divide, .money(let m), .number(let n)):
            return n == 0 ? .missing : Rounding.scale(m, by: 1 / n, f.rounding).map(Val.money) ?? overflow(f)
        case (.divide, .percent(let p), .number(let n)):
            return n == 0 ? .missing : Rounding.scale(p, by: 1 / n, .halfEven).map(Val.percent) ?? overflow(f)
        default: return .missing
        }
    }

    private static func overflow(_ f: Frame) -> Val {
        f.overflow = true
        return .missing
    }
}
