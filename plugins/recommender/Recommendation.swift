import Foundation

/// Implicit-feedback recommendation models on an interaction matrix (users x items, counts):
/// ALS (weighted matrix factorisation, Hu-Koren-Volinsky, solved by conjugate gradient like the
/// `implicit` library), item-kNN (cosine) and popularity. Pure Swift, single precision.
public struct Interactions: Sendable {
    public var users: Int
    public var items: Int
    /// CSR by user: items and counts.
    public var userStart: [Int]
    public var userItems: [Int32]
    public var userCounts: [Float]

    /// From (user, item, count) triples; repeated pairs add up.
    public init(users: Int, items: Int, triples: [(Int, Int, Float)]) {
        self.users = users
        self.items = items
        var rows = Array(repeating: [Int32: Float](), count: users)
        for (u, i, c) in triples { rows[u][Int32(i), default: 0] += c }
        userStart = [0]
        userItems = []
        userCounts = []
        for r in rows {
            for (i, c) in r.sorted(by: { $0.key < $1.key }) {
                userItems.append(i)
                userCounts.append(c)
            }
            userStart.append(userItems.count)
        }
    }

    public func items(of u: Int) -> Range<Int> { userStart[u]..<userStart[u + 1] }

    /// The transpose (CSR by item).
    func byItem() -> (start: [Int], users: [Int32], counts: [Float]) {
        var degree = Array(repeating: 0, count: items + 1)
        for i in userItems { degree[Int(i) + 1] += 1 }
        for k in 0..<items { degree[k + 1] += degree[k] }
        var fill = degree
        var users = [Int32](repeating: 0, count: userItems.count)
        var counts = [Float](repeating: 0, count: userItems.count)
        for u in 0..<self.users {
            for k in self.items(of: u) {
                let i = Int(userItems[k])
                users[fill[i]] = Int32(u)
                counts[fill[i]] = userCounts[k]
                fill[i] += 1
            }
        }
        return (degree, users, counts)
    }
}

public enum RecommendationModel: Sendable, Codable, Hashable {
    case als(userFactors: [Float], itemFactors: [Float], factors: Int)
    case itemKNN(neighbours: [[Int32]], similarities: [[Float]])
    case popularity(counts: [Float])

    public var name: String {
        switch self {
        case .als: "als"
        case .itemKNN: "item_knn"
        case .popularity: "popularity"
        }
    }

    /// Scores of every item for a user (who bought `bought`, with counts).
    public func scores(user: Int, bought: ArraySlice<Int32>, items: Int) -> [Float] {
        switch self {
        case .als(let x, let y, let f):
            var out = [Float](repeating: 0, count: items)
            guard user >= 0 else { return out }
            x.withUnsafeBufferPointer { xb in
                y.withUnsafeBufferPointer { yb in
                    let xu = xb.baseAddress! + user * f
                    for i in 0..<items { out[i] = dot(xu, yb.baseAddress! + i * f, f) }
                }
            }
            return out
        case .itemKNN(let neighbours, let similarities):
            var out = [Float](repeating: 0, count: items)
            for j in bought {
                let n = neighbours[Int(j)]
                let s = similarities[Int(j)]
                for k in n.indices { out[Int(n[k])] += s[k] }
            }
            return out
        case .popularity(let counts):
            return counts
        }
    }

    // MARK: Fitting

    public static func popularity(_ data: Interactions) -> RecommendationModel {
        var counts = [Float](repeating: 0, count: data.items)
        for i in data.userItems { counts[Int(i)] += 1 }
        return .popularity(counts: counts)
    }

