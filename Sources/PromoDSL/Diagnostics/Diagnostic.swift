public import PromoYAML

/// How serious a diagnostic is. Errors stop rules from loading; warnings do not.
public enum Severity: String, Sendable, Hashable, Codable {
    case error
    case warning
}

/// A place in a rules file: path as given, 1-based line and column (Unicode scalars).
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    /// Creates a location, e.g. `SourceLocation(file: "rules/a.yaml", line: 3, column: 7)`.
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public init(file: String, mark: Mark) {
        self.init(file: file, line: mark.line, column: mark.column)
    }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// A located range in a file: where a node or an expression token starts and ends.
public struct SourceSpan: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var start: Mark
    public var end: Mark

    public init(file: String, start: Mark, end: Mark) {
        self.file = file
        self.start = start
        self.end = max(start, end)
    }

    public var location: SourceLocation { SourceLocation(file: file, mark: start) }

    /// Columns to underline on the start line (at least 1).
    public var underlineLength: Int {
        end.line == start.line ? max(1, end.column - start.column) : 1
    }

    public var description: String { location.description }
}

/// A problem found while loading rules, with a stable code, a location and a suggested fix.
///
/// ```
/// rules/winter.yaml:12:5: error[PROMO020]: unknown key 'discont' in a percent_off offer
/// ```
public struct Diagnostic: Sendable, Hashable {
    /// A secondary location that helps explain the problem (the first definition of a duplicate).
    public struct Note: Sendable, Hashable {
        public var message: String
        public var location: SourceLocation?

        public init(_ message: String, at location: SourceLocation? = nil) {
            self.message = message
            self.location = location
        }
    }

    public var code: DiagnosticCode
    public var severity: Severity
    public var span: SourceSpan
    public var message: String
    /// What to do about it ("did you mean 'discount'?", "write 10%").
    public var hint: String?
    public var notes: [Note]

    public init(
        _ code: DiagnosticCode, _ message: String, at span: SourceSpan, hint: String? = nil, notes: [Note] = []
    ) {
        self.code = code
        self.severity = code.severity
        self.span = span
        self.message = message
        self.hint = hint
        self.notes = notes
    }

    public var location: SourceLocation { span.location }
}

/// Every diagnostic the loader can emit. The raw value is the stable code users search for;
/// never renumber or reuse one.
public enum DiagnosticCode: String, Sendable, Hashable, CaseIterable, Codable {
    // YAML reading
    case yamlSyntax = "PROMO001"
    case duplicateKey = "PROMO002"
    case anchorOrAlias = "PROMO003"
    case explicitTag = "PROMO004"
    case mergeKey = "PROMO005"
    case multipleDocuments = "PROMO006"
    case invalidUTF8 = "PROMO007"
    case controlCharacter = "PROMO008"
    case inputTooLarge = "PROMO009"
    case nestingTooDeep = "PROMO010"
    case tooManyNodes = "PROMO011"
    case complexKey = "PROMO012"
    // Structure
    case unknownKey = "PROMO020"
    case missingKey = "PROMO021"
    case wrongShape = "PROMO022"
    case ambiguousScalar = "PROMO023"
    case missingUnit = "PROMO024"
    case invalidValue = "PROMO025"
    case wrongCurrency = "PROMO026"
    case missingTimeZone = "PROMO027"
    case unknownOfferKind = "PROMO028"
    case unknownGroup = "PROMO029"
    case unknownPlugin = "PROMO030"
    case duplicateID = "PROMO031"
    case unsupportedVersion = "PROMO032"
    case missingWorkspace = "PROMO033"
    case invalidSchedule = "PROMO034"
    case roleMismatch = "PROMO035"
    case unreadableFile = "PROMO036"
    // Expressions
    case expressionSyntax = "PROMO040"
    case unknownName = "PROMO041"
    case typeMismatch = "PROMO042"
    case wrongArguments = "PROMO043"
    case modelNotConfigured = "PROMO044"
    case expressionTooCostly = "PROMO045"
    case itemOutOfScope = "PROMO046"
    // Warnings
    case campaignEnded = "PROMO100"
    case neverApplies = "PROMO101"
    case noHoldout = "PROMO102"
    case unusedLet = "PROMO103"

