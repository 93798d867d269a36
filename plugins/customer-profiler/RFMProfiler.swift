import Foundation
public import PromoCore
public import PromoDSL
public import PromoPlugins

/// Customer profiling: recency, frequency, monetary value, tenure and promotion share per
/// customer, clustered by k-means++ (k from 3 to `max_k` chosen by silhouette) or DBSCAN, and the
/// clusters named from their centroids (README.md states the naming rule).
public struct RFMProfiler: CustomerProfiler {
    public static let builtinName = "RFMProfiler"
    public static let snapshotFormat = 1

    public struct Profile: Codable, Hashable, Sendable {
        public var segment: String
        /// Nil for a customer without orders.
        public var recencyDays: Double?
        public var frequency: Double
        /// Minor units, last 365 days.
        public var monetary: Int64
        public var churnRisk: Double
    }

    /// A cluster's centroid in original units, with its name and size.
    public struct Cluster: Codable, Hashable, Sendable {
        public var name: String
        public var size: Int
        public var recencyDays: Double
        public var frequency: Double
        public var monetary: Double
        public var tenureDays: Double
        public var promotedShare: Double
    }

    struct State: Codable, Hashable {
        var asOf: Int64
        var k: Int
        var silhouette: Double
        var clusters: [Cluster]
        var profiles: [String: Profile]
    }

    /// Weights of the standardised features (recency, frequency, monetary, tenure, promoted
    /// share): the promoted share counts double, so that bargain hunters separate from customers
    /// who buy as often.
    static let weights: [Double] = [1, 1, 1, 1, 2]

    let clustering: String
    let seed: UInt64
    let maxK: Int
    var state: State?

    public init(settings: [String: String]) {
        clustering = settings["clustering"] ?? "kmeans"
        seed = UInt64(settings["seed"].flatMap(Double.init) ?? 42)
        maxK = max(3, Int(settings["max_k"].flatMap(Double.init) ?? 8))
    }

    /// The clusters of the loaded snapshot, with the silhouette of the chosen k.
    public var clusters: (k: Int, silhouette: Double, clusters: [Cluster])? {
        state.map { ($0.k, $0.silhouette, $0.clusters) }
    }

    public func train(on store: StoreData) async throws -> ModelSnapshot {
        try .encoding(fit(store), by: Self.self)
    }

    func fit(_ store: StoreData) -> State {
        let history = CustomerHistory(store)
        let asOf = history.asOf
        let ids = history.customers.keys.sorted()
        // recency, frequency, monetary (major units), tenure, promoted share
        let raw: [[Double]] = ids.map { id in
            let h = history.customers[id]!
            return [
                h.recencyDays, Double(h.ordersLastYear), Double(h.spendLastYear) / 100, h.tenureDays, h.promotedShare,
            ]
        }
        var profiles: [String: Profile] = [:]
        guard raw.count >= 3 else {
            for (i, id) in ids.enumerated() { profiles[id] = profile(raw[i], segment: "new") }
            return State(asOf: asOf, k: 0, silhouette: 0, clusters: [], profiles: profiles)
        }
        // Log scale for the skewed counts and amounts, then z-scores.
        var x = raw.map { [log1p($0[0]), log1p($0[1]), log1p($0[2]), log1p($0[3]), $0[4]] }
        let d = x[0].count
        for j in 0..<d {
            let mean = x.reduce(0) { $0 + $1[j] } / Double(x.count)
            let sd = (x.reduce(0) { $0 + ($1[j] - mean) * ($1[j] - mean) } / Double(x.count)).squareRoot()
            for i in x.indices { x[i][j] = sd > 0 ? (x[i][j] - mean) / sd * Self.weights[j] : 0 }
        }
        var rng = SplitMix64(seed: seed)
        var labels: [Int]
        var k: Int
        var silhouette: Double
        if clustering == "dbscan" {
            labels = Clustering.dbscan(x, eps: 0.6, minPoints: 8)
            k = (labels.max() ?? -1) + 1
            silhouette = Clustering.silhouette(x, labels, sample: 1500, rng: &rng)
        } else {
            var best: (k: Int, labels: [Int], s: Double)?
            for kk in 3...min(maxK, max(3, x.count - 1)) {
                var r = SplitMix64(seed: seed &+ UInt64(kk))
                let l = Clustering.kmeans(x, k: kk, rng: &r)
                let s = Clustering.silhouette(x, l, sample: 1500, rng: &r)
                if best == nil || s > best!.s + 1e-9 { best = (kk, l, s) }
            }
            labels = best!.labels
            k = best!.k
            silhouette = best!.s
        }
        // Centroids in original units.
        var clusters: [Cluster] = []
        for c in 0..<k {
            let members = raw.indices.filter { labels[$0] == c }
            guard !members.isEmpty else { continue }
            func mean(_ j: Int) -> Double { members.reduce(0) { $0 + raw[$1][j] } / Double(members.count) }
            clusters.append(
                Cluster(
                    name: "", size: members.count, recencyDays: mean(0), frequency: mean(1), monetary: mean(2),
                    tenureDays: mean(3), promotedShare: mean(4)))
        }
        let names = Self.name(clusters, overallPromoted: raw.reduce(0) { $0 + $1[4] } / Double(raw.count))
        var nameOf: [Int: String] = [:]
        var index = 0
        for c in 0..<k where raw.indices.contains(where: { labels[$0] == c }) {
            clusters[index].name = names[index]
            nameOf[c] = names[index]
            index += 1
        }
        for (i, id) in ids.enumerated() { profiles[id] = profile(raw[i], segment: nameOf[labels[i]] ?? "other") }
        // Customers on file who never ordered are new, with no recency.
        for c in store.customers where profiles[c.id] == nil {
            profiles[c.id] = Profile(segment: "new", recencyDays: nil, frequency: 0, monetary: 0, churnRisk: 1)
        }
        return State(asOf: asOf, k: clusters.count, silhouette: silhouette, clusters: clusters, profiles: profiles)
    }

