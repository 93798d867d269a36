public import PromoYAML

/// Where an expression's text came from: the file and, for each Unicode scalar of the text,
/// its mark in the file (see `SourceText.valueMarks(of:)`).
public struct ExpressionSource: Sendable {
    public var file: String
    public var text: String
    public var marks: [Mark]

    public init(file: String, text: String, marks: [Mark]) {
        self.file = file
        self.text = text
        self.marks = marks
    }

    func span(_ start: Int, _ end: Int) -> SourceSpan {
        let a = marks.isEmpty ? Mark(line: 1, column: 1) : marks[min(start, marks.count - 1)]
        var b = marks.isEmpty ? a : marks[min(end, marks.count - 1)]
        // The end of a token is just past its last scalar.
        if end > start, end - 1 < marks.count {
            let last = marks[end - 1]
            b = Mark(line: last.line, column: last.column + 1)
        }
        return SourceSpan(file: file, start: a, end: b)
    }
}

/// A recursive-descent (Pratt) parser for the expression language. Recursion is bounded:
/// expressions nested deeper than `maxDepth` are a diagnostic, not a stack overflow.
public struct ExpressionParser {
    public static let maxDepth = 48
    public static let maxLength = 4_096

    let source: ExpressionSource
    var tokens: [Token] = []
    var p = 0
    var depth = 0

    public init(_ source: ExpressionSource) { self.source = source }

    /// Parses the whole text as one expression.
    public static func parse(_ source: ExpressionSource) -> Result<Expr, Diagnostic> {
        var parser = ExpressionParser(source)
        if source.text.unicodeScalars.count > maxLength {
            return .failure(
                Diagnostic(
                    .expressionTooCostly, "expression is longer than \(maxLength) characters", at: source.span(0, 1),
                    hint: "split it into let bindings"))
        }
        if source.text.allSatisfy(\.isWhitespace) {
            return .failure(Diagnostic(.expressionSyntax, "expression is empty", at: source.span(0, 0)))
        }
        do {
            var lexer = Lexer(source.text)
            parser.tokens = try lexer.tokenize()
        } catch {
            return .failure(
                Diagnostic(.expressionSyntax, error.message, at: source.span(error.start, error.end), hint: error.hint))
        }
        do throws(Diagnostic) {
            let e = try parser.expression(0)
            if parser.current.kind != .end {
                throw parser.error(
                    "unexpected \(parser.describe(parser.current)) after the end of the expression",
                    hint: "join conditions with 'and' or 'or'")
            }
            return .success(e)
        } catch {
            return .failure(error)
        }
    }

    var current: Token { tokens[p] }

    func span(_ a: Token, _ b: Token) -> SourceSpan { source.span(a.start, b.end) }

    func error(_ message: String, hint: String? = nil) -> Diagnostic {
        Diagnostic(
            .expressionSyntax, message, at: source.span(current.start, max(current.end, current.start + 1)), hint: hint)
    }

    func describe(_ t: Token) -> String {
        switch t.kind {
        case .end: "end of expression"
        case .symbol(let s): "'\(s)'"
        case .keyword(let k): "'\(k)'"
        case .identifier(let n): "name '\(n)'"
        default: "'\(source.text.unicodeScalars.dropFirst(t.start).prefix(t.end - t.start).map(String.init).joined())'"
        }
    }

    mutating func advance() -> Token {
        let t = tokens[p]
        if p < tokens.count - 1 { p += 1 }
        return t
    }

    mutating func expect(_ symbol: String) throws(Diagnostic) -> Token {
        guard current.kind == .symbol(symbol) else {
            throw error("expected '\(symbol)' but found \(describe(current))")
        }
        return advance()
    }

    func binaryOperator(_ t: Token) -> BinaryOperator? {
        switch t.kind {
        case .keyword("and"): .and
        case .keyword("or"): .or
        case .keyword("in"): .in
        case .symbol(let s): BinaryOperator(rawValue: s)
        default: nil
        }
    }

