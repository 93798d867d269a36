/// Resolves names and checks types of expressions against the context schema, the campaign's
/// `let` bindings and the functions that bound plugins declare.
///
/// Cost is bounded: at most `maxNodes` nodes per expression, and iteration over `cart.items`
/// (`count`, `sum`, `any`, `all`) one level deep only, so evaluation is O(nodes x cart lines).
struct ExpressionChecker {
    static let maxNodes = 256

    struct LetInfo {
        var type: ValueType
        var needsItem: Bool
        var span: SourceSpan
    }

    /// What is in scope where an expression is written.
    struct Scope {
        var itemInScope: Bool
        /// Why there is no item, for the message: "when", "a let", ...
        var place: String
        var lets: [String: LetInfo] = [:]
        /// Lets defined later in the campaign (using one is an ordering error).
        var laterLets: Set<String> = []
        var inPredicate = false
    }

    let currency: String
    /// Bound plugins by the namespace rules use.
    let namespaces: [String: (binding: ModelBinding, manifest: PluginManifest)]
    /// Roles and namespaces that exist but are not bound in promo.yaml.
    let unboundNamespaces: [String: String]
    var bag: DiagnosticBag
    var usedLets: Set<String> = []
    /// Plugin fields under context namespaces (`customer.segment`) whose role is not bound.
    var unboundFields: [String: String] = [:]

    /// Checks `expr` in place; returns whether it reads the item in scope.
    @discardableResult
    mutating func check(_ expr: inout Expr, expecting expected: ValueType?, scope: Scope, what: String) -> Bool {
        var count = 0
        countNodes(expr, &count)
        if count > Self.maxNodes {
            bag.add(
                .expressionTooCostly, "\(what) has \(count) parts; the limit is \(Self.maxNodes)", at: expr.span,
                hint: "split it into let bindings")
            expr.type = .error
            return false
        }
        let needsItem = resolve(&expr, scope)
        if let expected, !expr.type.isError, expr.type != expected {
            if case .number = expr.type, case .number(_, let text) = expr.kind,
                expected == .percent || expected == .money
            {
                let fix = expected == .percent ? "\(text)%" : "\(text) \(currency)"
                bag.add(
                    .missingUnit, "\(what) needs a \(expected), not a bare number", at: expr.span, hint: "write \(fix)")
            } else {
                bag.add(
                    .typeMismatch, "\(what) must be \(article(expected)), but this is \(article(expr.type))",
                    at: expr.span)
            }
            expr.type = .error
        }
        return needsItem
    }

    private func countNodes(_ e: Expr, _ n: inout Int) {
        n += 1
        switch e.kind {
        case .list(let items): items.forEach { countNodes($0, &n) }
        case .call(_, let args), .model(_, let args), .builtin(_, let args): args.forEach { countNodes($0, &n) }
        case .unary(_, let a): countNodes(a, &n)
        case .binary(_, let a, let b):
            countNodes(a, &n)
            countNodes(b, &n)
        default: break
        }
    }

    func article(_ t: ValueType) -> String {
        if t == .money { return "money" }
        let s = t.description
        return (["a", "e", "i", "o", "u"].contains(s.first.map(String.init) ?? "") ? "an " : "a ") + s
    }

