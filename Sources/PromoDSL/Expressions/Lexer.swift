/// A token of the expression language, with its offsets in the expression text (Unicode scalars).
struct Token: Hashable {
    enum Kind: Hashable {
        case number(Double, text: String)
        case money(amount: String, currency: String)
        case percent(String)
        case duration(DurationValue)
        case dateTime(DateTimeValue)
        case string(String)
        case identifier(String)
        case keyword(String)  // and or not in true false
        case symbol(String)  // == != <= >= < > + - * / ( ) [ ] , .
        case end
    }

    var kind: Kind
    var start: Int
    var end: Int
}

struct LexError: Error {
    var message: String
    var start: Int
    var end: Int
    var hint: String?
}

/// Splits expression text into tokens. Literals with units are single tokens: `300 CNY`, `10%`,
/// `7d`, `2026-12-01T00:00+08:00`.
struct Lexer {
    static let keywords: Set<String> = ["and", "or", "not", "in", "true", "false"]
    let s: [Unicode.Scalar]
    var i = 0

    init(_ text: String) { s = Array(text.unicodeScalars) }

    static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
    static func isIdentStart(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_"
    }
    static func isIdent(_ c: Unicode.Scalar) -> Bool { isIdentStart(c) || isDigit(c) }

    func peek(_ k: Int = 0) -> Unicode.Scalar? { i + k < s.count ? s[i + k] : nil }

    func text(_ a: Int, _ b: Int) -> String { String(String.UnicodeScalarView(s[a..<b])) }

    mutating func tokenize() throws(LexError) -> [Token] {
        var tokens: [Token] = []
        while true {
            while let c = peek(), c == " " || c == "\n" || c == "\t" || c == "\r" { i += 1 }
            let start = i
            guard let c = peek() else {
                tokens.append(Token(kind: .end, start: i, end: i))
                return tokens
            }
            if Self.isDigit(c) {
                tokens.append(try number(start))
            } else if Self.isIdentStart(c) {
                while let d = peek(), Self.isIdent(d) { i += 1 }
                let word = text(start, i)
                tokens.append(
                    Token(kind: Self.keywords.contains(word) ? .keyword(word) : .identifier(word), start: start, end: i)
                )
            } else if c == "\"" || c == "'" {
                tokens.append(try string(quote: c, start))
            } else {
                let two = peek(1).map { String(c) + String($0) } ?? ""
                if ["==", "!=", "<=", ">="].contains(two) {
                    i += 2
                    tokens.append(Token(kind: .symbol(two), start: start, end: i))
                } else if "<>+-*/()[],.".unicodeScalars.contains(c) {
                    i += 1
                    tokens.append(Token(kind: .symbol(String(c)), start: start, end: i))
                } else {
                    let hint: String? =
                        switch c {
                        case "=": "use '==' to compare"
                        case "&": "use 'and'"
                        case "|": "use 'or'"
                        case "!": "use 'not' or '!='"
                        default: nil
                        }
                    throw LexError(message: "unexpected character '\(c)'", start: start, end: start + 1, hint: hint)
                }
            }
        }
    }

    private mutating func number(_ start: Int) throws(LexError) -> Token {
        // Date or date-time: 4 digits then '-'.
        if i + 4 < s.count, (0..<4).allSatisfy({ Self.isDigit(s[i + $0]) }), s[i + 4] == "-" {
            var j = i
            while j < s.count, Self.isDigit(s[j]) || "-:+TZtz".unicodeScalars.contains(s[j]) { j += 1 }
            let t = text(i, j)
            guard let value = DateTimeValue.parse(t) else {
                throw LexError(
                    message: "'\(t)' is not a valid date or date-time", start: i, end: j,
                    hint: "write 2026-12-01 or 2026-12-01T09:00+08:00")
            }
            i = j
            return Token(kind: .dateTime(value), start: start, end: i)
        }
        while let d = peek(), Self.isDigit(d) { i += 1 }
        if peek() == ".", let d = peek(1), Self.isDigit(d) {
            i += 1
            while let d = peek(), Self.isDigit(d) { i += 1 }
        }
        let numberText = text(start, i)
        if peek() == "%" {
            i += 1
            return Token(kind: .percent(numberText), start: start, end: i)
        }
        if let u = peek(), Self.isIdentStart(u) {
            var j = i
            while j < s.count, Self.isIdent(s[j]) { j += 1 }
            let suffix = text(i, j)
            if let d = DurationValue.parse(numberText + suffix), !numberText.contains(".") {
                i = j
                return Token(kind: .duration(d), start: start, end: i)
            }
            throw LexError(
                message: "'\(numberText + suffix)' is not a number, duration or money amount", start: start, end: j,
                hint: "durations are written 7d, 12h, 30m, 2w; money as 300 CNY")
        }
        // Money: number, spaces, three capital letters.
        var j = i
        while j < s.count, s[j] == " " { j += 1 }
        if j > i, j + 3 <= s.count, (0..<3).allSatisfy({ s[j + $0] >= "A" && s[j + $0] <= "Z" }),
            j + 3 == s.count || !Self.isIdent(s[j + 3])
        {
            let currency = text(j, j + 3)
            i = j + 3
            return Token(kind: .money(amount: numberText, currency: currency), start: start, end: i)
        }
        return Token(kind: .number(Double(numberText) ?? 0, text: numberText), start: start, end: i)
    }

    private mutating func string(quote: Unicode.Scalar, _ start: Int) throws(LexError) -> Token {
        i += 1
        var value = String.UnicodeScalarView()
        while let c = peek() {
            i += 1
            if c == quote { return Token(kind: .string(String(value)), start: start, end: i) }
            if c == "\\", let e = peek() {
                i += 1
                switch e {
                case "n": value.append("\n")
                case "t": value.append("\t")
                default: value.append(e)
                }
            } else {
                value.append(c)
            }
        }
        throw LexError(
            message: "string is not closed", start: start, end: i, hint: "add the closing \(quote == "\"" ? "\"" : "'")"
        )
    }
}
