/// A problem in YAML input, with where it is. Every input, however hostile, ends either in a
/// document or in one of these; the reader never traps.
public struct YAMLError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong. Stable: consumers map these to diagnostic codes.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// libyaml's own scanner or parser error (including tabs used as indentation).
        case syntax
        case duplicateKey
        case anchor
        case alias
        case tag
        case mergeKey
        case complexKey
        case multipleDocuments
        case invalidUTF8
        case controlCharacter
        case tooLarge
        case tooDeep
        case tooManyNodes
    }

    /// A secondary location, such as where a duplicated key was first defined.
    public struct Note: Sendable, Hashable {
        public var message: String
        public var mark: Mark
    }

    public var kind: Kind
    public var message: String
    public var mark: Mark
    /// How many columns the offending text covers, for a caret underline (at least 1).
    public var length: Int
    public var note: Note?
    public var hint: String?

    public init(_ kind: Kind, _ message: String, at mark: Mark, length: Int = 1, note: Note? = nil, hint: String? = nil)
    {
        self.kind = kind
        self.message = message
        self.mark = mark
        self.length = max(1, length)
        self.note = note
        self.hint = hint
    }

    public var description: String { "\(mark): \(message)" }
}

/// Limits that bound the work and memory any input can cost.
public struct YAMLLimits: Sendable, Hashable {
    /// Largest input accepted, in bytes. Default 4 MiB.
    public var maxBytes: Int
    /// Deepest nesting of mappings and sequences. Default 64.
    public var maxDepth: Int
    /// Most nodes (scalars, mappings, sequences) in one document. Default 100,000.
    public var maxNodes: Int

    public init(maxBytes: Int = 4 << 20, maxDepth: Int = 64, maxNodes: Int = 100_000) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
    }

    /// The defaults: 4 MiB, depth 64, 100,000 nodes.
    public static let `default` = YAMLLimits()
}