    private mutating func resolve(_ e: inout Expr, _ scope: Scope) -> Bool {
        switch e.kind {
        case .number, .string, .bool, .percent, .duration, .dateTime:
            return false
        case .money(let m):
            if m.currency != currency {
                bag.add(
                    .wrongCurrency, "\(m) is in \(m.currency) but the workspace currency is \(currency)", at: e.span,
                    hint: "write the amount in \(currency)")
                e.type = .error
            }
            return false
        case .list(var items):
            var needs = false
            var elementType: ValueType?
            for i in items.indices {
                needs = resolve(&items[i], scope) || needs
                let t = items[i].type
                if t.isError { continue }
                if let et = elementType, et != t {
                    bag.add(
                        .typeMismatch, "list items must all have one type; this is \(article(t)) after \(article(et))",
                        at: items[i].span)
                } else {
                    elementType = t
                }
            }
            if items.count > 1000 {
                bag.add(.expressionTooCostly, "list has \(items.count) items; the limit is 1000", at: e.span)
            }
            e.kind = .list(items)
            e.type = .list(elementType ?? .error)
            return needs
        case .name(let parts):
            return resolveName(&e, parts, scope)
        case .call(let callee, var args):
            var needs = false
            for i in args.indices where !isIterationPredicate(callee, i) {
                needs = resolve(&args[i], scope) || needs
            }
            return resolveCall(&e, callee, &args, scope) || needs
        case .unary(let op, var operand):
            let needs = resolve(&operand, scope)
            e.kind = .unary(op, operand)
            if operand.type.isError { return needs }
            switch op {
            case .not:
                if operand.type == .bool {
                    e.type = .bool
                } else {
                    bag.add(.typeMismatch, "'not' needs a bool, but this is \(article(operand.type))", at: operand.span)
                }
            case .negate:
                if [.number, .money, .percent, .duration].contains(operand.type) {
                    e.type = operand.type
                } else {
                    bag.add(.typeMismatch, "cannot negate \(article(operand.type))", at: operand.span)
                }
            }
            return needs
        case .binary(let op, var lhs, var rhs):
            let leftNeeds = resolve(&lhs, scope)
            let rightNeeds = resolve(&rhs, scope)
            let needs = leftNeeds || rightNeeds
            e.kind = .binary(op, lhs, rhs)
            if lhs.type.isError || rhs.type.isError { return needs }
            if let t = binaryType(op, lhs, rhs) {
                e.type = t
            } else {
                let verb: String
                switch op {
                case .and, .or:
                    verb = "'\(op.rawValue)' needs bools, but has \(article(lhs.type)) and \(article(rhs.type))"
                case .in: verb = "'in' needs a list of \(lhs.type) on its right, but has \(article(rhs.type))"
                case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual:
                    verb = "cannot compare \(article(lhs.type)) with \(article(rhs.type))"
                default: verb = "cannot apply '\(op.rawValue)' to \(article(lhs.type)) and \(article(rhs.type))"
                }
                bag.add(.typeMismatch, verb, at: e.span, hint: unitHint(lhs, rhs))
            }
            return needs
        case .field, .letRef, .model, .builtin:
            return false
        }
    }

    private func unitHint(_ a: Expr, _ b: Expr) -> String? {
        for (lit, other) in [(a, b), (b, a)] {
            if case .number(_, let text) = lit.kind {
                if other.type == .money { return "write \(text) \(currency)" }
                if other.type == .percent { return "write \(text)%" }
            }
        }
        return nil
    }

    private func binaryType(_ op: BinaryOperator, _ l: Expr, _ r: Expr) -> ValueType? {
        let a = l.type
        let b = r.type
        let numeric: Set<ValueType> = [.number, .money, .percent, .duration]
        switch op {
        case .and, .or: return a == .bool && b == .bool ? .bool : nil
        case .equal, .notEqual:
            return a == b && a != .item ? .bool : nil
        case .less, .lessEqual, .greater, .greaterEqual:
            return a == b && (numeric.contains(a) || a == .dateTime || a == .string) ? .bool : nil
        case .in:
            if case .list(let inner) = b, inner == a || inner == .error { return .bool }
            return nil
        case .add, .subtract:
            if a == b && numeric.contains(a) { return a }
            if a == .dateTime && b == .duration { return .dateTime }
            if op == .subtract && a == .dateTime && b == .dateTime { return .duration }
            return nil
        case .multiply:
            switch (a, b) {
            case (.number, .number): return .number
            case (.money, .number), (.number, .money), (.money, .percent), (.percent, .money): return .money
            case (.percent, .number), (.number, .percent): return .percent
            case (.duration, .number), (.number, .duration): return .duration
            default: return nil
            }
        case .divide:
            switch (a, b) {
            case (.number, .number), (.money, .money), (.duration, .duration), (.percent, .percent): return .number
            case (.money, .number): return .money
            case (.percent, .number): return .percent
            default: return nil
            }
        }
    }

    private func isIterationPredicate(_ callee: [String], _ index: Int) -> Bool {
        callee.count == 1 && ["count", "sum", "any", "all"].contains(callee[0]) && index == 1
    }