    mutating func expression(_ minPrecedence: Int) throws(Diagnostic) -> Expr {
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maxDepth {
            throw Diagnostic(
                .expressionTooCostly, "expression nests more than \(Self.maxDepth) levels deep",
                at: source.span(current.start, current.end), hint: "split it into let bindings")
        }
        var left = try prefix()
        while let op = binaryOperator(current), op.precedence > minPrecedence {
            _ = advance()
            if op == .in || op.precedence == 4, current.kind == .keyword("not") {
                throw error("write 'not (a in b)' rather than 'a in not b'")
            }
            let right = try expression(op.precedence)
            if op.precedence == 4, let next = binaryOperator(current), next.precedence == 4 {
                throw error("comparisons do not chain; join them with 'and'")
            }
            left = Expr(
                .binary(op, left, right),
                span: SourceSpan(file: source.file, start: left.span.start, end: right.span.end))
        }
        return left
    }

    mutating func prefix() throws(Diagnostic) -> Expr {
        let t = current
        switch t.kind {
        case .keyword("not"):
            _ = advance()
            let operand = try expression(3)
            return Expr(
                .unary(.not, operand),
                span: SourceSpan(file: source.file, start: span(t, t).start, end: operand.span.end))
        case .symbol("-"):
            _ = advance()
            let operand = try expression(6)
            return Expr(
                .unary(.negate, operand),
                span: SourceSpan(file: source.file, start: span(t, t).start, end: operand.span.end))
        case .symbol("("):
            _ = advance()
            var inner = try expression(0)
            let close = try expect(")")
            inner.span = span(t, close)
            return inner
        case .symbol("["):
            _ = advance()
            var items: [Expr] = []
            if current.kind != .symbol("]") {
                repeat {
                    if !items.isEmpty { _ = advance() }
                    items.append(try expression(0))
                } while current.kind == .symbol(",")
            }
            let close = try expect("]")
            return Expr(.list(items), span: span(t, close))
        case .number(let v, let text):
            _ = advance()
            return Expr(.number(v, text: text), span: span(t, t), type: .number)
        case .money(let amount, let currency):
            _ = advance()
            switch MoneyAmount.parse(amount: amount, currency: currency) {
            case .success(let m): return Expr(.money(m), span: span(t, t), type: .money)
            case .failure(let e): throw Diagnostic(.invalidValue, e.message, at: span(t, t), hint: e.hint)
            }
        case .percent(let number):
            _ = advance()
            switch PercentValue.parse(number) {
            case .success(let v): return Expr(.percent(v), span: span(t, t), type: .percent)
            case .failure(let e): throw Diagnostic(.invalidValue, e.message, at: span(t, t), hint: e.hint)
            }
        case .duration(let d):
            _ = advance()
            return Expr(.duration(d), span: span(t, t), type: .duration)
        case .dateTime(let d):
            _ = advance()
            return Expr(.dateTime(d), span: span(t, t), type: .dateTime)
        case .string(let s):
            _ = advance()
            return Expr(.string(s), span: span(t, t), type: .string)
        case .keyword("true"), .keyword("false"):
            _ = advance()
            return Expr(.bool(t.kind == .keyword("true")), span: span(t, t), type: .bool)
        case .identifier(let first):
            _ = advance()
            var parts = [first]
            var last = t
            while current.kind == .symbol(".") {
                _ = advance()
                guard case .identifier(let next) = current.kind else {
                    throw error("expected a name after '.' but found \(describe(current))")
                }
                parts.append(next)
                last = advance()
            }
            if current.kind == .symbol("(") {
                _ = advance()
                var arguments: [Expr] = []
                if current.kind != .symbol(")") {
                    repeat {
                        if !arguments.isEmpty { _ = advance() }
                        arguments.append(try expression(0))
                    } while current.kind == .symbol(",")
                }
                let close = try expect(")")
                return Expr(.call(callee: parts, arguments: arguments), span: span(t, close))
            }
            return Expr(.name(parts), span: span(t, last))
        case .end:
            throw error("expression ends too early")
        default:
            throw error("unexpected \(describe(t))")
        }
    }
}

extension Diagnostic: Error {}
