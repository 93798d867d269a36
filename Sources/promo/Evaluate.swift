import ArgumentParser
import CustomerProfilerPlugin
import Foundation
import PromoCore
import RecommenderPlugin

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the built-in models on data with known answers.",
        subcommands: [Recommend.self, Profile.self]
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
                            Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18))
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
                        Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18))
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
}
