import Foundation
import PromoTesting
import Testing

@Suite struct SchemaCommandTests {
    @Test func committedSchemaMatchesTheCommand() throws {
        let r = try PromoCommand.run(["schema"])
        #expect(r.status == 0)
        let committed = try String(
            contentsOf: PromoTesting.repositoryRoot.appendingPathComponent("docs/promo.schema.json"), encoding: .utf8)
        #expect(r.stdout == committed, "run `swift run promo schema > docs/promo.schema.json`")
    }

    @Test func schemaIsValidAndAcceptsEveryExampleFile() throws {
        let root = PromoTesting.repositoryRoot
        let schema = FileManager.default.temporaryDirectory.appendingPathComponent(
            "promo-schema-\(UUID().uuidString).json")
        try PromoCommand.run(["schema"]).stdout.write(to: schema, atomically: true, encoding: .utf8)
        var files: [String] = []
        for dir in ["rules", "plugins"] {
            let e = FileManager.default.enumerator(atPath: root.appendingPathComponent(dir).path)
            while let f = e?.nextObject() as? String {
                guard f.hasSuffix(".yaml"), !f.hasPrefix("examples") else { continue }
                files.append(root.appendingPathComponent(dir).appendingPathComponent(f).path)
            }
        }
        #expect(files.count >= 12)
        for f in files {
            let text = try String(contentsOfFile: f, encoding: .utf8)
            #expect(text.hasPrefix("# yaml-language-server: $schema="), "\(f) lacks the modeline")
        }
        let script = root.appendingPathComponent("Tests/EndToEndTests/Scripts/check_schema.py")
        let r = try PromoCommand.run(
            [script.path, schema.path] + files, executable: URL(fileURLWithPath: "/usr/bin/env"), pythonWrap: true)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")

        // And it can fail: a file with an unknown key is rejected.
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("promo-bad-\(UUID().uuidString).yaml")
        try "promo: 1\ncampaign: x\nofers: []\n".write(to: bad, atomically: true, encoding: .utf8)
        let rejected = try PromoCommand.run(
            [script.path, schema.path, bad.path], executable: URL(fileURLWithPath: "/usr/bin/env"), pythonWrap: true)
        #expect(rejected.status == 1)
    }
}
