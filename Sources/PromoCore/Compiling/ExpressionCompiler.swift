import PromoDSL

/// A compiled expression: a closure tree with every path resolved to a property or slot.
typealias Eval = @Sendable (Frame) -> Value

/// A model output the rules read, with its fixed arguments; one slot per distinct call.
struct ModelSlot: Sendable, Hashable {
    var reference: ModelReference
    var arguments: [Value]
    /// `namespace.function`, as queries and records name it; computed once, not per decision.
    let function: String

    init(reference: ModelReference, arguments: [Value]) {
        self.reference = reference
        self.arguments = arguments
        self.function = "\(reference.namespace).\(reference.function)"
    }

    var perItem: Bool { reference.per == .item || reference.per == .customerItem }
    var perCustomer: Bool { reference.per == .customer || reference.per == .customerItem }
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

    mutating func slot(for reference: ModelReference, arguments: [Value]) -> Int {
        let key = ModelSlot(reference: reference, arguments: arguments)
        if let i = slotIndex[key] { return i }
        modelSlots.append(key)
        slotIndex[key] = modelSlots.count - 1
        return modelSlots.count - 1
    }

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

    mutating func compile(_ e: Expr) -> Eval {
        if let v = Self.literal(e) { return { _ in v } }
        switch e.kind {
        case .list(let items):
            let parts = items.map { compile($0) }
            if parts.isEmpty { return { _ in .list([]) } }
            let constants = items.compactMap(Self.literal)
            if constants.count == items.count { return { _ in .list(constants) } }
            return { f in .list(parts.map { $0(f) }) }
        case .name(let parts):
            // Only `item` stays a name after checking.
            precondition(parts == ["item"], "unresolved name \(parts)")
            return { f in .string(f.lines[f.line].sku) }
        case .field(let field): return Self.field(field)
        case .letRef(let name):
            guard let binding = lets[name] else { return { _ in .missing } }
            if binding.needsItem { return binding.body }
            let slot = binding.slot
            let body = binding.body
            return { f in
                if let v = f.lets[slot] { return v }
                let before = f.missingSlots.count
                let v = body(f)
                // A value that read a missing output may differ per offer (fallbacks): do not cache it.
                if f.missingSlots.count == before { f.lets[slot] = v }
                return v
            }
        case .model(let reference, let arguments):
            let s = slot(
                for: reference, arguments: arguments.filter { $0.type != .item }.map { Self.literal($0) ?? .missing })
            usedSlots.insert(s)
            let perItem = modelSlots[s].perItem
            return { f in
                let column = f.models[s]
                let v = column.isEmpty ? Value.missing : column[perItem ? f.line : 0]
                if case .missing = v {
                    f.missingSlots.append(s)
                    f.missingReads.insert(s << 16 | (perItem ? f.line : 0))
                    return f.fallback ?? .missing
                }
                return v
            }
        case .builtin(let function, let arguments): return builtin(function, arguments)
        case .unary(.not, let operand):
            let a = compile(operand)
            return { f in
                switch a(f) {
                case .bool(let b): .bool(!b)
                default: .missing
                }
            }
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
            if let fast = Self.textComparison(op, lhs, rhs) { return fast }
            return binary(op, compile(lhs), compile(rhs))
        default:
            return { _ in .missing }
        }
    }

    /// Reads a text field without wrapping it in a `Value`, for the common `field == "x"` and
    /// `field in ["x", "y"]` conditions (no reference counting on the hot path).
    static func textField(_ field: ContextField) -> (@Sendable (Frame) -> String)? {
        switch field.path {
        case "channel": { f in f.request.channel }
        case "customer.id": { f in f.request.customer.id }
        case "customer.tier": { f in f.request.customer.tier }
        case "customer.country": { f in f.request.customer.country }
        case "item.sku": { f in f.lines[f.line].sku }
        case "item.title": { f in f.lines[f.line].entry.item.title }
        case "item.category": { f in f.lines[f.line].entry.item.category }
        case "item.brand": { f in f.lines[f.line].entry.item.brand }
        default: nil
        }
    }

