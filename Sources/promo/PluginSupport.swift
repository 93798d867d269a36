import ArgumentParser
import CustomerProfilerPlugin
import Dispatch
import ForecastPlugin
import Foundation
import ItemFeaturesPlugin
import Logging
import PricingPlugin
import PromoCore
import PromoDSL
import PromoPlugins
import RecommenderPlugin
import SwiftMovingAverage
import Synchronization
import UpliftPlugin

/// What the CLI needs to run a workspace's plugins: its rules, manifests, models folder and the
/// built-in plugins this build links.
struct PluginWorkspace {
    /// The in-process plugins linked into `promo`.
    static let builtins: [any ModelPlugin.Type] = [
        MovingAverageForecaster.self, RFMProfiler.self, ALSRecommender.self, ItemFeatures.self, UpliftLearner.self,
        ThompsonPricer.self, DemandForecaster.self,
    ]

    var loaded: LoadedRules
    var workspace: Workspace
    var modelsFolder: String

    /// Loads the rules (exit 1 on errors, 2 on unreadable input).
    static func load(rules: String, plugins: String?, models: String?, command: String, color: ColorChoice) throws
        -> PluginWorkspace
    {
        let loaded: LoadedRules
        do {
            loaded = try RulesLoader(pluginsDirectory: plugins).load(paths: [rules])
        } catch {
            writeError("promo \(command): \(error)\n")
            throw ExitCode(2)
        }
        guard !loaded.hasErrors, let workspace = loaded.workspace else {
            let renderer = DiagnosticRenderer(sources: loaded.sources, color: color.enabled(for: 2))
            writeError(renderer.render(loaded.diagnostics.filter { $0.severity == .error }, summary: loaded.summary))
            throw ExitCode(1)
        }
        let parent = (rules as NSString).deletingLastPathComponent
        return PluginWorkspace(
            loaded: loaded, workspace: workspace,
            modelsFolder: models ?? (parent.isEmpty ? "models" : parent + "/models"))
    }

    var bound: [String] { workspace.models.map(\.plugin) }

    /// The manifest named `name`; otherwise says so, with a suggestion, and exits 2.
    func manifest(_ name: String, command: String) throws -> PluginManifest {
        if let m = loaded.manifests.first(where: { $0.name == name }) { return m }
        let names = loaded.manifests.map(\.name).sorted()
        writeError(
            "promo \(command): no plugin named '\(name)'"
                + (Suggestions.hint(for: name, in: names).map { "; \($0)" } ?? "")
                + " (plugins: \(names.joined(separator: ", ")))\n")
        throw ExitCode(2)
    }

    func registry(logLevel: Logger.Level = .warning) -> PluginRegistry {
        var logger = Logger(label: "promo.plugins")
        logger.logLevel = logLevel
        return PluginRegistry(
            manifests: loaded.manifests, bound: bound, models: SnapshotStore(folder: modelsFolder),
            builtins: Self.builtins, logger: logger)
    }
}

/// Runs async work from a synchronous command.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let done = DispatchSemaphore(value: 0)
    let result = Mutex<Result<T, any Error>?>(nil)
    Task {
        let r: Result<T, any Error>
        do { r = .success(try await body()) } catch { r = .failure(error) }
        result.withLock { $0 = r }
        done.signal()
    }
    done.wait()
    return try result.withLock { $0! }.get()
}

func age(_ seconds: Int64) -> String {
    let s = max(0, Int64(Date().timeIntervalSince1970) - seconds)
    if s < 120 { return "\(s) s" }
    if s < 7200 { return "\(s / 60) min" }
    if s < 172_800 { return "\(s / 3600) h" }
    return "\(s / 86_400) d"
}

/// A progress line on a terminal while something of unknown length runs: a bar sweeping across
/// and the seconds so far, redrawn ten times a second on stderr and erased when done. Nothing when
/// stderr is not a terminal.
final class ProgressLine: Sendable {
    private let done = Mutex(false)
    private let finished = DispatchSemaphore(value: 0)

    init(label: String) {
        guard isatty(2) == 1 else {
            done.withLock { $0 = true }
            finished.signal()
            return
        }
        let began = ContinuousClock.now
        Thread { [self] in
            var tick = 0
            while !done.withLock({ $0 }) {
                let width = 20
                let at = tick % (2 * width - 2)
                let pos = at < width ? at : 2 * width - 2 - at
                let bar = String(repeating: "░", count: pos) + "█" + String(repeating: "░", count: width - 1 - pos)
                let t = ContinuousClock.now - began
                let seconds = t.inSeconds
                writeError("\r\(label): training \(bar) \(String(format: "%.1f s", seconds))\u{1B}[K")
                tick += 1
                Thread.sleep(forTimeInterval: 0.1)
            }
            writeError("\r\u{1B}[K")
            finished.signal()
        }.start()
    }

    func finish() {
        let first = done.withLock { d -> Bool in
            defer { d = true }
            return !d
        }
        if first && isatty(2) == 1 { finished.wait() }
    }
}
