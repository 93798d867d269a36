import ForecastPlugin
import Foundation
import PromoCore
import PromoPlugins
import PromoStore
import PromoTesting
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
                let z = rng.gaussian()
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

@Suite struct ExponentialSmoothingTests {
    /// 8 seasons of 12: level 100, season amplitude 20, noise sd 3. AICc picks a seasonal model,
    /// the seasonal states recover the planted shape within 4 units, and the forecast of the next
    /// season is within 5% sMAPE, where the best non-seasonal model is far off.
    @Test func recoversAPlantedSeason() throws {
        var rng = SplitMix64(seed: 5)
        let planted = (0..<12).map { 20 * sin(2 * .pi * Double($0) / 12) }
        let y = (0..<108).map { 100 + planted[$0 % 12] + 3 * rng.gaussian() }
        let train = Array(y.prefix(96))
        let model = try #require(ExponentialSmoothing.auto(train, period: 12))
        #expect(model.season != .none, "chose \(model.name)")
        // seasonal[0] applies to period 96, which is 0 mod 12.
        for k in 0..<12 {
            let effect = model.season == .additive ? model.seasonal[k] : (model.seasonal[k] - 1) * model.level
            #expect(abs(effect - planted[k]) < 4, "season \(k): \(effect) vs \(planted[k])")
        }
        let actual = Array(y.suffix(12))
        let seasonal = ForecastMetrics.evaluate([(model.forecast(12), actual, 1)]).smape
        let flat = try #require(ExponentialSmoothing.fit(train, trend: .none, season: .none, period: 12))
        let nonSeasonal = ForecastMetrics.evaluate([(flat.forecast(12), actual, 1)]).smape
        #expect(seasonal < 5 && seasonal < nonSeasonal / 2, "\(model.name) \(seasonal), ETS(A,N,N) \(nonSeasonal)")
        #expect(model.aicc < flat.aicc)
    }

    /// A planted linear trend is followed; a flat series gets no trend.
    @Test func choosesTrendOnlyWhenThereIsOne() throws {
        var rng = SplitMix64(seed: 6)
        let trending = (0..<60).map { 50 + 2 * Double($0) + 2 * rng.gaussian() }
        let t = try #require(ExponentialSmoothing.auto(trending, period: 1))
        #expect(t.trend != .none, "chose \(t.name)")
        let next = t.forecast(5)
        for (k, f) in next.enumerated() { #expect(abs(f - (50 + 2 * Double(60 + k))) < 8, "\(k): \(f)") }
        let flat = (0..<60).map { _ in 50 + 2 * rng.gaussian() }
        let f = try #require(ExponentialSmoothing.auto(flat, period: 1))
        #expect(f.trend == .none || abs(f.slope) < 0.3, "chose \(f.name) with slope \(f.slope)")
    }

    /// The 80% interval of the next value of a local-level series covers between 74% and 86% of
    /// 400 simulated futures, and the 4-step sum's interval likewise.
    @Test func intervalsCoverAtTheirLevel() throws {
        var rng = SplitMix64(seed: 7)
        var covered1 = 0
        var covered4 = 0
        let z = normalQuantile(0.9)
        for _ in 0..<400 {
            var level = 100.0
            var y: [Double] = []
            for _ in 0..<64 {
                let e = 5 * rng.gaussian()
                y.append(level + e)
                level += 0.3 * e
            }
            let model = try #require(
                ExponentialSmoothing.fit(Array(y.prefix(60)), trend: .none, season: .none, period: 1))
            let f = model.forecast(4)
            let v = model.cumulativeVariances(4)
            if abs(y[60] - f[0]) <= z * v[0].squareRoot() { covered1 += 1 }
            let sum = y[60..<64].reduce(0, +)
            if abs(sum - f.reduce(0, +)) <= z * v[3].squareRoot() { covered4 += 1 }
        }
        #expect((296...344).contains(covered1), "\(covered1) of 400")
        #expect((296...344).contains(covered4), "\(covered4) of 400")
    }

    @Test func normalQuantileMatchesKnownValues() {
        #expect(abs(normalQuantile(0.975) - 1.959964) < 1e-6)
        #expect(abs(normalQuantile(0.9) - 1.281552) < 1e-6)
        #expect(abs(normalQuantile(0.5)) < 1e-9)
        #expect(abs(normalQuantile(0.001) + 3.090232) < 1e-6)
    }
}

