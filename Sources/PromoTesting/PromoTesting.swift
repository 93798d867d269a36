public import Foundation

/// Helpers shared by the test targets and benchmarks.
public enum PromoTesting {
    /// The repository root, found from this source file's path (works on a clean checkout).
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `plugins/` of the repository.
    public static var pluginsDirectory: String { repositoryRoot.appendingPathComponent("plugins").path }

    /// `rules/` of the repository.
    public static var rulesDirectory: String { repositoryRoot.appendingPathComponent("rules").path }

    /// A fixed "now" for golden tests: 2026-11-29T00:00:00Z.
    public static let fixedNow: Int64 = 1_795_910_400

    /// Whether golden files should be rewritten instead of compared (`PROMO_RECORD=1`).
    public static var recording: Bool { ProcessInfo.processInfo.environment["PROMO_RECORD"] == "1" }
}
