import PromoDSL

/// Expressions written back as rules text, for traces: `cart.subtotal >= 300 CNY`.
enum ExprText {
    static func precedence(_ op: BinaryOperator) -> Int {
        switch op {
        case .or: 1
        case .and: 2
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .in: 4
        case .add, .subtract: 5
        case .multiply, .divide: 6
        }
    }

    static func text(_ e: Expr) -> String { text(e, parent: 0) }

    private static func text(_ e: Expr, parent: Int) -> String {
        switch e.kind {
        case .number(_, let t): return t
        case .string(let s): return "\"\(s)\""
        case .bool(let b): return String(b)
        case .money(let m): return m.description
        case .percent(let p): return p.description
        case .duration(let d): return d.description
        case .dateTime(let d): return d.description
        case .list(let items): return "[" + items.map { text($0, parent: 0) }.joined(separator: ", ") + "]"
        case .name(let parts): return parts.joined(separator: ".")
        case .call(let callee, let args):
            return callee.joined(separator: ".") + "(" + args.map { text($0, parent: 0) }.joined(separator: ", ") + ")"
        case .unary(.not, let a): return "not " + text(a, parent: 7)
        case .unary(.negate, let a): return "-" + text(a, parent: 7)
        case .binary(let op, let a, let b):
            let p = precedence(op)
            let s = text(a, parent: p) + " \(op.rawValue) " + text(b, parent: p + 1)
            return p < parent ? "(\(s))" : s
        case .field(let f): return f.path
        case .letRef(let name): return name
        case .model(let ref, let args):
            if args.isEmpty { return "\(ref.namespace).\(ref.function)" }
            return "\(ref.namespace).\(ref.function)(" + args.map { text($0, parent: 0) }.joined(separator: ", ") + ")"
        case .builtin(let fn, let args):
            return fn.rawValue + "(" + args.map { text($0, parent: 0) }.joined(separator: ", ") + ")"
        }
    }
}
