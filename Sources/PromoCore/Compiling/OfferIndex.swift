import PromoDSL

/// The discriminating conditions of an offer: top-level `and` conjuncts of the form
/// `path == "x"` or `path in ["x", "y"]` on channel, customer segment, item sku, category or brand.
/// An offer can only apply when every such condition can hold for this request.
struct IndexKeys: Sendable, Hashable {
    enum Dimension: Int, CaseIterable, Sendable {
        case channel, segment, sku, category, brand
    }

    var constraints: [Dimension: [String]] = [:]
    /// Where each constraint is written, and its text.
    var spans: [Dimension: SourceSpan] = [:]
    var texts: [Dimension: String] = [:]

    init(when: Expr?, appliesTo: Expr?) {
        for c in when.map(Self.conjuncts) ?? [] { add(c, dimensions: [.channel, .segment]) }
        for c in appliesTo.map(Self.conjuncts) ?? [] { add(c, dimensions: [.sku, .category, .brand]) }
    }

    /// The item dimension an offer's line filter comes from: the one with the fewest values
    /// (ties: sku, category, brand); nil when no item condition is indexable.
    var lineAnchor: Dimension? {
        [Dimension.sku, .category, .brand].compactMap { d in constraints[d].map { (d, $0.count) } }
            .min { ($0.1, $0.0.rawValue) < ($1.1, $1.0.rawValue) }?.0
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
        if constraints[d] != nil {
            spans[d] = e.span
            texts[d] = ExprText.text(e)
        }
    }
}

/// An inverted index from discriminating values to offers, so that a request evaluates only the
/// offers that can apply to it. Each offer is posted under one dimension, its anchor: the item
/// dimension with the fewest values (sku, then category, then brand), else the segment, else the
/// channel; a hit is then kept only if the offer's channel and segment constraints also hold.
/// It over-approximates (other item conditions may fail, or hold on different lines); evaluation
/// decides exactly, so the decision is the same with or without it. Values are symbols of the
/// rule set's table; postings are stored flat, by symbol.
struct OfferIndex: Sendable {
    /// Offers anchored on symbol s of dimension d are `offers[start[k] ..< start[k + 1]]` for
    /// k = d x (symbols + 1) + s (flat, so that a look-up touches no nested array). A posting is
    /// the offer's number, its top bit set when the offer allows only some channels or segments
    /// (`constrained`): only those read their allowance from the offer's facts.
    private var start: [Int32]
    private var offers: [Int32]
    private var symbolCount: Int
    /// Whether symbol s of dimension d has postings: bit s of the dimension's words (at
    /// d x words). A cart line's sku rarely has any; the bits (a kilobyte or so per 10,000 symbols)
    /// stay in the caches, where `start` over every symbol of a large catalog does not.
    private var posted: [UInt64]
    private var postedWords: Int
    /// Offers with no constraint at all, as bits (offer `o` at bit `o % 64` of word `o / 64`).
    private var unconstrained: [UInt64]
    /// The channels and segments offers allow, at the ranges of their `Allowance`s.
    private var allowed: [Int32]

    /// Where an offer's allowed channels and segments are in `allowed` (none: any): made here,
    /// kept in the offer's facts, which is where look-ups read them.
    struct Allowance {
        var channelsFrom: Int32
        var channelsTo: Int32
        var segmentsFrom: Int32
        var segmentsTo: Int32
    }
    /// Per offer anchored on an item dimension: the lines it can apply to.
    private(set) var lineFilters: [LineFilter?]
    /// Per offer: the conjunct its line filter comes from (read by traces only, and kept apart so
    /// that the filter the hot path copies holds no text).
    private(set) var lineFilterSpans: [SourceSpan?]

