import Foundation
import PromoCore
import PromoDSL
import PromoExplain
import PromoTesting
import Testing

/// The example workspace of the repository, loaded with paths relative to the repository root so
/// that traces (and their golden renderings) do not depend on where the checkout lives.
enum Examples {
    static func file(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: PromoTesting.repositoryRoot.appendingPathComponent(path)))
    }

    static func ruleSet(extraCampaigns: [String] = []) throws -> RuleSet {
        let dir = PromoTesting.rulesDirectory
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter {
            $0.hasSuffix(".yaml") && $0 != "promo.yaml"
        }.sorted()
        let loaded = RulesLoader(now: PromoTesting.fixedNow).load(
            workspace: ("rules/promo.yaml", try file("rules/promo.yaml")),
            campaigns: try names.map { ("rules/\($0)", try file("rules/\($0)")) }
                + extraCampaigns.enumerated().map { ("rules/extra\($0.offset).yaml", Array($0.element.utf8)) },
            manifests: try RulesFixture.manifests())
        return try RuleSet(loaded)
    }

    static let inputs = InputFiles(currency: "CNY")
    static var examples: String { PromoTesting.rulesDirectory + "/examples" }

    static func engine(extraCampaigns: [String] = []) throws -> Engine {
        Engine(
            rules: try ruleSet(extraCampaigns: extraCampaigns), catalog: try inputs.catalog(examples + "/catalog.yaml"))
    }

    static func models() throws -> FixtureModelOutputs { try inputs.models(examples + "/models.yaml") }

    static func request(customer: String, cart: String, at: Int64, id: String) throws -> DecisionRequest {
        let person = try inputs.customers(examples + "/customers.yaml").first { $0.id == customer }!
        let (c, channel) = try inputs.cart(
            examples + "/" + cart, catalog: try inputs.catalog(examples + "/catalog.yaml"))
        return DecisionRequest(decisionID: id, customer: person, cart: c, channel: channel ?? "web", time: at)
    }
}

/// Writes traces to a temporary folder and validates them with docs/trace-schema.json.
func validateAgainstSchema(_ traces: [DecisionTrace], sourceLocation: Testing.SourceLocation = #_sourceLocation) throws
{
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("promo-traces-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    var paths: [String] = []
    for (i, t) in traces.enumerated() {
        let url = dir.appendingPathComponent("trace-\(i).json")
        try DecisionTrace.encoder().encode(t).write(to: url)
        paths.append(url.path)
    }
    let script = Bundle.module.url(forResource: "Scripts/check_traces", withExtension: "py")!.path
    let schema = PromoTesting.repositoryRoot.appendingPathComponent("docs/trace-schema.json").path
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", script, schema] + paths
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(output)", sourceLocation: sourceLocation)
}
