import Foundation
import PromoTesting
import Testing

@Suite struct ValidateCommandTests {
    @Test func exampleWorkspaceIsClean() throws {
        let r = try PromoCommand.run(["validate", "rules"])
        #expect(r.status == 0)
        #expect(r.stdout == "6 campaigns, 10 offers in 15 files: 0 errors, 0 warnings\n")
        let defaulted = try PromoCommand.run(["validate"])
        #expect(defaulted.stdout == r.stdout)
    }

    @Test func badRulesExitOneWithLocatedErrors() throws {
        let campaign =
            "promo: 1\ncampaign: c\nholdout: 5%\noffers:\n  - id: a\n    kind: percent_off\n    percent: 10\n"
        let dir = try PromoCommand.workspace(["c.yaml": Array(campaign.utf8)])
        let r = try PromoCommand.run(["validate", dir.path, "--plugins", "plugins"])
        #expect(r.status == 1)
        #expect(
            r.stdout.contains("\(dir.path)/c.yaml:7:14: error[PROMO024]: percent needs a percent, not a bare number\n"))
        #expect(r.stdout.contains("\n7 |     percent: 10\n"))
        #expect(r.stdout.contains("= help: write 10%\n"))
        #expect(r.stdout.hasSuffix("1 campaign, 1 offer in 10 files: 1 error, 0 warnings\n"))
        #expect(!r.stdout.contains("\u{1B}["))
    }

    @Test func jsonFormatForEditors() throws {
        let campaign =
            "promo: 1\ncampaign: c\noffers:\n  - id: a\n    kind: gift\n    sku: \"S\"\n    when: customer.tierr == \"gold\"\n"
        let dir = try PromoCommand.workspace(["c.yaml": Array(campaign.utf8)])
        let r = try PromoCommand.run(["validate", dir.path, "--plugins", "plugins", "--format", "json"])
        #expect(r.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let summary = try #require(json["summary"] as? [String: Int])
        #expect(summary["errors"] == 1)
        #expect(summary["warnings"] == 1)
        let diagnostics = try #require(json["diagnostics"] as? [[String: Any]])
        #expect(diagnostics.map { $0["code"] as? String } == ["PROMO102", "PROMO041"])
        #expect(diagnostics[1]["line"] as? Int == 7)
        #expect(diagnostics[1]["column"] as? Int == 11)
        #expect(diagnostics[1]["hint"] as? String == "did you mean 'customer.tier'?")
    }

    @Test func colourOnRequestAndNoColorHonoured() throws {
        let campaign = "promo: 1\ncampaign: c\nholdout: 5%\noffers: [{ id: a, kind: gift, sku: no }]\n"
        let dir = try PromoCommand.workspace(["c.yaml": Array(campaign.utf8)])
        let coloured = try PromoCommand.run(["validate", dir.path, "--plugins", "plugins", "--color", "always"])
        #expect(coloured.stdout.contains("\u{1B}[1;31merror[PROMO023]\u{1B}[0m"))
        let auto = try PromoCommand.run(["validate", dir.path, "--plugins", "plugins"], environment: ["NO_COLOR": "1"])
        #expect(!auto.stdout.contains("\u{1B}["))
    }

    @Test func usageAndIOErrorsExitTwo() throws {
        let missing = try PromoCommand.run(["validate", "no/such/folder"])
        #expect(missing.status == 2)
        #expect(missing.stderr == "promo validate: no/such/folder: no such file or folder\n")
        let usage = try PromoCommand.run(["validate", "--format", "xml"])
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("--format"))
        let help = try PromoCommand.run(["validate", "--help"])
        #expect(help.status == 0)
    }

    /// The hostile inputs of the foundation issue, through the real binary: each a located error, no crash.
    @Test func hostileFilesAreRejectedWithLocatedErrors() throws {
        var laughs =
            "promo: 1\ncampaign: lol\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        for i in 1..<names.count {
            laughs +=
                "\(names[i]): &\(names[i]) [" + Array(repeating: "*\(names[i - 1])", count: 9).joined(separator: ",")
                + "]\n"
        }
        let cases: [(String, [UInt8], String)] = [
            ("laughs.yaml", Array(laughs.utf8), ":3:4: error[PROMO003]"),
            (
                "deep.yaml",
                Array(("x: " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)).utf8),
                ":1:67: error[PROMO010]"
            ),
            ("big.yaml", [UInt8](repeating: UInt8(ascii: "#"), count: 50 << 20), ":1:1: error[PROMO009]"),
            ("utf8.yaml", Array("promo: 1\ncampaign: x\n".utf8) + [0xFF, 0xFE], ":3:1: error[PROMO007]"),
            ("nul.yaml", Array("promo: 1\ncampaign: x\u{0}\n".utf8), ":2:12: error[PROMO008]"),
            ("tabs.yaml", Array("promo: 1\noffers:\n\t- id: a\n".utf8), ":3:1: error[PROMO001]"),
            ("dup.yaml", Array("promo: 1\ncampaign: x\ncampaign: y\n".utf8), ":3:1: error[PROMO002]"),
            (
                "bool.yaml",
                Array(
                    "promo: 1\ncampaign: x\nholdout: 5%\ndescription: yes\noffers: [{ id: a, kind: gift, sku: 0755 }]\n"
                        .utf8), ":4:14: error[PROMO023]"
            ),
            ("docs.yaml", Array("promo: 1\ncampaign: x\n---\npromo: 1\n".utf8), ":3:1: error[PROMO006]"),
            (
                "tag.yaml", Array("promo: 1\ncampaign: !!python/object/apply:os.system [\"ls\"]\n".utf8),
                ":2:11: error[PROMO004]"
            ),
        ]
        for (name, bytes, expected) in cases {
            let dir = try PromoCommand.workspace([name: bytes])
            let r = try PromoCommand.run(["validate", dir.appendingPathComponent(name).path, "--plugins", "plugins"])
            #expect(r.status == 1, "\(name): \(r.stderr)")
            #expect(r.stdout.contains("\(name)\(expected)"), "\(name): \(r.stdout.prefix(400))")
            if name == "bool.yaml" { #expect(r.stdout.contains(":5:36: error[PROMO023]")) }
        }
    }
}