    /// `allowances` receives each offer's allowance, for its facts.
    init(_ compiled: [CompiledOffer], symbols: inout SymbolBuilder, allowances: inout [Allowance]) {
        typealias D = IndexKeys.Dimension
        var lists = Array(repeating: [Int32: [Int32]](), count: D.allCases.count)
        unconstrained = Array(repeating: 0, count: (compiled.count + 63) / 64)
        allowances = []
        allowed = []
        lineFilters = []
        lineFilterSpans = []
        for (i, o) in compiled.enumerated() {
            let c = o.keys.constraints
            let channelsFrom = Int32(allowed.count)
            allowed += (c[.channel] ?? []).map { symbols.intern($0) }
            let segmentsFrom = Int32(allowed.count)
            allowed += (c[.segment] ?? []).map { symbols.intern($0) }
            allowances.append(
                Allowance(
                    channelsFrom: channelsFrom, channelsTo: segmentsFrom, segmentsFrom: segmentsFrom,
                    segmentsTo: Int32(allowed.count)))
            let anchor =
                o.keys.lineAnchor.map { ($0, c[$0]!) } ?? c[.segment].map { (D.segment, $0) }
                ?? c[.channel].map { (D.channel, $0) }
            guard let (d, values) = anchor else {
                unconstrained[i >> 6] |= 1 << UInt64(i & 63)
                lineFilters.append(nil)
                lineFilterSpans.append(nil)
                continue
            }
            let onItems = d != .segment && d != .channel
            lineFilters.append(
                onItems
                    ? LineFilter(dimension: d, values: Array(Set(values.map { symbols.intern($0) })).sorted()) : nil)
            lineFilterSpans.append(onItems ? o.keys.spans[d] : nil)
            let posting = Int32(i) | (c[.channel] != nil || c[.segment] != nil ? Self.constrained : 0)
            for v in Set(values) { lists[d.rawValue][symbols.intern(v), default: []].append(posting) }
        }
        symbolCount = symbols.strings.count
        start = []
        offers = []
        postedWords = (symbolCount + 63) / 64
        posted = Array(repeating: 0, count: lists.count * postedWords)
        for (k, d) in lists.enumerated() {
            start.append(Int32(offers.count))
            for symbol in 0..<Int32(symbolCount) {
                offers += d[symbol] ?? []
                start.append(Int32(offers.count))
            }
            for symbol in d.keys { posted[k * postedWords + Int(symbol) >> 6] |= 1 << UInt64(symbol & 63) }
        }
    }

    /// The bit of a posting whose offer allows only some channels or segments.
    private static let constrained = Int32.min

    /// Whether an offer allows `value` among `allowed[from ..< to]` (none listed: any).
    @inline(__always)
    private static func allows(_ allowed: UnsafeBufferPointer<Int32>, _ from: Int32, _ to: Int32, _ value: Int32)
        -> Bool
    {
        if from == to { return true }
        for k in Int(from)..<Int(to) where allowed[k] == value { return true }
        return false
    }

    /// Every offer anchored on dimension `d`, whatever the value.
    private func postings(_ d: IndexKeys.Dimension) -> Range<Int> {
        let base = d.rawValue * (symbolCount + 1)
        return Int(start[base])..<Int(start[base + symbolCount])
    }

