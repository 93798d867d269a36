/// Folds bool expressions made only of literals, to warn about conditions that can never hold.
enum ConstantFolding {
    static func bool(_ e: Expr) -> Bool? {
        switch e.kind {
        case .bool(let b): return b
        case .unary(.not, let a): return bool(a).map { !$0 }
        case .binary(.and, let a, let b):
            let (x, y) = (bool(a), bool(b))
            if x == false || y == false { return false }
            if let x, let y { return x && y }
            return nil
        case .binary(.or, let a, let b):
            let (x, y) = (bool(a), bool(b))
            if x == true || y == true { return true }
            if let x, let y { return x || y }
            return nil
        case .binary(let op, let a, let b):
            if op == .in, case .list(let items) = b.kind {
                if items.isEmpty { return false }
                guard let x = literal(a) else { return nil }
                let values = items.map(literal)
                if values.contains(where: { $0 == nil }) { return nil }
                return values.contains { $0! == x }
            }
            guard let x = literal(a), let y = literal(b), x.0 == y.0 else { return nil }
            switch op {
            case .equal: return x == y
            case .notEqual: return x != y
            case .less: return x.1 < y.1
            case .lessEqual: return x.1 <= y.1
            case .greater: return x.1 > y.1
            case .greaterEqual: return x.1 >= y.1
            default: return nil
            }
        default: return nil
        }
    }

    /// A literal as (kind, comparable value).
    private static func literal(_ e: Expr) -> (String, Double)? {
        switch e.kind {
        case .number(let v, _): ("number", v)
        case .money(let m): ("money:\(m.currency)", Double(m.minorUnits))
        case .percent(let p): ("percent", Double(p.partsPerMillion))
        case .duration(let d): ("duration", Double(d.seconds))
        case .string(let s): ("string:\(s)", 0)
        case .bool(let b): ("bool", b ? 1 : 0)
        default: nil
        }
    }
}
