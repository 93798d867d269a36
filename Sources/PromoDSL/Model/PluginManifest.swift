/// `plugins/<name>/plugin.yaml`: what a model plugin serves, so rules that misuse it fail to load.
///
/// ```yaml
/// plugin: 1
/// name: demand-forecast
/// role: forecast
/// version: 0.1.0
/// functions:
///   - { name: days_of_cover, params: [{ name: item, type: item }], result: number, per: item }
/// runtime: { builtin: DemandForecaster }
/// ```
public struct PluginManifest: Sendable, Hashable {
    public var file: String
    public var name: String
    public var role: String
    public var version: String
    public var description: String?
    /// The prefix rules use: the role by default; `customer` for profile fields, `item` for item features.
    public var namespace: String
    public var functions: [ModelFunction]
    public var trainsOn: [String]
    public var runtime: Runtime
    public var settings: [Setting]
    public var span: SourceSpan

    /// How the plugin runs.
    public enum Runtime: Sendable, Hashable {
        case builtin(typeName: String)
        case command(
            arguments: [String], workingDirectory: String?, environment: [String: String], deadlineMilliseconds: Int,
            maxBatch: Int)
    }

    /// A typed setting with a default, e.g. `k: { type: number, default: 6 }`.
    public struct Setting: Sendable, Hashable {
        public var name: String
        public var type: ValueType
        public var defaultValue: String?
    }

    /// The built-in roles. Manifests may declare others.
    public static let roles = ["forecast", "recommend", "pricing", "profile", "uplift"]
}

/// A function a plugin serves.
public struct ModelFunction: Sendable, Hashable {
    public enum Scope: String, Sendable, Hashable, CaseIterable {
        case request, customer, item
        case customerItem = "customer_item"
    }

    public struct Parameter: Sendable, Hashable {
        public var name: String
        public var type: ValueType
    }

    public var name: String
    public var parameters: [Parameter]
    public var result: ValueType
    public var per: Scope
    /// Read as a field (`customer.segment`) rather than called (`recommend.score(item)`).
    public var isField: Bool
    public var description: String?
    /// Where the manifest declares it.
    public var span: SourceSpan?

    public init(
        name: String, parameters: [Parameter], result: ValueType, per: Scope, isField: Bool, description: String?,
        span: SourceSpan? = nil
    ) {
        self.name = name
        self.parameters = parameters
        self.result = result
        self.per = per
        self.isField = isField
        self.description = description
        self.span = span
    }
}
