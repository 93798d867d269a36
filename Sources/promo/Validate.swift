import ArgumentParser
import Foundation
import PromoDSL

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check rules files and report every problem with file:line:col.",
        discussion: "Exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage or I/O error."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Argument(help: "Rules folders or files (default: rules).")
    var paths: [String] = []

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    @Option(help: "Folder of plugin manifests (default: plugins/ beside the rules folder).")
    var plugins: String?

    @Option(help: "Colour: auto, always or never. auto honours NO_COLOR.")
    var color: ColorChoice = .auto

    func run() throws {
        let loader = RulesLoader(pluginsDirectory: plugins)
        let rules: LoadedRules
        do {
            rules = try loader.load(paths: paths.isEmpty ? ["rules"] : paths)
        } catch {
            writeError("promo validate: \(error)\n")
            throw ExitCode(2)
        }
        let renderer = DiagnosticRenderer(sources: rules.sources, color: format == .text && color.enabled(for: 1))
        switch format {
        case .text: print(renderer.render(rules.diagnostics, summary: rules.summary), terminator: "")
        case .json: print(renderer.renderJSON(rules.diagnostics, summary: rules.summary), terminator: "")
        }
        if rules.hasErrors { throw ExitCode(1) }
    }
}