    /// Recency, frequency and value of one customer, with the churn heuristic of README.md.
    func profile(_ r: [Double], segment: String) -> Profile {
        let rate = max(r[1], 0.5) / 365  // orders per day
        let alive = exp(-max(0, r[0] * rate - 1))
        let churn = 1 - alive * (1 - exp(-90 * rate))
        return Profile(
            segment: segment, recencyDays: r[0], frequency: r[1], monetary: Int64((r[2] * 100).rounded()),
            churnRisk: min(1, max(0, churn)))
    }

    /// Names clusters from their centroids, in this order, each rule taking the best remaining
    /// cluster that qualifies: `new` (least tenure, under 120 days), `lapsed` (longest recency,
    /// over 90 days), `bargain` (highest promoted share, over 1.3 x the average), `champions`
    /// (highest frequency x monetary, recency under 30 days), `loyal` (highest frequency of the
    /// rest, recency under 60 days), `at_risk` (recency 45 days or more); the rest `regular`.
    static func name(_ clusters: [Cluster], overallPromoted: Double) -> [String] {
        var names = Array(repeating: "", count: clusters.count)
        func take(_ name: String, by score: (Cluster) -> Double, when ok: (Cluster) -> Bool) {
            let candidates = clusters.indices.filter { names[$0].isEmpty && ok(clusters[$0]) }
            if let best = candidates.max(by: { score(clusters[$0]) < score(clusters[$1]) }) { names[best] = name }
        }
        take("new", by: { -$0.tenureDays }, when: { $0.tenureDays < 120 })
        take("lapsed", by: { $0.recencyDays }, when: { $0.recencyDays > 90 })
        take("bargain", by: { $0.promotedShare }, when: { $0.promotedShare > 1.3 * overallPromoted })
        take("champions", by: { $0.frequency * $0.monetary }, when: { $0.recencyDays < 30 })
        take("loyal", by: { $0.frequency }, when: { $0.recencyDays < 60 })
        take("at_risk", by: { $0.recencyDays }, when: { $0.recencyDays >= 45 })
        for i in names.indices where names[i].isEmpty { names[i] = "regular" }
        return names
    }

    public mutating func load(_ snapshot: ModelSnapshot) throws {
        state = try snapshot.decoding(State.self, by: Self.self)
    }

    public func profile(customerID: String, field: String) -> Value? {
        guard let p = state?.profiles[customerID] else { return nil }
        switch field {
        case "segment": return .string(p.segment)
        case "recency_days": return p.recencyDays.map(Value.number)
        case "frequency": return .number(p.frequency)
        case "monetary": return .money(p.monetary)
        case "churn_risk": return .number(p.churnRisk)
        default: return nil
        }
    }
}

