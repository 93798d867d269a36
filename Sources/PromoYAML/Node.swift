/// A position in a YAML source: 1-based line and 1-based column.
///
/// Columns count Unicode scalars (code points), not bytes and not grapheme clusters, so
/// `é: 1` puts the value `1` at column 4 whatever its UTF-8 length.
public struct Mark: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// 1-based line number.
    public var line: Int
    /// 1-based column, counted in Unicode scalars.
    public var column: Int

    /// Creates a mark, e.g. `Mark(line: 3, column: 7)`.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (lhs: Mark, rhs: Mark) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// How a scalar was written in the source.
public enum ScalarStyle: String, Sendable, Hashable {
    case plain
    case singleQuoted = "single-quoted"
    case doubleQuoted = "double-quoted"
    case literal
    case folded
}

/// A scalar's text and the style it was written in. Scalars are never typed by YAML's rules;
/// the consumer's schema decides whether `no` is text or an error.
public struct Scalar: Sendable, Hashable {
    /// The scalar's value after YAML's unescaping and line folding.
    public var value: String
    /// The style it was written in.
    public var style: ScalarStyle

    /// Creates a scalar, e.g. `Scalar(value: "10%", style: .plain)`.
    public init(value: String, style: ScalarStyle) {
        self.value = value
        self.style = style
    }
}

/// One node of a YAML document: a scalar, a mapping or a sequence, with its source span.
///
/// ```swift
/// let doc = try YAMLReader().read("a: 1\n")
/// if case .mapping(let pairs) = doc.root?.content { print(pairs[0].key.start) } // 1:1
/// ```
public struct Node: Sendable, Hashable {
    /// A key and its value inside a mapping, in source order.
    public struct Pair: Sendable, Hashable {
        public var key: Node
        public var value: Node

        public init(key: Node, value: Node) {
            self.key = key
            self.value = value
        }
    }

    /// What the node holds.
    public enum Content: Sendable, Hashable {
        case scalar(Scalar)
        case mapping([Pair])
        case sequence([Node])
    }

    public var content: Content
    /// Where the node starts (for quoted scalars, the opening quote).
    public var start: Mark
    /// Just past the node's end.
    public var end: Mark

    public init(content: Content, start: Mark, end: Mark) {
        self.content = content
        self.start = start
        self.end = end
    }

    /// The scalar if this node is one.
    public var scalar: Scalar? {
        if case .scalar(let s) = content { return s }
        return nil
    }

    /// The pairs if this node is a mapping.
    public var mapping: [Pair]? {
        if case .mapping(let p) = content { return p }
        return nil
    }

    /// The items if this node is a sequence.
    public var sequence: [Node]? {
        if case .sequence(let s) = content { return s }
        return nil
    }

    /// A one-word name of the node's shape, for messages: "scalar", "mapping", "sequence".
    public var shapeName: String {
        switch content {
        case .scalar: "scalar"
        case .mapping: "mapping"
        case .sequence: "sequence"
        }
    }
}
