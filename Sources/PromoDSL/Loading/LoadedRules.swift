public import PromoYAML

/// Everything one load produced: the checked workspace, campaigns and plugin manifests (where
/// they could be read), every diagnostic in a stable order, and the sources for rendering.
public struct LoadedRules: Sendable {
    public var workspace: Workspace?
    public var campaigns: [Campaign]
    public var manifests: [PluginManifest]
    public var diagnostics: [Diagnostic]
    public var sources: [String: SourceText]
    /// Rules and manifest files read, in the order read.
    public var files: [String]

    public var errors: Int { diagnostics.filter { $0.severity == .error }.count }
    public var warnings: Int { diagnostics.filter { $0.severity == .warning }.count }
    public var hasErrors: Bool { errors > 0 }

    public var summary: ValidationSummary {
        ValidationSummary(
            files: files.count, campaigns: campaigns.count, offers: campaigns.reduce(0) { $0 + $1.offers.count },
            errors: errors, warnings: warnings)
    }
}