    static func textComparison(_ op: BinaryOperator, _ lhs: Expr, _ rhs: Expr) -> Eval? {
        guard case .field(let field) = lhs.kind, let read = textField(field) else { return nil }
        switch (op, rhs.kind) {
        case (.equal, .string(let s)): return { f in .bool(read(f) == s) }
        case (.notEqual, .string(let s)): return { f in .bool(read(f) != s) }
        case (.in, .list(let items)):
            let values = items.compactMap { if case .string(let s) = $0.kind { s } else { nil } }
            guard values.count == items.count else { return nil }
            return { f in
                let v = read(f)
                for candidate in values where candidate == v { return .bool(true) }
                return .bool(false)
            }
        default: return nil
        }
    }

    static func field(_ field: ContextField) -> Eval {
        switch field.path {
        case "now": return { f in .dateTime(f.request.time) }
        case "channel": return { f in .string(f.request.channel) }
        case "customer.id": return { f in .string(f.request.customer.id) }
        case "customer.is_employee": return { f in .bool(f.request.customer.isEmployee) }
        case "customer.tier": return { f in .string(f.request.customer.tier) }
        case "customer.country": return { f in .string(f.request.customer.country) }
        case "customer.tags": return { f in .list(f.request.customer.tags.map(Value.string)) }
        case "customer.orders": return { f in .number(Double(f.request.customer.orders)) }
        case "customer.lifetime_value": return { f in .money(f.request.customer.lifetimeValue) }
        case "customer.first_order_at": return { f in f.request.customer.firstOrderAt.map(Value.dateTime) ?? .missing }
        case "customer.last_order_at": return { f in f.request.customer.lastOrderAt.map(Value.dateTime) ?? .missing }
        case "item.sku": return { f in .string(f.lines[f.line].sku) }
        case "item.title": return { f in .string(f.lines[f.line].item.title) }
        case "item.category": return { f in .string(f.lines[f.line].item.category) }
        case "item.brand": return { f in .string(f.lines[f.line].item.brand) }
        case "item.price": return { f in .money(f.lines[f.line].unitPrice) }
        case "item.cost": return { f in .money(f.lines[f.line].item.cost) }
        case "item.margin":
            return { f in
                let l = f.lines[f.line]
                guard l.unitPrice > 0 else { return .percent(0) }
                return .percent(Int64((Double(l.unitPrice - l.item.cost) / Double(l.unitPrice) * 1_000_000).rounded()))
            }
        case "item.stock": return { f in .number(Double(f.lines[f.line].item.stock)) }
        case "item.quantity": return { f in .number(Double(f.lines[f.line].quantity)) }
        case "item.tags": return { f in .list(f.lines[f.line].item.tags.map(Value.string)) }
        case "cart.subtotal": return { f in .money(f.subtotal) }
        case "cart.quantity": return { f in .number(Double(f.quantity)) }
        case "cart.lines": return { f in .number(Double(f.lines.count)) }
        case "cart.shipping": return { f in .money(f.request.cart.shipping) }
        case "cart.skus": return { f in .list(f.skus) }
        case "cart.categories": return { f in .list(f.categories) }
        case "cart.items": return { _ in .list([]) }  // only iterated by count/sum/any/all
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
                guard let a = Value.compare(v, l), let b = Value.compare(v, h) else { return .missing }
                return a < 0 ? l : b > 0 ? h : v
            }
        case .min, .max:
            let parts = arguments.map { compile($0) }
            let wantMin = function == .min
            return { f in
                var best = parts[0](f)
                for p in parts.dropFirst() {
                    let v = p(f)
                    guard let c = Value.compare(v, best) else { return .missing }
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
                let saved = f.line
                defer { f.line = saved }
                var units = 0.0
                var money: Int64 = 0
                var isMoney = false
                var sawMissing = false
                for i in f.lines.indices {
                    f.line = i
                    let v = predicate?(f) ?? .bool(true)
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

    private func binary(_ op: BinaryOperator, _ a: @escaping Eval, _ b: @escaping Eval) -> Eval {
        switch op {
        case .and:
            return { f in
                let x = a(f)
                if case .bool(false) = x { return .bool(false) }
                let y = b(f)
                if case .bool(false) = y { return .bool(false) }
                if case .bool(true) = x, case .bool(true) = y { return .bool(true) }
                return .missing
            }
        case .or:
            return { f in
                let x = a(f)
                if case .bool(true) = x { return .bool(true) }
                let y = b(f)
                if case .bool(true) = y { return .bool(true) }
                if case .bool(false) = x, case .bool(false) = y { return .bool(false) }
                return .missing
            }
        case .equal, .notEqual:
            let negate = op == .notEqual
            return { f in
                let x = a(f)
                let y = b(f)
                if x.isMissing || y.isMissing { return .missing }
                return .bool((x == y) != negate)
            }
        case .less, .lessEqual, .greater, .greaterEqual:
            return { f in
                guard let c = Value.compare(a(f), b(f)) else { return .missing }
                switch op {
                case .less: return .bool(c < 0)
                case .lessEqual: return .bool(c <= 0)
                case .greater: return .bool(c > 0)
                default: return .bool(c >= 0)
                }
            }
        case .in:
            return { f in
                let x = a(f)
                guard !x.isMissing, case .list(let items) = b(f) else { return .missing }
                return .bool(items.contains(x))
            }
        case .add, .subtract, .multiply, .divide:
            return { f in Self.arithmetic(op, a(f), b(f), f) }
        }
    }

    static func arithmetic(_ op: BinaryOperator, _ x: Value, _ y: Value, _ f: Frame) -> Value {
        func checked(_ r: (Int64, Bool), _ wrap: (Int64) -> Value) -> Value {
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
        case (.add, .money(let p), .money(let q)): return checked(p.addingReportingOverflow(q), Value.money)
        case (.subtract, .money(let p), .money(let q)): return checked(p.subtractingReportingOverflow(q), Value.money)
        case (.add, .percent(let p), .percent(let q)): return checked(p.addingReportingOverflow(q), Value.percent)
        case (.subtract, .percent(let p), .percent(let q)):
            return checked(p.subtractingReportingOverflow(q), Value.percent)
        case (.add, .duration(let p), .duration(let q)): return checked(p.addingReportingOverflow(q), Value.duration)
        case (.subtract, .duration(let p), .duration(let q)):
            return checked(p.subtractingReportingOverflow(q), Value.duration)
        case (.add, .dateTime(let p), .duration(let q)): return checked(p.addingReportingOverflow(q), Value.dateTime)
        case (.subtract, .dateTime(let p), .duration(let q)):
            return checked(p.subtractingReportingOverflow(q), Value.dateTime)
        case (.subtract, .dateTime(let p), .dateTime(let q)):
            return checked(p.subtractingReportingOverflow(q), Value.duration)
        case (.multiply, .money(let m), .number(let n)), (.multiply, .number(let n), .money(let m)):
            return Rounding.scale(m, by: n, f.rounding).map(Value.money) ?? overflow(f)
        case (.multiply, .money(let m), .percent(let p)), (.multiply, .percent(let p), .money(let m)):
            return Rounding.apply(p, to: m, f.rounding).map(Value.money) ?? overflow(f)
        case (.multiply, .percent(let p), .number(let n)), (.multiply, .number(let n), .percent(let p)):
            return Rounding.scale(p, by: n, .halfEven).map(Value.percent) ?? overflow(f)
        case (.multiply, .duration(let d), .number(let n)), (.multiply, .number(let n), .duration(let d)):
            return Rounding.scale(d, by: n, .halfEven).map(Value.duration) ?? overflow(f)
        case (.divide, .money(let p), .money(let q)): return q == 0 ? .missing : .number(Double(p) / Double(q))
        case (.divide, .duration(let p), .duration(let q)): return q == 0 ? .missing : .number(Double(p) / Double(q))
        case (.divide, .percent(let p), .percent(let q)): return q == 0 ? .missing : .number(Double(p) / Double(q))
        case (.divide, .money(let m), .number(let n)):
            return n == 0 ? .missing : Rounding.scale(m, by: 1 / n, f.rounding).map(Value.money) ?? overflow(f)
        case (.divide, .percent(let p), .number(let n)):
            return n == 0 ? .missing : Rounding.scale(p, by: 1 / n, .halfEven).map(Value.percent) ?? overflow(f)
        default: return .missing
        }
    }

    private static func overflow(_ f: Frame) -> Value {
        f.overflow = true
        return .missing
    }
}