    private mutating func resolveName(_ e: inout Expr, _ parts: [String], _ scope: Scope) -> Bool {
        let path = parts.joined(separator: ".")
        if parts == ["item"] {
            guard scope.itemInScope else {
                itemOutOfScope(e.span, "'item'", scope)
                return false
            }
            e.type = .item
            return true
        }
        if parts.count == 1, let info = scope.lets[parts[0]] {
            usedLets.insert(parts[0])
            if info.needsItem && !scope.itemInScope {
                bag.add(
                    .itemOutOfScope, "'\(parts[0])' reads the item, but \(scope.place) has no item in scope",
                    at: e.span,
                    hint: "use it in applies_to or a value expression, or inside any(cart.items, ...)",
                    notes: [.init("'\(parts[0])' is defined here", at: info.span.location)])
                return false
            }
            e.kind = .letRef(parts[0])
            e.type = info.type
            return info.needsItem
        }
        if parts.count == 1, scope.laterLets.contains(parts[0]) {
            bag.add(
                .unknownName, "'\(parts[0])' is used before its let binding", at: e.span,
                hint: "move the let binding above this one")
            return false
        }
        if let field = ContextSchema.byPath[path] {
            if field.needsItem && !scope.itemInScope {
                itemOutOfScope(e.span, "'\(path)'", scope)
                return false
            }
            e.kind = .field(field)
            e.type = field.type
            return field.needsItem
        }
        if parts.count == 2, let bound = namespaces[parts[0]],
            let fn = bound.manifest.functions.first(where: { $0.name == parts[1] })
        {
            guard fn.isField else {
                bag.add(
                    .wrongArguments, "'\(path)' is a function; call it", at: e.span,
                    hint: "write \(path)(\(fn.parameters.map(\.name).joined(separator: ", ")))")
                return false
            }
            e.kind = .model(reference(bound, fn), arguments: [])
            e.type = fn.result
            return false
        }
        if let role = unboundFields[path] ?? (parts.count >= 2 ? unboundNamespaces[parts[0]] : nil) {
            modelNotConfigured(e.span, path, role)
            return false
        }
        var candidates = ContextSchema.fields.map(\.path) + scope.lets.keys
        for (ns, bound) in namespaces {
            candidates += bound.manifest.functions.map { "\(ns).\($0.name)" }
        }
        if scope.itemInScope { candidates.append("item") }
        bag.add(.unknownName, "unknown name '\(path)'", at: e.span, hint: Suggestions.hint(for: path, in: candidates))
        return false
    }

    private mutating func itemOutOfScope(_ span: SourceSpan, _ what: String, _ scope: Scope) {
        bag.add(
            .itemOutOfScope, "\(what) needs an item, but \(scope.place) has no item in scope", at: span,
            hint: "move the condition to applies_to, or test the cart with any(cart.items, ...)")
    }

    private mutating func modelNotConfigured(_ span: SourceSpan, _ path: String, _ role: String) {
        bag.add(
            .modelNotConfigured,
            "'\(path)' needs a model for the role '\(role)', but promo.yaml binds no plugin to '\(role)'", at: span,
            hint: "add it under models: in promo.yaml, e.g. \(role): <plugin name>")
    }

    private func reference(_ bound: (binding: ModelBinding, manifest: PluginManifest), _ fn: ModelFunction)
        -> ModelReference
    {
        ModelReference(
            role: bound.binding.role, plugin: bound.manifest.name, namespace: bound.manifest.namespace,
            function: fn.name, result: fn.result, per: fn.per)
    }

    private mutating func resolveCall(_ e: inout Expr, _ callee: [String], _ args: inout [Expr], _ scope: Scope) -> Bool
    {
        let path = callee.joined(separator: ".")
        if callee.count == 1 {
            guard let builtin = BuiltinFunction(rawValue: callee[0]) else {
                bag.add(
                    .unknownName, "unknown function '\(path)'", at: e.span,
                    hint: Suggestions.hint(for: path, in: BuiltinFunction.allCases.map(\.rawValue)))
                return false
            }
            let needs = checkBuiltin(&e, builtin, &args, scope)
            e.kind = .builtin(builtin, arguments: args)
            return needs
        }
        if callee.count == 2, let bound = namespaces[callee[0]] {
            guard let fn = bound.manifest.functions.first(where: { $0.name == callee[1] }) else {
                bag.add(
                    .unknownName, "plugin '\(bound.manifest.name)' has no function '\(callee[1])'", at: e.span,
                    hint: Suggestions.hint(for: callee[1], in: bound.manifest.functions.map(\.name)),
                    notes: [.init("its functions are declared here", at: bound.manifest.span.location)])
                return false
            }
            if fn.isField {
                bag.add(
                    .wrongArguments, "'\(path)' is a field; read it without parentheses", at: e.span,
                    hint: "write \(path)")
                return false
            }
            guard args.count == fn.parameters.count else {
                let signature =
                    "\(path)(" + fn.parameters.map { "\($0.name): \($0.type)" }.joined(separator: ", ") + ")"
                bag.add(
                    .wrongArguments,
                    "'\(path)' takes \(fn.parameters.count) argument\(fn.parameters.count == 1 ? "" : "s"), not \(args.count)",
                    at: e.span, hint: "write \(signature)")
                return false
            }
            var needs = false
            for (i, p) in fn.parameters.enumerated() where !args[i].type.isError {
                if args[i].type != p.type {
                    bag.add(
                        .typeMismatch,
                        "argument '\(p.name)' of '\(path)' must be \(article(p.type)), but this is \(article(args[i].type))",
                        at: args[i].span)
                    return false
                }
                if p.type == .item {
                    needs = true
                    guard case .name(["item"]) = args[i].kind else {
                        bag.add(.wrongArguments, "argument '\(p.name)' of '\(path)' must be 'item'", at: args[i].span)
                        return false
                    }
                } else if !args[i].isLiteral {
                    // Outputs are gathered before rules run, so their arguments must be known then.
                    bag.add(
                        .wrongArguments,
                        "argument '\(p.name)' of '\(path)' must be a literal such as \(p.type.example)",
                        at: args[i].span,
                        hint: "model outputs are fetched before rules run, so their arguments are fixed")
                    return false
                }
            }
            e.kind = .model(reference(bound, fn), arguments: args)
            e.type = fn.result
            return needs
        }
        if let role = unboundNamespaces[callee[0]] {
            modelNotConfigured(e.span, path, role)
            return false
        }
        var candidates: [String] = BuiltinFunction.allCases.map(\.rawValue)
        for (ns, bound) in namespaces { candidates += bound.manifest.functions.map { "\(ns).\($0.name)" } }
        bag.add(
            .unknownName, "unknown function '\(path)'", at: e.span, hint: Suggestions.hint(for: path, in: candidates))
        return false
    }

