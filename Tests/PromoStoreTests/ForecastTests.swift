import ForecastPlugin
import Foundation
import PromoCore
import Testing

@Suite struct ForecastTests {
    /// 24 series of 110 weeks: log units = 5 + item level + yearly season - 2.5 log(price / 1.0)
    /// + 0.4 deal + N(0, 0.15^2); prices vary from 0.7 to 1.1 with deals.
    static func planted() -> [WeeklySeries] {
        var rng = SplitMix64(seed: 21)
        return (0..<24).map { k in
            var s = WeeklySeries(item: "b\(k % 4)", location: "s\(k / 4)")
            let level = Double(k % 4) * 0.3
            for t in 0..<110 {
                let deal: Double = rng.unit() < 0.2 ? 1 : 0
                let price = deal == 1 ? 0.7 + 0.1 * rng.unit() : 0.95 + 0.15 * rng.unit()
                let season = 0.3 * sin(2 * .pi * Double(t) / 52)
                let z = (-2 * log(max(rng.unit(), 1e-12))).squareRoot() * cos(2 * .pi * rng.unit())
                s.periods.append(t)
                s.price.append(price)
                s.deal.append(deal)
                s.feature.append(0)
                s.units.append(exp(5 + level + season - 2.5 * log(price) + 0.4 * deal + 0.15 * z))
            }
            return s
        }
    }

    @Test func recoversThePlantedElasticityAndBeatsTheBaselines() {
        let series = Self.planted()
        let model = PromotionDemandModel.fit(series, horizon: 12)
        var ridge: [(forecast: [Double], actual: [Double], scale: Double)] = []
        var seasonal: [(forecast: [Double], actual: [Double], scale: Double)] = []
        var average: [(forecast: [Double], actual: [Double], scale: Double)] = []
        for s in series {
            let origin = s.units.count - 12
            let actual = Array(s.units[origin...])
            ridge.append((model.forecast(s, origin: origin, horizon: 12), actual, 1))
            seasonal.append(((origin..<origin + 12).map { s.units[$0 - 52] }, actual, 1))
            let ma = (origin - 4..<origin).reduce(0) { $0 + s.units[$1] } / 4
            average.append((Array(repeating: ma, count: 12), actual, 1))
        }
        let r = ForecastMetrics.evaluate(ridge).smape
        #expect(r < ForecastMetrics.evaluate(seasonal).smape / 2, "ridge \(r)")
        #expect(r < ForecastMetrics.evaluate(average).smape / 2, "ridge \(r)")
        // The implied elasticity: forecasts at 10% higher prices, everything else equal (tolerance 0.4).
        var s = series[0]
        let origin = s.units.count - 12
        let base = model.forecast(s, origin: origin, horizon: 12)
        for t in origin..<s.units.count { s.price[t] *= 1.1 }
        let higher = model.forecast(s, origin: origin, horizon: 12)
        let elasticity = zip(higher, base).map { log($0 / $1) / log(1.1) }.reduce(0, +) / 12
        #expect(abs(elasticity + 2.5) < 0.4, "elasticity \(elasticity)")
    }
}
