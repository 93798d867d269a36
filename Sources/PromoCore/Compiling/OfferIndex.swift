import PromoDSL

/// The discriminating conditions of an offer: top-level `and` conjuncts of the form
/// `path == "x"` or `path in ["x", "y"]` on channel, customer segment, item sku, category or brand.
/// An offer can only apply when every such condition can hold for this request.
struct IndexKeys: Sendable, Hashable {
    enum Dimension: Int, CaseIterable, Sendable {
        case channel, segment, sku, category, brand
    }

    var constraints: [Dimension: [String]] = [:]

    init(when: Expr?, appliesTo: Expr?) {
        for c in when.map(Self.conjuncts) ?? [] { add(c, dimensions: [.channel, .segment]) }
        for c in appliesTo.map(Self.conjuncts) ?? [] { add(c, dimensions: [.sku, .category, .brand]) }
    }

    static func conjuncts(_ e: Expr) -> [Expr] {
        if case .binary(.and, let a, let b) = e.kind { return conjuncts(a) + conjuncts(b) }
        return [e]
    }

    static func dimension(_ e: Expr) -> Dimension? {
        switch e.kind {
        case .field(let f):
            switch f.path {
            case "channel": .channel
            case "item.sku": .sku
            case "item.category": .category
            case "item.brand": .brand
            default: nil
            }
        case .model(let ref, let args) where args.isEmpty && ref.namespace == "customer" && ref.function == "segment":
            .segment
        default: nil
        }
    }

    private mutating func add(_ e: Expr, dimensions: Set<Dimension>) {
        guard case .binary(let op, let lhs, let rhs) = e.kind, op == .equal || op == .in,
            let d = Self.dimension(lhs), dimensions.contains(d), constraints[d] == nil
        else { return }
        switch (op, rhs.kind) {
        case (.equal, .string(let s)): constraints[d] = [s]
        case (.in, .list(let items)):
            let values = items.compactMap { if case .string(let s) = $0.kind { s } else { nil } }
            if values.count == items.count { constraints[d] = values }
        default: break
        }
    }
}

/// An inverted index from discriminating values to offers, so that a request evaluates only the
/// offers that can apply to it. It over-approximates (conditions on different items may match
/// different lines); evaluation decides exactly, so the decision is the same with or without it.
struct OfferIndex: Sendable {
    /// Per dimension: value -> offers constrained to it.
    private var postings: [[String: [Int32]]]
    /// Per offer: how many dimensions constrain it.
    private var required: [UInt8]
    /// Offers with no constraint at all.
    private var unconstrained: [Int32]
    /// Offers constrained on the segment dimension (kept when the segment is unknown).
    private var segmentConstrained: [Int32]

    init(_ offers: [CompiledOffer]) {
        postings = Array(repeating: [:], count: IndexKeys.Dimension.allCases.count)
        required = []
        unconstrained = []
        segmentConstrained = []
        for (i, o) in offers.enumerated() {
            required.append(UInt8(o.keys.constraints.count))
            if o.keys.constraints.isEmpty { unconstrained.append(Int32(i)) }
            for (d, values) in o.keys.constraints {
                if d == .segment { segmentConstrained.append(Int32(i)) }
                for v in Set(values) { postings[d.rawValue][v, default: []].append(Int32(i)) }
            }
        }
    }

    /// Offers that may apply, in ascending (stable) order. `segment` nil means unknown.
    func candidates(channel: String, segment: String?, lines: [ResolvedLine], scratch: inout Scratch) -> [Int] {
        if scratch.counts.count < required.count {
            scratch.counts = Array(repeating: 0, count: required.count)
            scratch.stamps = Array(repeating: 0, count: required.count)
        }
        var result = unconstrained.map(Int.init)
        var touched: [Int32] = []
        var stamp: UInt8 = 0
        // Credits each offer at most once per dimension.
        func hit(_ offers: [Int32]?) {
            for o in offers ?? [] where scratch.stamps[Int(o)] != stamp {
                if scratch.counts[Int(o)] == 0 { touched.append(o) }
                scratch.counts[Int(o)] &+= 1
                scratch.stamps[Int(o)] = stamp
            }
        }
        stamp = 1
        hit(postings[IndexKeys.Dimension.channel.rawValue][channel])
        stamp = 2
        if let segment {
            hit(postings[IndexKeys.Dimension.segment.rawValue][segment])
        } else {
            hit(segmentConstrained)
        }
        // Stamps credit an offer once per dimension, however many lines share a value.
        stamp = 3
        for l in lines { hit(postings[IndexKeys.Dimension.sku.rawValue][l.sku]) }
        stamp = 4
        for l in lines { hit(postings[IndexKeys.Dimension.category.rawValue][l.item.category]) }
        stamp = 5
        for l in lines { hit(postings[IndexKeys.Dimension.brand.rawValue][l.item.brand]) }
        for o in touched {
            if scratch.counts[Int(o)] >= required[Int(o)] { result.append(Int(o)) }
            scratch.counts[Int(o)] = 0
            scratch.stamps[Int(o)] = 0
        }
        result.sort()
        return result
    }

    /// Per-offer counters reused across decisions on one thread.
    struct Scratch {
        var counts: [UInt8] = []
        var stamps: [UInt8] = []
    }

    /// Every offer (the index switched off), for differential tests.
    var all: [Int] { Array(0..<required.count) }
}
