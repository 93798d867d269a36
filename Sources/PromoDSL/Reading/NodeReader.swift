import PromoYAML

/// Reads typed values out of YAML nodes by the rules schema, reporting every problem into a bag.
/// Scalars are typed here, never by YAML 1.1's rules.
struct NodeReader {
    let file: String
    let source: SourceText
    var bag: DiagnosticBag

    init(file: String, source: SourceText, bag: DiagnosticBag = DiagnosticBag()) {
        self.file = file
        self.source = source
        self.bag = bag
    }

    func span(_ node: Node) -> SourceSpan { SourceSpan(file: file, start: node.start, end: node.end) }

    /// Reports a file with no document in it.
    mutating func emptyFile(_ what: String, hint: String? = nil) {
        let start = Mark(line: 1, column: 1)
        bag.add(.missingKey, "the \(what) is empty", at: SourceSpan(file: file, start: start, end: start), hint: hint)
    }

    /// A mapping's pairs by key, after checking keys against the vocabulary.
    struct Fields {
        var node: Node
        var values: [String: Node] = [:]
        var keySpans: [String: SourceSpan] = [:]
        var order: [String] = []

        func callAsFunction(_ key: String) -> Node? { values[key] }
    }

    /// Reads a mapping, reporting unknown keys (with "did you mean") and missing required ones.
    /// `allowed` overrides the vocabulary's key list (offers allow keys by kind).
    mutating func fields(
        _ node: Node, as object: String, what: String, allowed: [String]? = nil, foreign: [String: String] = [:],
        required extraRequired: [String] = []
    ) -> Fields? {
        guard let pairs = node.mapping else {
            bag.add(.wrongShape, "\(what) must be a mapping of keys to values, not a \(node.shapeName)", at: span(node))
            return nil
        }
        let specs = Vocabulary.objects[object] ?? []
        let allowedKeys = allowed ?? specs.map(\.name)
        var result = Fields(node: node)
        for pair in pairs {
            let key = pair.key.scalar?.value ?? ""
            let keySpan = span(pair.key)
            if !allowedKeys.contains(key) {
                var hint = Suggestions.hint(for: key, in: allowedKeys)
                if let owner = foreign[key] { hint = "'\(key)' belongs to \(owner)" }
                bag.add(.unknownKey, "unknown key '\(key)' in \(what)", at: keySpan, hint: hint)
                continue
            }
            result.values[key] = pair.value
            result.keySpans[key] = keySpan
            result.order.append(key)
        }
        let required = specs.filter(\.required).map(\.name).filter { allowedKeys.contains($0) } + extraRequired
        for key in required where result.values[key] == nil {
            bag.add(
                .missingKey, "\(what) needs the key '\(key)'",
                at: SourceSpan(file: file, start: node.start, end: node.start),
                hint: specs.first { $0.name == key }.map { "add '\(key)': \($0.summary)" })
        }
        return result
    }

    /// The scalar's value, or a diagnostic when the node is not a scalar.
    mutating func scalar(_ node: Node, what: String) -> Scalar? {
        guard let s = node.scalar else {
            bag.add(.wrongShape, "\(what) must be a single value, not a \(node.shapeName)", at: span(node))
            return nil
        }
        return s
    }

    /// Text. A plain scalar that YAML 1.1 tools would type (`no`, `on`, `0755`, `1.10`, `~`) is an error.
    mutating func text(_ node: Node, what: String) -> String? {
        guard let s = scalar(node, what: what) else { return nil }
        if s.style == .plain, let reading = Self.yaml11Reading(s.value) {
            bag.add(
                .ambiguousScalar, "plain '\(s.value)' where \(what) is expected; YAML 1.1 tools read it as \(reading)",
                at: span(node), hint: "quote it: \"\(s.value)\"")
            return nil
        }
        return s.value
    }

    /// An id: text of letters, digits, '-', '_' and '.', starting with a letter or digit.
    mutating func identifier(_ node: Node, what: String) -> String? {
        guard let t = text(node, what: what) else { return nil }
        let ok =
            !t.isEmpty && t.unicodeScalars.count <= 100
            && t.unicodeScalars.allSatisfy { Lexer.isIdent($0) || $0 == "-" || $0 == "." }
            && Lexer.isIdent(t.unicodeScalars.first!)
        if !ok {
            bag.add(
                .invalidValue, "'\(t)' is not a valid \(what)", at: span(node),
                hint: "use letters, digits, '-', '_' and '.', at most 100 characters")
            return nil
        }
        return t
    }

    mutating func integer(_ node: Node, what: String, range: ClosedRange<Int> = 0...1_000_000_000) -> Int? {
        guard let s = scalar(node, what: what) else { return nil }
        guard s.style == .plain, let v = Int(s.value), range.contains(v) else {
            bag.add(
                .invalidValue,
                "\(what) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(s.value)'",
                at: span(node))
            return nil
        }
        return v
    }

    mutating func number(_ node: Node, what: String) -> Double? {
        guard let s = scalar(node, what: what) else { return nil }
        guard s.style == .plain, let d = ExactDecimal(s.value) else {
            bag.add(.invalidValue, "\(what) must be a number such as 1.5, not '\(s.value)'", at: span(node))
            return nil
        }
        return d.doubleValue
    }