    /// Offers that may apply, in ascending (stable) order, into `result`. `segment` nil means
    /// unknown (segment constraints are then not checked). For an offer anchored on an item
    /// dimension, the lines that hit it (those its line filter admits) are left in
    /// `f.indexMarks[offer].lines` as bits, when the cart has at most 64 lines. The channels and
    /// segments an offer allows are read from its `facts`, the record every later step reads too.
    func candidates(segment: Int32?, _ f: Frame, facts: AlignedTable<OfferFacts>, into result: inout Scratch<Int32>) {
        result.removeAll()
        let count = lineFilters.count
        if f.indexMarks.count < count {
            f.indexMarks.free()
            f.indexMarks = Scratch(repeating: .init(lines: 0, stamp: 0), count: count)
        }
        // Offers found set their bit; the words read in order give them sorted.
        f.candidateBits.removeAll()
        f.candidateBits.append(0, times: unconstrained.count)
        let stamp = f.stamp
        let channel = f.channel
        let symbolCount = symbolCount
        let marks = f.indexMarks
        let bits = f.candidateBits
        // Postings, their bounds and the allowances read through buffers (no bounds check per read).
        let postedWords = postedWords
        start.withUnsafeBufferPointer { start in
            offers.withUnsafeBufferPointer { offers in
                allowed.withUnsafeBufferPointer { allowed in
                    posted.withUnsafeBufferPointer { posted in
                        func hit(_ d: IndexKeys.Dimension, _ symbol: Int32, line: Int) {
                            guard symbol >= 0, Int(symbol) < symbolCount,
                                posted[d.rawValue &* postedWords &+ Int(symbol) &>> 6] & (1 &<< UInt64(symbol & 63))
                                    != 0
                            else { return }
                            let k = d.rawValue &* (symbolCount &+ 1) &+ Int(symbol)
                            let lineBit: UInt64 = line < 64 ? 1 << UInt64(line) : 0
                            for p in Int(start[k])..<Int(start[k &+ 1]) {
                                let posting = offers[p]
                                let o = Int(posting & ~Self.constrained)
                                if marks[o].stamp == stamp {
                                    marks[o].lines |= lineBit
                                    continue
                                }
                                marks[o] = .init(lines: lineBit, stamp: stamp)
                                guard posting < 0 else {
                                    bits[o >> 6] |= 1 << UInt64(o & 63)
                                    continue
                                }
                                let a = facts[o]
                                if !Self.allows(allowed, a.channelsFrom, a.channelsTo, channel) { continue }
                                if let segment, !Self.allows(allowed, a.segmentsFrom, a.segmentsTo, segment) {
                                    continue
                                }
                                bits[o >> 6] |= 1 << UInt64(o & 63)
                            }
                        }
                        for i in 0..<f.lines.count {
                            let l = f.lines[i]
                            hit(.sku, l.sku, line: i)
                            hit(.category, l.category, line: i)
                            hit(.brand, l.brand, line: i)
                        }
                        if let segment { hit(.segment, segment, line: 64) }
                        hit(.channel, channel, line: 64)
                    }
                }
            }
        }
        if segment == nil { hitAll(.segment, f, facts) }
        // Room for every offer, written through a pointer (no capacity check per candidate),
        // then cut to those found.
        let out = result.appendUninitialized(count)
        var found = 0
        f.candidateBits.withUnsafeBufferPointer { bits in
            unconstrained.withUnsafeBufferPointer { unconstrained in
                for w in 0..<unconstrained.count {
                    var word = bits[w] | unconstrained[w]
                    while word != 0 {
                        out[found] = Int32(truncatingIfNeeded: w &<< 6 | word.trailingZeroBitCount)
                        found &+= 1
                        word &= word &- 1
                    }
                }
            }
        }
        result.removeLast(count - found)
    }

    /// Every offer anchored on a dimension whatever its value (the segment is unknown).
    private func hitAll(_ d: IndexKeys.Dimension, _ f: Frame, _ facts: AlignedTable<OfferFacts>) {
        allowed.withUnsafeBufferPointer { allowed in
            for p in postings(d) where f.indexMarks[Int(offers[p] & ~Self.constrained)].stamp != f.stamp {
                let o = Int(offers[p] & ~Self.constrained)
                f.indexMarks[o] = .init(lines: 0, stamp: f.stamp)
                if !Self.allows(allowed, facts[o].channelsFrom, facts[o].channelsTo, f.channel) { continue }
                f.candidateBits[o >> 6] |= 1 << UInt64(o & 63)
            }
        }
    }

    /// Every offer (the index switched off), for differential tests.
    func all(into result: inout Scratch<Int32>) {
        result.removeAll()
        for o in 0..<Int32(lineFilters.count) { result.append(o) }
    }
}

/// The lines an offer can apply to, from a top-level conjunct of its `applies_to` on sku,
/// category or brand: on other lines `applies_to` is false whatever else it says, so the
/// evaluator does not run it there.
struct LineFilter: Sendable {
    var dimension: IndexKeys.Dimension
    var values: [Int32]

    @inline(__always)
    func admits(_ l: Line) -> Bool {
        let v = value(of: l)
        for x in values where x == v { return true }
        return false
    }

    /// The line's sku, category or brand, as the filter reads it.
    @inline(__always)
    func value(of l: Line) -> Int32 {
        switch dimension {
        case .sku: l.sku
        case .category: l.category
        default: l.brand
        }
    }
}
