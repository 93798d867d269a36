import Foundation
import PromoDSL
import PromoTesting
import PromoYAML
import Testing

/// Mutated copies of the example rules must always end in diagnostics, never in a trap.
@Suite struct LoaderRobustnessTests {
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func mutatedRulesNeverCrashTheLoader() throws {
        let dir = URL(fileURLWithPath: PromoTesting.rulesDirectory)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }
            .sorted()
        let files = try names.map { ($0, Array(try Data(contentsOf: dir.appendingPathComponent($0)))) }
        let workspace = try #require(files.first { $0.0 == "promo.yaml" })
        let campaigns = files.filter { $0.0 != "promo.yaml" }
        let alphabet = Array("abc:-[]{}(),.\"'#&*!|>%\n \t0123456789<=CNY".utf8) + [0x00, 0xC3, 0xFF]
        var rng = SplitMix(state: 20_261_129)
        var withErrors = 0
        for round in 0..<1_500 {
            var (name, bytes) = campaigns[round % campaigns.count]
            for _ in 0..<Int.random(in: 1...4, using: &rng) where !bytes.isEmpty {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(alphabet.randomElement(using: &rng)!, at: at)
                default: bytes[at] = alphabet.randomElement(using: &rng)!
                }
            }
            let rules = RulesLoader(now: PromoTesting.fixedNow).load(
                workspace: ("rules/promo.yaml", workspace.1), campaigns: [("rules/\(name)", bytes)], manifests: [])
            if rules.hasErrors { withErrors += 1 }
            for d in rules.diagnostics {
                #expect(d.span.start.line >= 1 && d.span.start.column >= 1)
                _ = DiagnosticRenderer(sources: rules.sources).render(d)
            }
        }
        // Without manifests every model call is an error, so every round must report one.
        #expect(withErrors == 1_500)
    }
}
