import ArgumentParser
import CustomerProfilerPlugin
import Dispatch
import ForecastPlugin
import Foundation
import PricingPlugin
import PromoCore
import PromoStore
import RecommenderPlugin
import Synchronization
import UpliftPlugin

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the built-in models on data with known answers.",
        subcommands: [Recommend.self, Profile.self, Uplift.self, Forecast.self, Pricing.self]
    )

    struct Recommend: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Precision, recall and NDCG at k of ALS, item-kNN and popularity on a ratings file.",
            discussion: """
                Every rating counts as an implicit positive. Each user's items are split at random (seeded) 75/25;
                the models train on the 75% and rank every item the user has not trained on. Precision divides by
                min(k, held-out items), as the implicit library does.
                """
        )

        @Option(help: "CSV with columns user (or user_id) and item (or item_id); other columns are ignored.")
        var ratings: String

        @Option(help: "Cut-off of the ranking metrics.")
        var k: Int = 10

        @Option(help: "Seed of the split and of ALS.")
        var seed: UInt64 = 42

        @Option(help: "ALS factors.") var factors: Int = 64
        @Option(help: "ALS iterations.") var iterations: Int = 15
        @Option(help: "ALS regularization.") var regularization: Double = 0.01
        @Option(help: "ALS confidence: 1 + alpha x count.") var alpha: Double = 1
        @Option(help: "item-kNN neighbours per item.") var neighbours: Int = 100

        @Option(help: "Also write the split (train.csv, test.csv with user and item indexes) to this folder.")
        var exportSplit: String?

        func run() throws {
            let csv = try CSVStream(path: ratings)
            let userColumn = ["user", "user_id"].first { csv.header.contains($0) }
            let itemColumn = ["item", "item_id"].first { csv.header.contains($0) }
            guard let userColumn, let itemColumn else {
                writeError(
                    "promo evaluate recommend: \(ratings) needs columns user and item (or user_id and item_id)\n")
                throw ExitCode(2)
            }
            var users: [String: Int] = [:]
            var items: [String: Int] = [:]
            var byUser: [[Int]] = []
            try csv.rows(required: [userColumn, itemColumn]) { r throws(InputError) in
                let u = try r.text(userColumn)
                let i = try r.text(itemColumn)
                let ui =
                    users[u]
                    ?? {
                        users[u] = users.count
                        byUser.append([])
                        return users.count - 1
                    }()
                let ii =
                    items[i]
                    ?? {
                        items[i] = items.count
                        return items.count - 1
                    }()
                byUser[ui].append(ii)
            }
            var rng = SplitMix64(seed: seed)
            var train: [(Int, Int, Float)] = []
            var test: [Int: Set<Int32>] = [:]
            for (u, list) in byUser.enumerated() {
                var l = Array(Set(list)).sorted()
                for a in stride(from: l.count - 1, to: 0, by: -1) { l.swapAt(a, Int(rng.next() % UInt64(a + 1))) }
                let held = l.count >= 2 ? Int((Double(l.count) * 0.25).rounded()) : 0
                for (n, i) in l.enumerated() {
                    if n < held { test[u, default: []].insert(Int32(i)) } else { train.append((u, i, 1)) }
                }
            }
            let data = Interactions(users: users.count, items: items.count, triples: train)
            print(
                "\(ratings): \(users.count) users, \(items.count) items, \(train.count) training and "
                    + "\(test.values.reduce(0) { $0 + $1.count }) held-out interactions (seed \(seed))")
            if let dir = exportSplit {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try ("user,item\n" + train.map { "\($0.0),\($0.1)" }.joined(separator: "\n") + "\n")
                    .write(toFile: dir + "/train.csv", atomically: true, encoding: .utf8)
                try
                    ("user,item\n"
                    + test.sorted { $0.key < $1.key }.flatMap { u, s in s.sorted().map { "\(u),\($0)" } }.joined(
                        separator: "\n")
                    + "\n").write(toFile: dir + "/test.csv", atomically: true, encoding: .utf8)
            }
            print("model         precision@\(k)  recall@\(k)  ndcg@\(k)   fit")
            let settings: [String: String] = [
                "factors": "\(factors)", "iterations": "\(iterations)", "regularization": "\(regularization)",
                "alpha": "\(alpha)", "neighbours": "\(neighbours)", "seed": "\(seed)",
            ]
            for algorithm in ["als", "item_knn", "popularity"] {
                var s = settings
                s["algorithm"] = algorithm
                let began = ContinuousClock.now
                let model = ALSRecommender(settings: s).fit(data)
                let took = ContinuousClock.now - began
                let m = RankingMetrics.evaluate(model, train: data, test: test, k: k)
                print(
                    algorithm.padding(toLength: 14, withPad: " ", startingAt: 0)
                        + String(
                            format: "%.4f        %.4f      %.4f    %.2f s", m.precision, m.recall, m.ndcg,
                            took.inSeconds))
            }
        }
    }

    struct Profile: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The segments the profiler finds on transactions (customer, date, amount).",
            discussion:
                "Prints each segment's size and centroid (recency, frequency, monetary value, tenure) and the silhouette."
        )

        @Option(help: "CSV with columns customer_id, date and amount (quantity optional).")
        var transactions: String

        @Option(help: "kmeans or dbscan.")
        var clustering: String = "kmeans"

        func run() throws {
            let csv = try CSVStream(path: transactions)
            var store = StoreData(currency: "CNY")
            var n = 0
            try csv.rows(required: ["customer_id", "date", "amount"]) { r throws(InputError) in
                n += 1
                store.orders.append(
                    OrderLine(
                        orderID: "t\(n)", customerID: try r.text("customer_id"), time: try r.time("date"), sku: "-",
                        quantity: 1, unitPrice: Int64((try r.number("amount") * 100).rounded())))
            }
            let began = ContinuousClock.now
            let found = try runBlocking { [store] in
                var model = RFMProfiler(settings: ["clustering": clustering])
                try model.load(try await model.train(on: store))
                return model.clusters
            }
            let took = ContinuousClock.now - began
            let customers = Set(store.orders.map(\.customerID)).count
            print(
                "\(transactions): \(customers) customers, \(store.orders.count) transactions; "
                    + String(
                        format: "segmented in %.2f s",
                        took.inSeconds))
            guard let found else { return }
            print(String(format: "k = %d, silhouette %.3f", found.k, found.silhouette))
            print("segment     customers  recency (d)  orders/yr  spend/yr  tenure (d)  on promotion")
            for c in found.clusters.sorted(by: { $0.size > $1.size }) {
                print(
                    c.name.padding(toLength: 12, withPad: " ", startingAt: 0)
                        + String(
                            format: "%9d  %11.0f  %9.1f  %8.0f  %10.0f  %11.0f%%", c.size, c.recencyDays, c.frequency,
                            c.monetary, c.tenureDays, c.promotedShare * 100))
            }
        }
    }

    struct Uplift: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Qini and uplift at 10/30/50% of the T- and S-learners on logged exposures, against random targeting.",
            discussion: """
                Rows are split 70/30 at random (seeded); the learners fit on the 70% and rank the 30%. Intervals are
                2.5 and 97.5 percentiles over 200 bootstrap resamples of the 30%.
                """
        )

        @Option(help: "CSV of exposures: one row per customer and offer shown or not.")
        var exposures: String
        @Option(help: "Column that is 1 (or true) when the row was treated.")
        var treatment: String = "treated"
        @Option(help: "Column of the outcome (1 bought, 0 not).")
        var outcome: String = "outcome"
        @Option(help: "Numeric feature columns, comma-separated.")
        var features: String
        @Option(help: "Column of the logging propensity (default: the observed treated share).")
        var propensity: String?
        @Option(help: "Seed of the split and the bootstrap.")
        var seed: UInt64 = 42
        @Option(help: "Ridge penalty.") var l2: Double = 1

        func run() throws {
            let csv = try CSVStream(path: exposures)
            let columns = features.split(separator: ",").map(String.init)
            var rows: [(x: [Double], treated: Bool, outcome: Double, p: Double?)] = []
            try csv.rows(required: [treatment, outcome] + columns) { r throws(InputError) in
                let t = try r.text(treatment).lowercased()
                rows.append(
                    (
                        [1] + (try columns.map { c throws(InputError) in try r.number(c) }), t == "1" || t == "true",
                        try r.number(outcome), try propensity.map { c throws(InputError) in try r.number(c) }
                    ))
            }
            let share = Double(rows.filter(\.treated).count) / Double(max(1, rows.count))
            var rng = SplitMix64(seed: seed)
            var order = Array(rows.indices)
            for a in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(a, Int(rng.next() % UInt64(a + 1))) }
            let cut = order.count * 7 / 10
            let train = order.prefix(cut).map { i -> (x: [Double], treated: Bool, outcome: Double, weight: Double) in
                let r = rows[i]
                let p = min(max(r.p ?? share, 0.01), 0.99)
                return (r.x, r.treated, r.outcome, r.treated ? 1 / p : 1 / (1 - p))
            }
            let test = order.dropFirst(cut).map { rows[$0] }
            print(
                "\(exposures): \(rows.count) rows, \(String(format: "%.1f", share * 100))% treated, "
                    + "\(String(format: "%.1f", rows.reduce(0) { $0 + $1.outcome } / Double(max(1, rows.count)) * 100))% positive outcomes; "
                    + "\(train.count) to fit, \(test.count) to evaluate")
            print(
                "learner  qini [95% interval]              uplift@10% vs random        uplift@30% vs random        uplift@50% vs random"
            )
            for learner in ["t", "s"] {
                let models = UpliftLearner.fit(learner: learner, l2: l2, rows: train)
                let scored = test.map { r -> (score: Double, treated: Bool, outcome: Double) in
                    let p = UpliftLearner.predict(learner: learner, models: models, x: r.x)
                    return (p.treated - p.control, r.treated, r.outcome)
                }
                let point = UpliftMetrics.evaluate(scored)
                var boot: [UpliftMetrics.Result] = []
                for _ in 0..<200 {
                    boot.append(
                        UpliftMetrics.evaluate(
                            (0..<scored.count).map { _ in scored[Int(rng.next() % UInt64(scored.count))] }))
                }
                func interval(_ f: (UpliftMetrics.Result) -> Double) -> String {
                    let v = boot.map(f).sorted()
                    return String(format: "[%.4f, %.4f]", v[v.count * 25 / 1000], v[v.count * 975 / 1000])
                }
                var line = learner.padding(toLength: 9, withPad: " ", startingAt: 0)
                line += String(format: "%.4f %@", point.qini, interval(\.qini)).padding(
                    toLength: 33, withPad: " ", startingAt: 0)
                for f in [0.1, 0.3, 0.5] {
                    line += String(format: "%+.4f %@", point.upliftAt[f] ?? 0, interval { $0.upliftAt[f] ?? 0 })
                        .padding(toLength: 28, withPad: " ", startingAt: 0)
                }
                print(line)
            }
        }
    }

    struct Forecast: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "sMAPE, MAE, RMSE and MASE of the promotion-aware model and baselines on the last periods of each series.",
            discussion: """
                Series are item x location; each keeps its final run of consecutive periods, and runs shorter than
                --min-run are left out. The last --horizon periods are held out, with their prices and promotion
                flags known (the engine plans them).
                """
        )

        @Option(help: "CSV of sales: one row per item, location and period.") var sales: String
        @Option(help: "Held-out periods per series.") var horizon: Int = 12
        @Option(help: "Shortest final run of consecutive periods kept.") var minRun: Int = 60
        @Option(help: "Item column.") var item: String = "item"
        @Option(help: "Location column.") var location: String = "location"
        @Option(help: "Period column (consecutive integers, e.g. weeks).") var period: String = "period"
        @Option(help: "Units column.") var units: String = "units"
        @Option(help: "Price column.") var price: String = "price"
        @Option(help: "Promotion (deal) flag column.") var deal: String = "deal"
        @Option(help: "Feature advertising column.") var feature: String = "feature"
        @Option(
            help:
                "A column mapping file (columns: {item: brand, ...}, as promo import takes); it overrides the options.")
        var map: String?

        mutating func run() throws {
            if let map {
                try mapColumns(
                    &self, map,
                    [
                        ("item", \.item), ("location", \.location), ("period", \.period), ("units", \.units),
                        ("price", \.price), ("deal", \.deal), ("feature", \.feature),
                    ], of: "evaluate forecast")
            }
            let csv = try CSVStream(path: sales)
            var byKey: [String: WeeklySeries] = [:]
            try csv.rows(required: [item, location, period, units, price, deal, feature]) { r throws(InputError) in
                let i = try r.text(item)
                let l = try r.text(location)
                var s = byKey[i + "|" + l] ?? WeeklySeries(item: i, location: l)
                s.periods.append(try r.int(period))
                s.units.append(try r.number(units))
                s.price.append(try r.number(price))
                s.deal.append(try r.number(deal))
                s.feature.append(try r.number(feature))
                byKey[i + "|" + l] = s
            }
            let began = ContinuousClock.now
            let series = byKey.keys.sorted().compactMap { k -> WeeklySeries? in
                var s = byKey[k]!
                let order = s.periods.indices.sorted { s.periods[$0] < s.periods[$1] }
                s.periods = order.map { s.periods[$0] }
                s.units = order.map { s.units[$0] }
                s.price = order.map { s.price[$0] }
                s.deal = order.map { s.deal[$0] }
                s.feature = order.map { s.feature[$0] }
                let run = s.finalRun()
                return run.units.count >= minRun ? run : nil
            }
            let model = PromotionDemandModel.fit(series, horizon: horizon)
            var results: [(String, [(forecast: [Double], actual: [Double], scale: Double)])] = [
                ("promotion-aware ridge", []), ("4-week moving average", []), ("seasonal naive (52)", []),
                ("naive", []), ("AutoETS (AICc, season 52)", []),
            ]
            // MASE's scale: the in-sample one-step naive MAE of each series.
            let scales = series.map { s in
                let origin = s.units.count - horizon
                return (1..<origin).reduce(0) { $0 + abs(s.units[$1] - s.units[$1 - 1]) } / Double(origin - 1)
            }
            for (s, scale) in zip(series, scales) {
                let origin = s.units.count - horizon
                results[0].1.append(
                    (model.forecast(s, origin: origin, horizon: horizon), Array(s.units[origin...]), scale))
            }
            let took = ContinuousClock.now - began
            let etsBegan = ContinuousClock.now
            var chosen: [String: Int] = [:]
            for (s, scale) in zip(series, scales) {
                let origin = s.units.count - horizon
                let actual = Array(s.units[origin...])
                let history = Array(s.units[..<origin])
                let ma = (origin - 4..<origin).reduce(0) { $0 + s.units[$1] } / 4
                results[1].1.append((Array(repeating: ma, count: horizon), actual, scale))
                results[2].1.append((SeasonalNaive(history, period: 52).forecast(horizon), actual, scale))
                results[3].1.append((Array(repeating: s.units[origin - 1], count: horizon), actual, scale))
                if let ets = ExponentialSmoothing.auto(history, period: 52) {
                    chosen[ets.name, default: 0] += 1
                    results[4].1.append((ets.forecast(horizon).map { max(0, $0) }, actual, scale))
                } else {
                    chosen["seasonal naive", default: 0] += 1
                    results[4].1.append((SeasonalNaive(history, period: 52).forecast(horizon), actual, scale))
                }
            }
            let etsTook = ContinuousClock.now - etsBegan
            print(
                "\(sales): \(series.count) series with a final run of at least \(minRun) periods, last \(horizon) held out; "
                    + String(
                        format: "ridge fit and forecast in %.2f s (penalty %g); baselines and AutoETS in %.2f s",
                        took.inSeconds, model.penalty, etsTook.inSeconds))
            print("model                      sMAPE      MAE       RMSE      MASE")
            for (name, pairs) in results {
                let m = ForecastMetrics.evaluate(pairs)
                print(
                    name.padding(toLength: 25, withPad: " ", startingAt: 0)
                        + String(format: "%7.2f  %9.1f  %9.1f  %6.3f", m.smape, m.mae, m.rmse, m.mase))
            }
            print(
                "AutoETS chose: "
                    + chosen.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key) \($0.value)" }.joined(
                        separator: ", "))
        }
    }

    struct Pricing: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Regret of the pricing plugin and three bandits on demand simulators calibrated from weekly sales.",
            discussion: """
                Per item: log units on log price and the --controls columns within each item x location series
                (fixed effects) gives the elasticity and the residual noise. The item's simulator offers the --steps
                discounts off its regular price (the median observed price), or --range-arms prices spread over the
                5th to 95th percentile of its prices; its unit cost is the median of price x (1 - margin / 100) (or
                of --cost), and demand is log-normal as fitted. The plugin (ThompsonPricer.choose on the log-linear
                posterior) keeps its guardrails; the bandits play any price. Every policy plays --rounds rounds,
                --runs times with different seeds; regret is on expected profit against the oracle that always
                plays the best price, summed over items.
                """
        )

        @Option(help: "CSV of weekly sales: item, location, units, price and a margin or cost column.")
        var sales: String
        @Option(help: "Item column.") var item: String = "brand"
        @Option(help: "Location column.") var location: String = "store"
        @Option(help: "Units column.") var units: String = "units"
        @Option(help: "Unit price column.") var price: String = "price"
        @Option(help: "Gross margin column, in percent of the price (cost = price x (1 - margin / 100)).")
        var margin: String = "profit"
        @Option(help: "Unit cost column (instead of --margin).") var cost: String?
        @Option(help: "Columns held fixed when fitting the elasticity (e.g. promotion flags), comma-separated.")
        var controls: String = ""
        @Option(help: "Rounds per run.") var rounds: Int = 2000
        @Option(help: "Runs per item and policy.") var runs: Int = 200
        @Option(help: "The price grid: discounts in percent off the item's regular (median) price, comma-separated.")
        var steps: String = "0,5,10,15,20,25,30"
        @Option(help: "Instead of --steps: this many prices evenly spaced in log between the 5th and 95th percentile.")
        var rangeArms: Int?
        @Option(help: "The plugin's largest change of discount from one round to the next, in percent.")
        var maxChange: Double = 15
        @Option(help: "The plugin's margin floor, in percent of the price.") var minMargin: Double = 10
        @Option(help: "The plugin's price floor, in percent of the list price.") var floor: Double = 50
        @Flag(help: "Also print each policy's percent of the oracle per item.") var perItem = false
        @Option(
            help:
                "A column mapping file (columns: {item: brand, ...}, as promo import takes); it overrides the options.")
        var map: String?

        func validate() throws {
            guard rounds >= 100, runs >= 1, (rangeArms ?? 2) >= 2 else {
                throw ValidationError("--rounds must be at least 100, --runs at least 1 and --range-arms at least 2")
            }
            _ = try grid()
        }

        func grid() throws -> ElasticityFit.Grid {
            if let rangeArms { return .range(rangeArms) }
            let d = steps.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard d.allSatisfy({ $0 != nil && $0! >= 0 && $0! <= 95 }), Set(d).count == d.count, !d.isEmpty else {
                throw ValidationError("--steps must be distinct percents from 0 to 95, e.g. 0,5,10")
            }
            return .discounts(d.map { $0! / 100 }.sorted())
        }

        mutating func run() throws {
            if let map {
                let m = try mapColumns(
                    &self, map,
                    [
                        ("item", \.item), ("location", \.location), ("units", \.units), ("price", \.price),
                        ("margin", \.margin),
                    ], optional: ["cost"], of: "evaluate pricing")
                cost = m.columns["cost"] ?? cost
            }
            var rows: [ElasticityFit.Row] = []
            let csv = try CSVStream(path: sales)
            let controlColumns = controls.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
            try csv.rows(required: [item, location, units, price, cost ?? margin] + controlColumns) {
                r throws(InputError) in
                let p = try r.number(price)
                let c: Double
                if let cost { c = try r.number(cost) } else { c = p * (1 - (try r.number(margin)) / 100) }
                var x: [Double] = []
                for k in controlColumns { x.append(try r.number(k)) }
                rows.append(
                    ElasticityFit.Row(
                        item: try r.text(item), location: try r.text(location), units: try r.number(units), price: p,
                        cost: c, controls: x))
            }
            let fits = ElasticityFit.fit(rows)
            guard !fits.isEmpty else {
                throw ValidationError("\(sales): no item has prices that vary within a location")
            }
            let grid = try self.grid()
            let sims = fits.map { $0.simulator(grid: grid) }
            let gridText =
                switch grid {
                case .range(let n): "\(n) prices from the 5th to the 95th percentile"
                case .discounts: "discounts of \(steps) % off the median price"
                }
            let limits = PricingGuardrails(
                steps: [], minMargin: minMargin / 100, maxChange: maxChange / 100, floor: floor / 100)
            print(
                "\(sales): \(fits.count) items from \(rows.count) rows; T = \(rounds) rounds x \(runs) runs per item and policy; grid: \(gridText); the plugin keeps a \(minMargin)% margin floor, a price floor of \(floor)% of the list price and moves at most \(maxChange) points a round"
            )
            print("item        rows  elasticity  noise   cost    prices          best price  oracle profit/round")
            for (f, s) in zip(fits, sims) {
                let best = s.prices.indices.max { s.expectedProfit($0) < s.expectedProfit($1) }!
                print(
                    f.item.padding(toLength: 10, withPad: " ", startingAt: 0)
                        + String(
                            format: "%6d  %10.2f  %5.2f  %6.4f  %6.4f-%6.4f  %10.4f  %12.2f", f.rows, f.elasticity,
                            f.noise, s.cost, s.prices.last!, s.prices[0], s.prices[best], s.oracle))
            }
            let policies = PricingPolicy.allCases
            let (runs, rounds) = (self.runs, self.rounds)
            let checkpoints = [100, 500, rounds].filter { $0 <= rounds }
            // regret[policy][item][checkpoint], averaged over runs.
            let jobs = policies.count * sims.count
            let results = Mutex([[Double]](repeating: [], count: jobs))
            let began = ContinuousClock.now
            DispatchQueue.concurrentPerform(iterations: jobs) { j in
                let policy = policies[j / sims.count]
                let sim = sims[j % sims.count]
                var mean = [Double](repeating: 0, count: checkpoints.count)
                for run in 0..<runs {
                    let r = PricingRun.regret(
                        policy, on: sim, rounds: rounds, seed: UInt64(run * 7919 + j % sims.count), limits: limits)
                    for (c, t) in checkpoints.enumerated() { mean[c] += r[t - 1] / Double(runs) }
                }
                results.withLock { $0[j] = mean }
            }
            let took = ContinuousClock.now - began
            let perRound = sims.reduce(0) { $0 + $1.oracle }
            print()
            print(
                "policy                                 "
                    + checkpoints.map { "regret@\($0)".padding(toLength: 14, withPad: " ", startingAt: 0) }.joined()
                    + "% of oracle at T=\(rounds)   worst item")
            let table = results.withLock { $0 }
            for (p, policy) in policies.enumerated() {
                var line = policy.rawValue.padding(toLength: 39, withPad: " ", startingAt: 0)
                for c in checkpoints.indices {
                    let total = sims.indices.reduce(0) { $0 + table[p * sims.count + $1][c] }
                    line += String(format: "%-14.1f", total)
                }
                let total = sims.indices.reduce(0) { $0 + table[p * sims.count + $1][checkpoints.count - 1] }
                let worst = sims.indices.map { i in
                    (
                        fits[i].item,
                        100 * (1 - table[p * sims.count + i][checkpoints.count - 1] / (Double(rounds) * sims[i].oracle))
                    )
                }.min { $0.1 < $1.1 }!
                line += String(
                    format: "%8.2f %%              %@ %.2f %%", 100 * (1 - total / (Double(rounds) * perRound)),
                    worst.0, worst.1)
                print(line)
            }
            if perItem {
                print()
                print("percent of the oracle at T=\(rounds), per item")
                print(
                    "policy".padding(toLength: 39, withPad: " ", startingAt: 0)
                        + fits.map { $0.item.padding(toLength: 8, withPad: " ", startingAt: 0) }.joined())
                for (p, policy) in policies.enumerated() {
                    print(
                        policy.rawValue.padding(toLength: 39, withPad: " ", startingAt: 0)
                            + sims.indices.map { i in
                                String(
                                    format: "%-8.2f",
                                    100
                                        * (1 - table[p * sims.count + i][checkpoints.count - 1]
                                            / (Double(rounds) * sims[i].oracle)))
                            }.joined())
                }
            }
            print(
                String(
                    format: "simulated %d rounds in %.1f s", policies.count * sims.count * runs * rounds,
                    took.inSeconds))
        }
    }
}

/// Reads a column mapping file (as `promo import --map` takes) and sets the command's column
/// options it names; `optional` are further columns the caller applies itself.
@discardableResult
func mapColumns<C>(
    _ command: inout C, _ map: String, _ columns: [(String, WritableKeyPath<C, String>)], optional: [String] = [],
    of owner: String
) throws -> ColumnMapping {
    let m = try ColumnMapping.load(map, columns: columns.map(\.0) + optional, of: owner)
    for (name, path) in columns { if let header = m.columns[name] { command[keyPath: path] = header } }
    return m
}