@Suite struct DemandForecasterTests {
    /// A store with weekly sales: 12 skus in 3 categories over 104 weeks at 2 locations. The first
    /// 8 have promotions (log units = 3 + level - 2.5 log(price / list) + N(0, 0.1^2)); the last 4
    /// never change price and follow a level with noise.
    static func store() -> StoreData {
        var rng = SplitMix64(seed: 31)
        var catalog: [CatalogItem] = []
        var sales: [SalesRow] = []
        for k in 0..<12 {
            let sku = "SKU-\(k)"
            catalog.append(
                CatalogItem(
                    sku: sku, title: sku, category: "cat\(k % 3)", brand: "b", price: 1000, cost: 500, stock: 700))
            for location in ["north", "south"] {
                for w in 0..<104 {
                    var price = 1000.0
                    var promoted = false
                    if k < 8, rng.unit() < 0.25 {
                        price = [900, 800, 700][Int(rng.next() % 3)]
                        promoted = true
                    }
                    let log =
                        3 + Double(k % 4) * 0.2 - 2.5 * Foundation.log(price / 1000)
                        + 0.1 * rng.gaussian()
                    sales.append(
                        SalesRow(
                            sku: sku, location: location, periodStart: 1_700_000_000 + Int64(w) * 7 * 86_400,
                            units: exp(log).rounded(), price: Int64(price), promoted: promoted))
                }
            }
        }
        return StoreData(currency: "CNY", catalog: catalog, sales: sales)
    }

    @Test func servesEveryFunctionFromTheRightModel() async throws {
        let store = Self.store()
        var model = DemandForecaster(settings: [:])
        try model.load(try await model.train(on: store))
        let methods = model.method(skus: store.catalog.map(\.sku))
        #expect(methods.prefix(8).allSatisfy { $0 == "ridge" }, "\(methods)")
        #expect(methods.suffix(4).allSatisfy { $0?.hasPrefix("ETS(") == true }, "\(methods)")
        // Planted elasticity -2.5, read back through demand_at_price: within 0.4.
        for sku in store.catalog.prefix(8).map(\.sku) {
            let at = model.demandAtPrice(skus: [sku], price: 1000)[0]!
            let lower = model.demandAtPrice(skus: [sku], price: 800)[0]!
            let e = log(lower / at) / log(0.8)
            #expect(abs(e + 2.5) < 0.4, "\(sku): elasticity \(e)")
        }
        // Weekly demand at list price and no promotion: 2 locations x exp(3 + level) (+/- 15%).
        for (k, sku) in store.catalog.map(\.sku).enumerated() {
            let week = model.demand(skus: [sku], horizon: 7 * 86_400)[0]!
            let planted = 2 * exp(3 + Double(k % 4) * 0.2)
            #expect(abs(week / planted - 1) < 0.15, "\(sku): \(week) vs \(planted)")
            let four = model.demand(skus: [sku], horizon: 28 * 86_400)[0]!
            #expect(abs(four / week - 4) < 0.4)
            let i80 = model.interval(skus: [sku], horizon: 28 * 86_400, level: 0.8)[0]!
            let i95 = model.interval(skus: [sku], horizon: 28 * 86_400, level: 0.95)[0]!
            #expect(i95.low <= i80.low && i80.low < four && four < i80.high && i80.high <= i95.high)
            let cover = model.daysOfCover(skus: [sku])[0]!
            #expect(abs(cover - 700 / (week / 7)) < 1e-6 * cover)
        }
        #expect(model.demand(skus: ["NOT-A-SKU"], horizon: 86_400) == [nil])
    }

    @Test func conformsToThePluginContract() async throws {
        let store = Self.store()
        let calls: [PredictRequest.Call] = [
            .init(function: "demand", arguments: ["horizon": .duration(14 * 86_400)], perItem: true),
            .init(
                function: "interval", arguments: ["horizon": .duration(14 * 86_400), "level": .percent(800_000)],
                perItem: true),
            .init(function: "days_of_cover", perItem: true),
            .init(function: "demand_at_price", arguments: ["price": .money(900)], perItem: true),
            .init(function: "method", perItem: true),
        ]
        let skus = store.catalog.map(\.sku) + ["NOT-A-SKU"]
        #expect(await PluginConformance.failures(DemandForecaster.self, store: store, skus: skus, calls: calls) == [])
        // Orders instead of sales: the sample store trains too, and every sku is served.
        let dir = NSTemporaryDirectory() + "promo-forecast-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try SampleStore(customers: 300, skus: 30, seed: 4).write(folder: dir)
        let sample = try StoreData.load(folder: dir, currency: "CNY")
        #expect(
            await PluginConformance.failures(
                DemandForecaster.self, store: sample, skus: sample.catalog.map(\.sku), calls: calls) == [])
        var model = DemandForecaster(settings: [:])
        try model.load(try await model.train(on: sample))
        #expect(model.demand(skus: sample.catalog.map(\.sku), horizon: 14 * 86_400).allSatisfy { ($0 ?? -1) >= 0 })
    }
}
