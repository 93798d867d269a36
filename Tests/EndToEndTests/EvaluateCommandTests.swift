import Foundation
import PromoCore
import Testing

/// `promo evaluate forecast` and `promo evaluate pricing` on a small weekly sales file in
/// Dominick's layout (brand, store, week, price, units, deal, feat, profit) with a planted
/// elasticity of -2.5, read through a column mapping.
@Suite struct EvaluateCommandTests {
    static func salesFile() throws -> (folder: String, csv: String, map: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("promo-eval-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var rng = SplitMix64(seed: 17)
        var lines = ["store,brand,week,price,units,deal,feat,profit"]
        for store in 1...4 {
            for brand in 1...3 {
                for week in 1...90 {
                    let deal = rng.unit() < 0.25 ? 1 : 0
                    let price = 0.85 + 0.3 * rng.unit() - (deal == 1 ? 0.15 : 0)
                    let season = 0.2 * sin(2 * .pi * Double(week) / 52)
                    let noise = 0.2 * rng.gaussian()
                    let units = exp(6 + 0.3 * Double(brand) + season - 2.5 * log(price) + 0.3 * Double(deal) + noise)
                    lines.append(
                        "\(store),\(brand),\(week),\(price),\(Int(units.rounded())),\(deal),0,\(30 + brand)")
                }
            }
        }
        let csv = folder + "/sales.csv"
        try lines.joined(separator: "\n").write(toFile: csv, atomically: true, encoding: .utf8)
        let map = folder + "/map.yaml"
        try "columns:\n  item: brand\n  location: store\n  period: week\n  feature: feat\n".write(
            toFile: map, atomically: true, encoding: .utf8)
        return (folder, csv, map)
    }

    @Test func forecastScoresEveryModelThroughAMapping() throws {
        let (folder, csv, map) = try Self.salesFile()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let r = try PromoCommand.run(["evaluate", "forecast", "--sales", csv, "--map", map, "--horizon", "8"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("12 series with a final run of at least 60 periods, last 8 held out"), "\(r.stdout)")
        func smape(_ model: String) throws -> Double {
            let line = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix(model) }, "\(model)")
            return try #require(Double(line.dropFirst(25).split(separator: " ")[0]))
        }
        let ridge = try smape("promotion-aware ridge")
        #expect(ridge < 25, "\(r.stdout)")
        for baseline in ["4-week moving average", "seasonal naive (52)", "naive", "AutoETS (AICc, season 52)"] {
            let other = try smape(baseline)
            #expect(ridge < other, "\(baseline): \(r.stdout)")
        }
        #expect(r.stdout.contains("AutoETS chose: ETS(A,"))

        let wrong = try PromoCommand.run([
            "evaluate", "forecast", "--sales", csv, "--map", map, "--period", "x", "--item", "nope",
        ])
        #expect(wrong.status == 0, "the mapping overrides the options: \(wrong.stderr)")
        try "columns:\n  itme: brand\n".write(toFile: map, atomically: true, encoding: .utf8)
        let bad = try PromoCommand.run(["evaluate", "forecast", "--sales", csv, "--map", map])
        #expect(bad.status != 0)
        #expect(
            bad.stderr.contains(
                "map.yaml:2:3: error: 'itme' is not a column of evaluate forecast; did you mean 'item'?"))
    }

    @Test func pricingComparesThePluginWithTheBandits() throws {
        let (folder, csv, _) = try Self.salesFile()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let r = try PromoCommand.run([
            "evaluate", "pricing", "--sales", csv, "--rounds", "400", "--runs", "6", "--per-item", "--controls", "deal",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("3 items from 1080 rows; T = 400 rounds x 6 runs"), "\(r.stdout)")
        // With the deal flag held fixed, the fitted elasticities are near the planted -2.5.
        for brand in 1...3 {
            let row = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("\(brand)   ") })
            let e = try #require(Double(row.split(separator: " ", omittingEmptySubsequences: true)[2]))
            #expect(abs(e + 2.5) < 0.3, "\(row)")
        }
        func share(_ policy: String) throws -> Double {
            let line = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix(policy) }, "\(policy)")
            let cell = try #require(line.firstMatch(of: /([0-9.]+) %/)?.output.1)
            return try #require(Double(cell))
        }
        let plugin = try share("plugin: log-linear Thompson sampling")
        #expect(plugin > 90, "\(r.stdout)")
        let ucb = try share("UCB1")
        #expect(plugin > ucb, "\(r.stdout)")
        #expect(r.stdout.contains("percent of the oracle at T=400, per item"))

        let bad = try PromoCommand.run(["evaluate", "pricing", "--sales", csv, "--steps", "0,abc"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--steps must be distinct percents from 0 to 95"))
    }
}
