import Foundation
import PromoDSL
import PromoTesting
import PromoYAML
import Testing

/// One fixture per diagnostic code, each with the exact rendered text it must produce.
@Suite struct DiagnosticGoldenTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/diagnostics")

    static func render(code: String) throws -> (text: String, codes: [DiagnosticCode]) {
        let dir = fixtures.appendingPathComponent(code)
        var limits = YAMLLimits()
        if let settings = try? String(contentsOf: dir.appendingPathComponent("settings"), encoding: .utf8) {
            for line in settings.split(separator: "\n") {
                let kv = line.split(separator: "=")
                let value = Int(kv[1])!
                switch kv[0] {
                case "maxBytes": limits.maxBytes = value
                case "maxDepth": limits.maxDepth = value
                case "maxNodes": limits.maxNodes = value
                default: Issue.record("unknown setting \(kv[0])")
                }
            }
        }
        let ownPlugins = dir.appendingPathComponent("plugins").path
        let plugins = FileManager.default.fileExists(atPath: ownPlugins) ? ownPlugins : PromoTesting.pluginsDirectory
        let loader = RulesLoader(limits: limits, now: PromoTesting.fixedNow, pluginsDirectory: plugins)
        let rules = try loader.load(paths: [dir.appendingPathComponent("rules").path])
        var text = DiagnosticRenderer(sources: rules.sources).render(rules.diagnostics, summary: rules.summary)
        text = text.replacingOccurrences(of: dir.path + "/", with: "")
        text = text.replacingOccurrences(of: PromoTesting.repositoryRoot.path + "/", with: "")
        return (text, rules.diagnostics.map(\.code))
    }

    @Test(arguments: DiagnosticCode.allCases)
    func fixtureRendersExactly(_ code: DiagnosticCode) throws {
        let dir = Self.fixtures.appendingPathComponent(code.rawValue)
        try #require(FileManager.default.fileExists(atPath: dir.path), "no fixture for \(code.rawValue)")
        let (text, codes) = try Self.render(code: code.rawValue)
        #expect(codes.contains(code), "fixture \(code.rawValue) did not produce its code; got \(codes)")
        let expectedFile = dir.appendingPathComponent("expected.txt")
        if PromoTesting.recording {
            try text.write(to: expectedFile, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: expectedFile, encoding: .utf8)
        #expect(text == expected)
    }
}

@Suite struct DiagnosticDocumentationTests {
    @Test func everyCodeIsDocumentedForRuleWriters() throws {
        let doc = try String(
            contentsOf: PromoTesting.repositoryRoot.appendingPathComponent("docs/writing-rules.md"), encoding: .utf8)
        for code in DiagnosticCode.allCases {
            #expect(
                doc.contains("| \(code.rawValue) | \(code.severity.rawValue) | \(code.title) |"), "\(code.rawValue)")
        }
    }
}
