import ArgumentParser
import Foundation

/// `promo`: the PromoEngine command line. Exit status: 0 clean, 1 rules with errors, 2 usage or I/O error.
@main
struct Promo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promo",
        abstract: "PromoEngine: promotion rules, models and decisions you can explain.",
        version: "0.1.0",
        subcommands: [
            Validate.self, Decide.self, Explain.self, ReplayCommand.self, SampleStoreCommand.self, Evaluate.self,
            Import.self,
            Train.self, Plugins.self,
            Schema.self,
        ]
    )

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }
}

/// Whether to colour output: `--color always|never|auto`, where auto means a terminal and no `NO_COLOR`.
enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never

    func enabled(for fd: Int32) -> Bool {
        switch self {
        case .always: true
        case .never: false
        case .auto: isatty(fd) == 1 && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        }
    }
}

func writeError(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}