    /// Cosine similarity between items' user sets, keeping each item's `k` nearest.
    public static func itemKNN(_ data: Interactions, k: Int) -> RecommendationModel {
        let t = data.byItem()
        var degree = [Float](repeating: 0, count: data.items)
        for i in 0..<data.items { degree[i] = Float(t.start[i + 1] - t.start[i]) }
        var neighbours: [[Int32]] = []
        var similarities: [[Float]] = []
        var co = [Float](repeating: 0, count: data.items)
        var touched: [Int] = []
        for i in 0..<data.items {
            touched.removeAll(keepingCapacity: true)
            for a in t.start[i]..<t.start[i + 1] {
                let u = Int(t.users[a])
                for b in data.items(of: u) {
                    let j = Int(data.userItems[b])
                    if j == i { continue }
                    if co[j] == 0 { touched.append(j) }
                    co[j] += 1
                }
            }
            var scored = touched.map { j in (j, co[j] / (degree[i] * degree[j]).squareRoot()) }
            for j in touched { co[j] = 0 }
            scored.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            let kept = scored.prefix(k)
            neighbours.append(kept.map { Int32($0.0) })
            similarities.append(kept.map { $0.1 })
        }
        return .itemKNN(neighbours: neighbours, similarities: similarities)
    }

    /// ALS with conjugate-gradient steps (3 per row per iteration), confidence 1 + alpha x count.
    public static func als(
        _ data: Interactions, factors f: Int, iterations: Int, regularization: Float, alpha: Float, seed: UInt64
    ) -> RecommendationModel {
        var state = seed
        func random() -> Float {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Float((z ^ (z >> 31)) >> 40) / Float(1 << 24)
        }
        var x = (0..<data.users * f).map { _ in random() * 0.01 }
        var y = (0..<data.items * f).map { _ in random() * 0.01 }
        let t = data.byItem()
        let userConfidence = data.userCounts.map { 1 + alpha * $0 }
        let itemConfidence = t.counts.map { 1 + alpha * $0 }
        for _ in 0..<iterations {
            solve(
                &x, rows: data.users, fixed: y, fixedRows: data.items, start: data.userStart, index: data.userItems,
                confidence: userConfidence, f: f, regularization: regularization)
            solve(
                &y, rows: data.items, fixed: x, fixedRows: data.users, start: t.start, index: t.users,
                confidence: itemConfidence, f: f, regularization: regularization)
        }
        return .als(userFactors: x, itemFactors: y, factors: f)
    }