/// k-means++, silhouette and DBSCAN on small dense data (rows of equal length).
public enum Clustering {
    static func distance2(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for j in a.indices {
            let d = a[j] - b[j]
            s += d * d
        }
        return s
    }

    /// Lloyd's algorithm from a k-means++ start; deterministic for the generator.
    public static func kmeans(_ x: [[Double]], k: Int, rng: inout SplitMix64, iterations: Int = 100) -> [Int] {
        var centers = [x[Int(rng.next() % UInt64(x.count))]]
        var nearest = x.map { distance2($0, centers[0]) }
        while centers.count < k {
            let total = nearest.reduce(0, +)
            var t = rng.unit() * total
            var pick = x.count - 1
            for i in x.indices {
                if t < nearest[i] {
                    pick = i
                    break
                }
                t -= nearest[i]
            }
            centers.append(x[pick])
            for i in x.indices { nearest[i] = min(nearest[i], distance2(x[i], x[pick])) }
        }
        var labels = Array(repeating: 0, count: x.count)
        for _ in 0..<iterations {
            var changed = false
            for i in x.indices {
                var best = 0
                var bestD = Double.infinity
                for c in centers.indices {
                    let d = distance2(x[i], centers[c])
                    if d < bestD {
                        bestD = d
                        best = c
                    }
                }
                if labels[i] != best {
                    labels[i] = best
                    changed = true
                }
            }
            var sums = Array(repeating: Array(repeating: 0.0, count: x[0].count), count: k)
            var counts = Array(repeating: 0, count: k)
            for i in x.indices {
                counts[labels[i]] += 1
                for j in x[i].indices { sums[labels[i]][j] += x[i][j] }
            }
            for c in 0..<k where counts[c] > 0 { centers[c] = sums[c].map { $0 / Double(counts[c]) } }
            if !changed { break }
        }
        return labels
    }

    /// Mean silhouette over a deterministic sample of at most `sample` points (noise, -1, left out).
    public static func silhouette(_ x: [[Double]], _ labels: [Int], sample: Int, rng: inout SplitMix64) -> Double {
        var idx = x.indices.filter { labels[$0] >= 0 }
        if idx.count > sample {
            for i in 0..<sample {
                let j = i + Int(rng.next() % UInt64(idx.count - i))
                idx.swapAt(i, j)
            }
            idx = Array(idx.prefix(sample))
        }
        let k = (labels.max() ?? 0) + 1
        guard k >= 2 else { return 0 }
        var total = 0.0
        for i in idx {
            var sum = Array(repeating: 0.0, count: k)
            var count = Array(repeating: 0, count: k)
            for j in idx where j != i {
                sum[labels[j]] += distance2(x[i], x[j]).squareRoot()
                count[labels[j]] += 1
            }
            let own = labels[i]
            guard count[own] > 0 else { continue }
            let a = sum[own] / Double(count[own])
            let b = (0..<k).filter { $0 != own && count[$0] > 0 }.map { sum[$0] / Double(count[$0]) }.min() ?? a
            total += max(a, b) > 0 ? (b - a) / max(a, b) : 0
        }
        return total / Double(max(1, idx.count))
    }

    /// DBSCAN; noise is -1.
    public static func dbscan(_ x: [[Double]], eps: Double, minPoints: Int) -> [Int] {
        let e2 = eps * eps
        var labels = Array(repeating: -2, count: x.count)  // -2 unvisited
        var cluster = 0
        func neighbours(_ i: Int) -> [Int] { x.indices.filter { distance2(x[i], x[$0]) <= e2 } }
        for i in x.indices where labels[i] == -2 {
            let n = neighbours(i)
            if n.count < minPoints {
                labels[i] = -1
                continue
            }
            labels[i] = cluster
            var queue = n
            var q = 0
            while q < queue.count {
                let p = queue[q]
                q += 1
                if labels[p] == -1 { labels[p] = cluster }
                guard labels[p] == -2 else { continue }
                labels[p] = cluster
                let m = neighbours(p)
                if m.count >= minPoints { queue += m }
            }
            cluster += 1
        }
        return labels
    }
}