    mutating func bool(_ node: Node, what: String) -> Bool? {
        guard let s = scalar(node, what: what) else { return nil }
        if s.style == .plain, s.value == "true" || s.value == "false" { return s.value == "true" }
        bag.add(
            .invalidValue, "\(what) must be true or false, not '\(s.value)'", at: span(node),
            hint: "write true or false")
        return nil
    }

    mutating func percent(_ node: Node, what: String) -> PercentValue? {
        guard let s = scalar(node, what: what) else { return nil }
        let v = s.value.trimmingSpaces
        if ExactDecimal(v) != nil {
            bag.add(.missingUnit, "\(what) needs a percent sign", at: span(node), hint: "write \(v)%")
            return nil
        }
        guard v.hasSuffix("%") else {
            bag.add(.invalidValue, "\(what) must be a percentage such as 10%, not '\(s.value)'", at: span(node))
            return nil
        }
        switch PercentValue.parse(String(v.dropLast())) {
        case .success(let p):
            if p.partsPerMillion > 1_000_000 {
                bag.add(.invalidValue, "\(what) must be at most 100%, not \(p)", at: span(node))
                return nil
            }
            return p
        case .failure(let e):
            bag.add(.invalidValue, e.message, at: span(node), hint: e.hint)
            return nil
        }
    }

    /// Money in the workspace currency: `300 CNY`.
    mutating func money(_ node: Node, what: String, currency: String?) -> MoneyAmount? {
        guard let s = scalar(node, what: what) else { return nil }
        let v = s.value.trimmingSpaces
        let example = currency ?? "CNY"
        if ExactDecimal(v) != nil {
            bag.add(.missingUnit, "\(what) needs a currency", at: span(node), hint: "write \(v) \(example)")
            return nil
        }
        let parts = v.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2 else {
            bag.add(.invalidValue, "\(what) must be an amount such as 300 \(example), not '\(s.value)'", at: span(node))
            return nil
        }
        switch MoneyAmount.parse(amount: String(parts[0]), currency: String(parts[1])) {
        case .success(let m):
            if let currency, m.currency != currency {
                bag.add(
                    .wrongCurrency, "\(what) is in \(m.currency) but the workspace currency is \(currency)",
                    at: span(node),
                    hint: "write the amount in \(currency)")
                return nil
            }
            if m.minorUnits < 0 {
                bag.add(.invalidValue, "\(what) must not be negative", at: span(node))
                return nil
            }
            return m
        case .failure(let e):
            bag.add(.invalidValue, e.message, at: span(node), hint: e.hint)
            return nil
        }
    }

    mutating func enumeration(_ node: Node, what: String, _ cases: [String]) -> String? {
        guard let s = scalar(node, what: what) else { return nil }
        guard cases.contains(s.value) else {
            let hint = Suggestions.hint(for: s.value, in: cases) ?? "one of: " + cases.joined(separator: ", ")
            bag.add(.invalidValue, "'\(s.value)' is not a valid \(what)", at: span(node), hint: hint)
            return nil
        }
        return s.value
    }

    mutating func list(_ node: Node, what: String) -> [Node]? {
        guard let items = node.sequence else {
            bag.add(.wrongShape, "\(what) must be a list, not a \(node.shapeName)", at: span(node))
            return nil
        }
        return items
    }

    /// An expression written as a scalar. Positions inside it map back to the file, whatever
    /// the scalar's style.
    mutating func expression(_ node: Node, what: String) -> Expr? {
        guard let s = scalar(node, what: what) else { return nil }
        let source = ExpressionSource(file: file, text: s.value, marks: self.source.valueMarks(of: node))
        switch ExpressionParser.parse(source) {
        case .success(let e): return e
        case .failure(let d):
            bag.add(d)
            return nil
        }
    }

    /// How YAML 1.1 would type a plain scalar that is not text, if it would.
    static func yaml11Reading(_ v: String) -> String? {
        let bools: Set<String> = [
            "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False",
            "FALSE", "on", "On", "ON", "off", "Off", "OFF",
        ]
        if bools.contains(v) { return "a boolean" }
        if ["", "~", "null", "Null", "NULL"].contains(v) { return "null" }
        var s = Substring(v)
        if s.first == "-" || s.first == "+" { s = s.dropFirst() }
        if s.hasPrefix("0x"), s.count > 2, s.dropFirst(2).allSatisfy({ $0.isHexDigit || $0 == "_" }) {
            return "a number"
        }
        if s.count > 1, s.first == "0", s.allSatisfy({ ("0"..."7").contains($0) || $0 == "_" }) {
            return "an octal number"
        }
        if [".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN"].contains(s) { return "a number" }
        let body = s.split(separator: "e", maxSplits: 1, omittingEmptySubsequences: false)
        let mantissa = body.first ?? ""
        let digitsOK =
            !mantissa.isEmpty && mantissa.allSatisfy { $0.isASCIIDigit || $0 == "." || $0 == "_" }
            && mantissa.contains(where: \.isASCIIDigit) && mantissa.filter({ $0 == "." }).count <= 1
        if digitsOK { return "a number" }
        return nil
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