    /// Updates each row of `target` by 3 conjugate-gradient steps on
    /// (YtY + reg I + sum (c - 1) y yT) x = sum c y, warm-started from the current row.
    static func solve(
        _ target: inout [Float], rows: Int, fixed: [Float], fixedRows: Int, start: [Int], index: [Int32],
        confidence: [Float],
        f: Int, regularization: Float
    ) {
        var yty = [Float](repeating: 0, count: f * f)
        fixed.withUnsafeBufferPointer { yb in
            for r in 0..<fixedRows {
                let y = yb.baseAddress! + r * f
                for a in 0..<f {
                    let ya = y[a]
                    if ya == 0 { continue }
                    for b in 0..<f { yty[a * f + b] += ya * y[b] }
                }
            }
        }
        for a in 0..<f { yty[a * f + a] += regularization }
        var r = [Float](repeating: 0, count: f)
        var p = [Float](repeating: 0, count: f)
        var ap = [Float](repeating: 0, count: f)
        target.withUnsafeMutableBufferPointer { xb in
            fixed.withUnsafeBufferPointer { yb in
                yty.withUnsafeBufferPointer { mb in
                    r.withUnsafeMutableBufferPointer { rb in
                        p.withUnsafeMutableBufferPointer { pb in
                            ap.withUnsafeMutableBufferPointer { apb in
                                let m = mb.baseAddress!
                                let r = rb.baseAddress!
                                let p = pb.baseAddress!
                                let ap = apb.baseAddress!
                                for u in 0..<rows {
                                    let x = xb.baseAddress! + u * f
                                    // r = -YtY x + sum (c - (c - 1) y.x) y
                                    for a in 0..<f { r[a] = -dot(m + a * f, x, f) }
                                    for k in start[u]..<start[u + 1] {
                                        let y = yb.baseAddress! + Int(index[k]) * f
                                        let c = confidence[k]
                                        axpy(c - (c - 1) * dot(y, x, f), y, r, f)
                                    }
                                    for a in 0..<f { p[a] = r[a] }
                                    var rsold = dot(r, r, f)
                                    if rsold < 1e-20 { continue }
                                    for _ in 0..<3 {
                                        for a in 0..<f { ap[a] = dot(m + a * f, p, f) }
                                        for k in start[u]..<start[u + 1] {
                                            let y = yb.baseAddress! + Int(index[k]) * f
                                            axpy((confidence[k] - 1) * dot(y, p, f), y, ap, f)
                                        }
                                        let pap = dot(p, ap, f)
                                        guard pap > 0 else { break }
                                        let step = rsold / pap
                                        axpy(step, p, x, f)
                                        axpy(-step, ap, r, f)
                                        let rsnew = dot(r, r, f)
                                        if rsnew < 1e-20 { break }
                                        let beta = rsnew / rsold
                                        for a in 0..<f { p[a] = r[a] + beta * p[a] }
                                        rsold = rsnew
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Dot product with eight-wide SIMD accumulators (float reductions are not vectorised otherwise).
@inline(__always)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD8<Float>()
    var k = 0
    let ra = UnsafeRawPointer(a)
    let rb = UnsafeRawPointer(b)
    while k + 8 <= n {
        acc +=
            ra.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
            * rb.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
        k += 8
    }
    var s = acc.sum()
    while k < n {
        s += a[k] * b[k]
        k += 1
    }
    return s
}

/// y += w * x.
@inline(__always)
func axpy(_ w: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    for k in 0..<n { y[k] += w * x[k] }
}

/// Ranking metrics at k, with `implicit`'s definitions: precision divides by min(k, relevant).
public enum RankingMetrics {
    public struct Result: Sendable, Hashable {
        public var precision: Double
        public var recall: Double
        public var ndcg: Double
        public var users: Int
    }

    /// The top `k` items of `scores`, leaving out `excluded`; ties by item index.
    public static func top(_ scores: [Float], k: Int, excluding excluded: Set<Int32>) -> [Int] {
        var heap: [(Float, Int)] = []
        heap.reserveCapacity(k + 1)
        for (i, s) in scores.enumerated() where !excluded.contains(Int32(i)) {
            if heap.count < k {
                heap.append((s, i))
                if heap.count == k { heap.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 } }
            } else if s > heap[k - 1].0 {
                var at = k - 1
                while at > 0 && (heap[at - 1].0 < s) { at -= 1 }
                heap.insert((s, i), at: at)
                heap.removeLast()
            }
        }
        if heap.count < k { heap.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 } }
        return heap.map(\.1)
    }

    /// Precision, recall and NDCG at `k` over users with held-out items.
    public static func evaluate(
        _ model: RecommendationModel, train: Interactions, test: [Int: Set<Int32>], k: Int = 10
    ) -> Result {
        var precisionHits = 0.0
        var precisionTotal = 0.0
        var recall = 0.0
        var ndcg = 0.0
        var users = 0
        let discount = (0..<k).map { 1 / log2(Double($0) + 2) }
        for (u, held) in test.sorted(by: { $0.key < $1.key }) where !held.isEmpty {
            let bought = train.userItems[train.items(of: u)]
            let scores = model.scores(user: u, bought: bought, items: train.items)
            let ranked = top(scores, k: k, excluding: Set(bought))
            var hits = 0
            var dcg = 0.0
            for (pos, i) in ranked.enumerated() where held.contains(Int32(i)) {
                hits += 1
                dcg += discount[pos]
            }
            let ideal = (0..<min(k, held.count)).reduce(0.0) { $0 + discount[$1] }
            precisionHits += Double(hits)
            precisionTotal += Double(min(k, held.count))
            recall += Double(hits) / Double(held.count)
            ndcg += dcg / ideal
            users += 1
        }
        return Result(
            precision: precisionHits / max(1, precisionTotal), recall: recall / Double(max(1, users)),
            ndcg: ndcg / Double(max(1, users)), users: users)
    }
}