    public var severity: Severity {
        switch self {
        case .campaignEnded, .neverApplies, .noHoldout, .unusedLet: .warning
        default: .error
        }
    }

    /// A short title for documentation and the JSON output.
    public var title: String {
        switch self {
        case .yamlSyntax: "YAML syntax error"
        case .duplicateKey: "duplicate key"
        case .anchorOrAlias: "anchor or alias"
        case .explicitTag: "explicit tag"
        case .mergeKey: "merge key"
        case .multipleDocuments: "more than one document"
        case .invalidUTF8: "invalid UTF-8"
        case .controlCharacter: "control character"
        case .inputTooLarge: "input too large"
        case .nestingTooDeep: "nesting too deep"
        case .tooManyNodes: "too many nodes"
        case .complexKey: "non-text mapping key"
        case .unknownKey: "unknown key"
        case .missingKey: "missing key"
        case .wrongShape: "wrong kind of node"
        case .ambiguousScalar: "ambiguous plain scalar"
        case .missingUnit: "number without unit"
        case .invalidValue: "invalid value"
        case .wrongCurrency: "wrong currency"
        case .missingTimeZone: "date-time without time zone"
        case .unknownOfferKind: "unknown offer kind"
        case .unknownGroup: "unknown stacking group"
        case .unknownPlugin: "unknown plugin or role"
        case .duplicateID: "duplicate id"
        case .unsupportedVersion: "unsupported language version"
        case .missingWorkspace: "missing workspace file"
        case .invalidSchedule: "invalid schedule"
        case .roleMismatch: "plugin role mismatch"
        case .unreadableFile: "unreadable file"
        case .expressionSyntax: "expression syntax error"
        case .unknownName: "unknown name"
        case .typeMismatch: "type mismatch"
        case .wrongArguments: "wrong arguments"
        case .modelNotConfigured: "model not configured"
        case .expressionTooCostly: "expression too costly"
        case .itemOutOfScope: "item used outside an item context"
        case .campaignEnded: "campaign has ended"
        case .neverApplies: "offer can never apply"
        case .noHoldout: "campaign has no holdout"
        case .unusedLet: "unused let binding"
        }
    }

    /// Maps a YAML reader error to its diagnostic code.
    public init(_ kind: YAMLError.Kind) {
        self =
            switch kind {
            case .syntax: .yamlSyntax
            case .duplicateKey: .duplicateKey
            case .anchor, .alias: .anchorOrAlias
            case .tag: .explicitTag
            case .mergeKey: .mergeKey
            case .complexKey: .complexKey
            case .multipleDocuments: .multipleDocuments
            case .invalidUTF8: .invalidUTF8
            case .controlCharacter: .controlCharacter
            case .tooLarge: .inputTooLarge
            case .tooDeep: .nestingTooDeep
            case .tooManyNodes: .tooManyNodes
            }
    }
}

/// Collects diagnostics during one load; nothing stops at the first problem.
public struct DiagnosticBag: Sendable {
    public private(set) var diagnostics: [Diagnostic] = []

    public init() {}

    public mutating func add(_ d: Diagnostic) { diagnostics.append(d) }

    public mutating func add(
        _ code: DiagnosticCode, _ message: String, at span: SourceSpan, hint: String? = nil,
        notes: [Diagnostic.Note] = []
    ) {
        diagnostics.append(Diagnostic(code, message, at: span, hint: hint, notes: notes))
    }

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// Diagnostics in a stable order: by file, line, column, then code.
    public var sorted: [Diagnostic] {
        diagnostics.sorted {
            ($0.span.location, $0.code.rawValue, $0.message) < ($1.span.location, $1.code.rawValue, $1.message)
        }
    }
}