    private mutating func checkBuiltin(_ e: inout Expr, _ f: BuiltinFunction, _ args: inout [Expr], _ scope: Scope)
        -> Bool
    {
        func arity(_ range: ClosedRange<Int>, _ signature: String) -> Bool {
            if range.contains(args.count) { return true }
            bag.add(
                .wrongArguments,
                "'\(f.rawValue)' takes \(range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)") arguments, not \(args.count)",
                at: e.span, hint: "write \(signature)")
            return false
        }
        let iterates = [.count, .sum, .any, .all].contains(f)
        if !iterates && args.contains(where: { $0.type.isError }) { return false }
        switch f {
        case .clamp, .min, .max:
            let signature = f == .clamp ? "clamp(value, low, high)" : "\(f.rawValue)(a, b, ...)"
            guard arity(f == .clamp ? 3...3 : 2...16, signature) else { return false }
            let t = args[0].type
            guard [.number, .money, .percent, .duration, .dateTime].contains(t) else {
                bag.add(
                    .typeMismatch,
                    "'\(f.rawValue)' needs numbers, money, percents, durations or date-times, not \(article(t))",
                    at: args[0].span)
                return false
            }
            for a in args.dropFirst() where a.type != t {
                bag.add(
                    .typeMismatch, "all arguments of '\(f.rawValue)' must be \(article(t)); this is \(article(a.type))",
                    at: a.span, hint: unitHint(a, args[0]))
                return false
            }
            e.type = t
            return false
        case .daysSince:
            guard arity(1...1, "days_since(customer.last_order_at)") else { return false }
            guard args[0].type == .dateTime else {
                bag.add(.typeMismatch, "'days_since' needs a datetime, not \(article(args[0].type))", at: args[0].span)
                return false
            }
            e.type = .number
            return false
        case .count, .sum, .any, .all:
            let signature =
                f == .sum
                ? "sum(cart.items, item.price * item.quantity)"
                : "\(f.rawValue)(cart.items, item.category == \"socks\")"
            guard arity(f == .count ? 1...2 : 2...2, signature) else { return false }
            if args[0].type.isError { return false }
            guard args[0].type == .list(.item) else {
                bag.add(
                    .typeMismatch, "'\(f.rawValue)' iterates over cart.items, not \(article(args[0].type))",
                    at: args[0].span, hint: "write \(signature)")
                return false
            }
            if scope.inPredicate {
                bag.add(
                    .expressionTooCostly, "'\(f.rawValue)' cannot be nested inside another iteration", at: e.span,
                    hint: "iterate over cart.items once")
                return false
            }
            if args.count == 2 {
                var inner = scope
                inner.itemInScope = true
                inner.inPredicate = true
                _ = resolve(&args[1], inner)
                if args[1].type.isError { return false }
                let want: [ValueType] = f == .sum ? [.money, .number] : [.bool]
                guard want.contains(args[1].type) else {
                    bag.add(
                        .typeMismatch,
                        "the second argument of '\(f.rawValue)' must be \(want.map(article).joined(separator: " or ")), but this is \(article(args[1].type))",
                        at: args[1].span)
                    return false
                }
                e.type = f == .sum ? args[1].type : f == .count ? .number : .bool
            } else {
                e.type = .number
            }
            return false
        }
    }
}
