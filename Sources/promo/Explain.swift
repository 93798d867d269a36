import ArgumentParser
import Foundation
import PromoCore
import PromoDSL
import PromoExplain

/// Reads a stored trace, with a clear error for a missing or malformed file.
func readTrace(_ path: String, command: String) throws -> DecisionTrace {
    guard let data = FileManager.default.contents(atPath: path) else {
        writeError("promo \(command): cannot read \(path)\n")
        throw ExitCode(2)
    }
    do {
        let trace = try DecisionTrace.decoder().decode(DecisionTrace.self, from: data)
        guard trace.traceVersion == DecisionTrace.currentVersion else {
            writeError(
                "promo \(command): \(path) is a version \(trace.traceVersion) trace; this promo reads version \(DecisionTrace.currentVersion)\n"
            )
            throw ExitCode(2)
        }
        return trace
    } catch let e as ExitCode {
        throw e
    } catch {
        writeError("promo \(command): \(path) is not a decision trace: \(error)\n")
        throw ExitCode(2)
    }
}

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render a stored decision trace: why each offer was given or not.",
        discussion: """
            Write a trace with `promo decide ... --trace-out FILE`. With --why-not, prints the nearest miss:
            the smallest change to the request that would have given the offer, where one exists.
            Exit status: 0 rendered, 2 usage or input error (also: no such offer in the trace).
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, html }

    @Argument(help: "A trace file (JSON).")
    var trace: String

    @Option(help: "Output format: text, json or html.")
    var format: Format = .text

    @Option(help: "Explain why this offer (`offer` or `campaign/offer`) was not given.")
    var whyNot: String?

    @Option(help: "Write to this file instead of standard output.")
    var out: String?

    @Option(help: "Colour: auto, always or never. auto honours NO_COLOR.")
    var color: ColorChoice = .auto

    func run() throws {
        let t = try readTrace(trace, command: "explain")
        var text: String
        if let whyNot {
            guard let w = WhyNot.explain(t, offer: whyNot) else {
                var message = "promo explain: no offer '\(whyNot)' in \(trace)"
                if t.notConsideredCount > t.notConsidered.count {
                    message +=
                        " (the trace lists \(t.notConsidered.count) of the \(t.notConsideredCount) offers the index ruled out)"
                }
                writeError(message + "\n")
                throw ExitCode(2)
            }
            text = w.text + "\n"
        } else {
            switch format {
            case .text: text = TraceTextRenderer(color: out == nil && color.enabled(for: 1)).render(t)
            case .json: text = String(decoding: try DecisionTrace.encoder(pretty: true).encode(t), as: UTF8.self) + "\n"
            case .html: text = TraceHTMLRenderer().render(t)
            }
        }
        if let out {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: out))
            } catch {
                writeError("promo explain: cannot write \(out): \(error.localizedDescription)\n")
                throw ExitCode(2)
            }
        } else {
            print(text, terminator: "")
        }
    }
}

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Decide a recorded request again, with its recorded model outputs, and compare.",
        discussion: """
            By default the rules folder must hold the rules the trace was recorded with (same digest);
            pass --rules with another folder to see what newer rules would change.
            Exit status: 0 identical, 3 the replay differs, 1 the rules have errors, 2 usage or input error.
            """
    )

    @Argument(help: "A trace file (JSON).")
    var trace: String

    @Option(help: "Rules folder (default: rules; must match the trace's digest unless given).")
    var rules: String?

    @Option(help: "Folder of plugin manifests (default: plugins/ beside the rules folder).")
    var plugins: String?

    func run() throws {
        let t = try readTrace(trace, command: "replay")
        let loaded: LoadedRules
        do {
            loaded = try RulesLoader(pluginsDirectory: plugins).load(paths: [rules ?? "rules"])
        } catch {
            writeError("promo replay: \(error)\n")
            throw ExitCode(2)
        }
        guard !loaded.hasErrors else {
            writeError("promo replay: the rules have errors; run promo validate\n")
            throw ExitCode(1)
        }
        let ruleSet = try RuleSet(loaded)
        if rules == nil && ruleSet.digest != t.rulesDigest {
            writeError(
                "promo replay: rules/ has digest \(ruleSet.digest.prefix(12)), the trace was recorded with \(t.rulesDigest.prefix(12)); pass --rules DIR to replay against other rules\n"
            )
            throw ExitCode(2)
        }
        let result = Replay.run(t, rules: ruleSet)
        let against =
            result.sameRules
            ? "the recorded rules" : "rules \(ruleSet.digest.prefix(12)) (recorded with \(t.rulesDigest.prefix(12)))"
        if result.identical {
            print("identical: replaying \(t.decisionID) against \(against) gives the recorded decision")
            return
        }
        print("differs: replaying \(t.decisionID) against \(against):")
        for d in result.differences { print("  \(d)") }
        throw ExitCode(3)
    }
}
