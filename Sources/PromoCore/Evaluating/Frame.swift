import Foundation
import PromoDSL

/// A value while rules run. Unlike the public `Value` it holds no reference: text is a symbol,
/// a list is a range of the frame's list arena. Copying one costs nothing, so closure trees pass
/// them around without reference counting.
enum Val: Sendable {
    case bool(Bool)
    case number(Double)
    case money(Int64)
    case percent(Int64)
    case symbol(Int32)
    case dateTime(Int64)
    case duration(Int64)
    case list(start: Int32, count: Int32)
    /// A model output that was not available (or an overflow): conditions over it are unknown.
    case missing

    var isMissing: Bool {
        if case .missing = self { return true }
        return false
    }

    var isBool: Bool {
        if case .bool = self { return true }
        return false
    }

    /// The order of two numbers, amounts, percents, times or durations of one type (-1, 0, 1);
    /// nil for other values (`Frame.compare` also orders text and booleans).
    @inline(__always)
    static func order(_ a: Val, _ b: Val) -> Int? {
        switch (a, b) {
        case (.number(let x), .number(let y)): x < y ? -1 : x > y ? 1 : 0
        case (.money(let x), .money(let y)), (.percent(let x), .percent(let y)), (.dateTime(let x), .dateTime(let y)),
            (.duration(let x), .duration(let y)):
            x < y ? -1 : x > y ? 1 : 0
        default: nil
        }
    }

    /// The public form: symbols spelled out by `string`, lists read from the arena by `element`.
    func `public`(string: (Int32) -> String, element: (Int) -> Val) -> Value {
        switch self {
        case .bool(let b): .bool(b)
        case .number(let n): .number(n)
        case .money(let m): .money(m)
        case .percent(let p): .percent(p)
        case .symbol(let s): .string(string(s))
        case .dateTime(let t): .dateTime(t)
        case .duration(let d): .duration(d)
        case .list(let start, let count):
            .list((0..<Int(count)).map { element(Int(start) + $0).public(string: string, element: element) })
        case .missing: .missing
        }
    }
}

/// The catalog as one engine sees it: per item, one compact row with the symbols of its sku,
/// category and brand in the engine's symbol table and the numbers a decision reads, and its tags.
/// Rows sit in an open-addressing table keyed by the sku's bytes, one 64-byte slot per cache line
/// holding both, so that resolving a cart line reads one line of memory (a string index and a
/// separate row array are two misses, the second waiting on the first). The table has two to four
/// slots per item: 128 to 256 bytes of memory per item.
final class BoundCatalog: Sendable {
    struct Row: Sendable, BitwiseCopyable {
        var sku: Int32 = 0
        var category: Int32 = 0
        var brand: Int32 = 0
        /// Position in the catalog, or -1 for a sku the catalog does not have.
        var ordinal: Int32 = -1
        var stock = 0
        var price: Int64 = 0
        var cost: Int64 = 0
    }

    /// A sku's key and its row; a key `length` of -1: an empty slot.
    struct Slot: BitwiseCopyable {
        var key = Key()
        var row = Row()
    }

    /// A short ASCII string's bytes (at most 16, zero-padded) packed into two words, and the slot
    /// its search starts at; `length` -1 when it is looked up by string instead (not ASCII, or
    /// over 16 bytes).
    struct Key: BitwiseCopyable {
        var k0: UInt64 = 0
        var k1: UInt64 = 0
        var length: Int32 = -1
        var start: Int32 = 0

        /// The same bytes.
        @inline(__always)
        func same(_ other: Key) -> Bool { length == other.length && k0 == other.k0 && k1 == other.k1 }
    }

    let catalog: Catalog
    let symbols: SymbolTable
    private let table: AlignedTable<Slot>
    let mask: Int
    /// Tags of item k are `tags[tagStart[k]..<tagStart[k + 1]]`.
    let tagStart: [Int32]
    let tags: [Int32]

    init(_ catalog: Catalog, rules: SymbolTable) {
        let items = catalog.items
        var extra: [String] = []
        for item in items {
            extra.append(item.category)
            extra.append(item.brand)
            extra.append(item.sku)
            extra += item.tags
        }
        let symbols = rules.extended(with: extra)
        self.catalog = catalog
        self.symbols = symbols
        assert(MemoryLayout<Slot>.stride == 64)
        var size = 16
        while size < items.count * 2 { size *= 2 }
        var slots = [Slot](repeating: Slot(), count: size)
        for (k, item) in items.enumerated() {
            // Skus whose canonical form is short ASCII (nearly all); the rest are found by string.
            let nfc = item.sku.utf8.allSatisfy { $0 < 0x80 } ? item.sku : item.sku.precomposedStringWithCanonicalMapping
            let key = Self.key(nfc, mask: Int32(size - 1))
            guard key.length >= 0 else { continue }
            var s = Int(key.start)
            while slots[s].key.length >= 0 { s = (s + 1) & (size - 1) }
            slots[s] = Slot(key: key, row: Self.row(item, ordinal: k, symbols))
        }
        table = AlignedTable(slots)
        mask = size - 1
        var tagStart: [Int32] = [0]
        var tags: [Int32] = []
        for item in items {
            tags += item.tags.map { symbols.ids[$0]! }
            tagStart.append(Int32(tags.count))
        }
        self.tagStart = tagStart
        self.tags = tags
    }

    private static func row(_ item: CatalogItem, ordinal: Int, _ symbols: SymbolTable) -> Row {
        Row(
            sku: symbols.ids[item.sku]!, category: symbols.ids[item.category]!, brand: symbols.ids[item.brand]!,
            ordinal: Int32(ordinal), stock: item.stock, price: item.price, cost: item.cost)
    }

    /// The first step of resolving a sku: its bytes and hash (reads no table memory).
    @inline(__always)
    static func key(_ sku: String, mask: Int32) -> Key {
        var k: Key
        // A closure, not `key(bytes:)` passed by name: only the closure is inlined (300 instructions
        // a decision).
        if let r = sku.utf8.withContiguousStorageIfAvailable({ key(bytes: $0) }) {
            k = r
        } else {
            var copy = sku
            k = copy.withUTF8(key(bytes:))
        }
        k.start &= mask
        return k
    }

    /// The bytes packed into two words (read as whole words where they are long enough), and a
    /// multiply-xorshift hash of them in `start` (31 bits, not yet masked to the table).
    @inline(__always)
    private static func key(bytes: UnsafeBufferPointer<UInt8>) -> Key {
        let n = bytes.count
        guard n > 0 else { return Key(k0: 0, k1: 0, length: 0, start: hash(0, 0, 0)) }
        guard n <= 16, let p = UnsafeRawPointer(bytes.baseAddress) else { return Key() }
        var k0: UInt64
        var k1: UInt64 = 0
        if n >= 8 {
            k0 = p.loadUnaligned(as: UInt64.self)
            if n > 8 { k1 = p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) >> UInt64(8 * (16 - n)) }
        } else if n >= 4 {
            // Two overlapping four-byte reads; the bytes they share land on the same bits.
            k0 =
                UInt64(p.loadUnaligned(as: UInt32.self))
                | UInt64(p.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)) << UInt64(8 * (n - 4))
        } else {
            k0 =
                UInt64(bytes[0]) | UInt64(bytes[n / 2]) << UInt64(8 * (n / 2)) | UInt64(bytes[n - 1])
                << UInt64(8 * (n - 1))
        }
        guard (k0 | k1) & 0x8080_8080_8080_8080 == 0 else { return Key() }
        return Key(k0: k0, k1: k1, length: Int32(n), start: hash(k0, k1, n))
    }

    @inline(__always)
    private static func hash(_ k0: UInt64, _ k1: UInt64, _ n: Int) -> Int32 {
        var h = (k0 &* 0x9e37_79b9_7f4a_7c15) ^ ((k1 &+ UInt64(n)) &* 0xc2b2_ae3d_27d4_eb4f)
        h = (h ^ (h >> 32)) &* 0xd6e8_feb8_6659_fd93
        h ^= h >> 29
        return Int32(truncatingIfNeeded: h & 0x7fff_ffff)
    }

    /// The second step: reads the slot the search starts at, so that it is in cache for `row`.
    /// A loop of these over a cart keeps its lines' misses in flight together.
    @inline(__always)
    func touch(_ k: Key) -> Int32 {
        k.length < 0 ? 0 : table[Int(k.start)].key.length
    }

    /// The row of the sku `k` was made from: its ordinal is -1 when the catalog does not have it,
    /// -2 when the sku is to be looked up by string (`row(sku:)`).
    @inline(__always)
    func row(_ k: Key) -> Row {
        guard k.length >= 0 else { return Row(ordinal: -2) }
        var s = Int(k.start)
        while true {
            let slot = table[s]
            if slot.key.length < 0 { return Row() }
            if slot.key.same(k) { return slot.row }
            s = (s + 1) & mask
        }
    }

    /// The row of a sku not in short ASCII, through the catalog's string index.
    func row(sku: String) -> Row {
        catalog.storage.ordinals[sku].map { Self.row(catalog.items[Int($0)], ordinal: Int($0), symbols) } ?? Row()
    }
}

/// A cart line resolved against the catalog, in the canonical order (by line id, then sku).
struct Line: Sendable {
    /// Position in the catalog, or -1 for a sku the catalog does not have.
    var ordinal: Int32
    var sku: Int32
    var category: Int32
    var brand: Int32
    var quantity: Int
    var unitPrice: Int64
    var cost: Int64
    var stock: Int
    /// The catalog's price (the cart's `unitPrice` may differ).
    var listPrice: Int64
    /// unitPrice x quantity.
    var amount: Int64
}

/// The state of one decision's evaluation: the request, resolved lines, cart aggregates, the
/// gathered model outputs, caches and scratch buffers. One thread uses it at a time; it is reset
/// and reused for the next decision, so a decision allocates almost nothing. (Sendable only so
/// that the engine's pool can hand it from one decision to the next; never shared by two.)
final class Frame: @unchecked Sendable {
    let bound: BoundCatalog
    let symbols: SymbolTable
    let rounding: RoundingMode
    let modelSlots: Int
    let letSlots: Int

    /// The request being decided, where the caller holds it: set by the engine for the length of
    /// one decision (a recorded decision's trace does not read it afterwards).
    @exclusivity(unchecked) var requestPointer: UnsafePointer<DecisionRequest>?
    var request: DecisionRequest {
        unsafeAddress {
            guard let requestPointer else { preconditionFailure("the frame is not deciding") }
            return requestPointer
        }
    }
    @exclusivity(unchecked) var lines = Scratch<Line>()
    /// The request's lines in the canonical order (the request's own array when it is in it).
    @exclusivity(unchecked) var cartLines: [CartLine] = []
    /// The lines' catalog ordinals (-1: not in the catalog), for model batches.
    @exclusivity(unchecked) var lineOrdinals: [Int32] = []
    /// The last decision's parts, refilled by the next one once no decision holds them.
    @exclusivity(unchecked) var parts: DecisionParts?
    @exclusivity(unchecked) var subtotal: Int64 = 0
    /// 1 / subtotal (0 for an empty cart): arbitration's relative value of each offer is a
    /// product, not a division per candidate.
    @exclusivity(unchecked) var subtotalInverse: Double = 0
    @exclusivity(unchecked) var quantity = 0
    @exclusivity(unchecked) var channel: Int32 = 0
    /// The line in scope for `item`.
    @exclusivity(unchecked) var line = 0
    /// Model outputs: slot s for line l at `s * stride + l` (l = 0 for outputs not per item).
    @exclusivity(unchecked) var models = Scratch<Val>()
    @exclusivity(unchecked) var stride = 1
    /// Model output positions read while missing, during the whole decision (and whether any
    /// was, so that a decision without one does not look).
    @exclusivity(unchecked) var missingReads = Scratch<Bool>()
    @exclusivity(unchecked) var anyMissingRead = false
    /// Missing outputs read while evaluating the current offer.
    @exclusivity(unchecked) var missingInOffer = 0
    /// The nudge to the next tier of the spend threshold evaluated last, if any.
    @exclusivity(unchecked) var nudge: Nudge?
    /// The current offer's `on_missing` value, if it declares one.
    @exclusivity(unchecked) var fallback: Val = .missing
    @exclusivity(unchecked) var hasFallback = false
    @exclusivity(unchecked) var overflow = false
    /// Set while a traced decision evaluates conditions; they then record into `tracer`.
    @exclusivity(unchecked) var tracing = false
    /// Not retained (the recording that owns it outlives the decision): reaching it costs no
    /// reference counting on the hot path. `tracer` is nil when the decision is not traced.
    @exclusivity(unchecked) var tracerRef: Unmanaged<TraceBuilder>?
    var tracer: TraceBuilder? {
        get { tracerRef?.takeUnretainedValue() }
        set { tracerRef = newValue.map { Unmanaged.passUnretained($0) } }
    }

    /// Runs `body` with the trace builder, when the decision is traced.
    @inline(__always)
    func withTracer(_ body: (TraceBuilder) -> Void) {
        tracerRef?._withUnsafeGuaranteedRef(body)
    }
    /// Values of `let` bindings that do not read the item; valid when the stamp is this decision's.
    @exclusivity(unchecked) var lets: [Val]
    @exclusivity(unchecked) var letStamps: [UInt32]
    @exclusivity(unchecked) var stamp: UInt32 = 0
    /// Lists built while evaluating, addressed by `Val.list`.
    @exclusivity(unchecked) var arena: [Val] = []
    /// Cached lists: cart.skus, cart.categories, customer.tags (count -1: not built yet).
    @exclusivity(unchecked) var cartSkus: Val = .missing
    @exclusivity(unchecked) var cartCategories: Val = .missing
    @exclusivity(unchecked) var customerTags: Val = .missing
    /// Symbols of request strings read lazily (Int32.min: not read yet).
    @exclusivity(unchecked) var customerID = Int32.min
    @exclusivity(unchecked) var customerTier = Int32.min
    @exclusivity(unchecked) var customerCountry = Int32.min
    /// Recently met strings and their symbols (-1: not in the table), for `symbol(_:)`.
    struct RecentSymbol {
        var key: BoundCatalog.Key
        var symbol: Int32
    }
    @exclusivity(unchecked) var recentSymbols = Scratch<RecentSymbol>(capacity: 8)
    @exclusivity(unchecked) var recentNext = 0
    /// Strings this decision met that the symbol table does not have.
    @exclusivity(unchecked) var overflowIDs: [String: Int32] = [:]
    @exclusivity(unchecked) var overflowStrings: [String] = []

    // Scratch space of the evaluator and the selection, reused across decisions.
    /// Where the lines of the offer being valued start in `matchArena`.
    @exclusivity(unchecked) var matchesAt = 0
    /// The same lines as bits, in carts of at most 64 lines (the evaluator visits only those).
    @exclusivity(unchecked) var matchBits: UInt64 = 0
    /// Which lines each evaluated offer applies to, in carts of more than 64 lines (shorter
    /// ones keep them as bits in the candidate): `Engine.Candidate.lines ..< + lines`.
    @exclusivity(unchecked) var matchArena = Scratch<Bool>()
    @exclusivity(unchecked) var base = Scratch<Int64>()
    /// Line discounts of evaluated offers: `OfferValue.at ..< at + lines.count`.
    @exclusivity(unchecked) var discounts = Scratch<Int64>()
    @exclusivity(unchecked) var weights = Scratch<Int64>()
    @exclusivity(unchecked) var order = Scratch<Int>()
    @exclusivity(unchecked) var remainders: [(Int128, Int)] = []
    @exclusivity(unchecked) var candidates = Scratch<Int32>()
    @exclusivity(unchecked) var eligible = Scratch<Engine.Candidate>()
    @exclusivity(unchecked) var wanted = Scratch<Bool>()
    /// The cart's margin on list prices: sum of (price - cost) x quantity.
    @exclusivity(unchecked) var margin: Int64 = 0
    /// P(buy | no offer), and P(buy | offer) when the uplift model gives it (`Engine.score`).
    @exclusivity(unchecked) var p0: Double = 0
    @exclusivity(unchecked) var upliftP1: Double?
    /// What reading ahead read (kept, so that the reads are made).
    @exclusivity(unchecked) var touched: UInt8 = 0
    /// Per campaign: whether it runs for this request, valid when the stamp is this decision's.
    @exclusivity(unchecked) var campaignStamp: [UInt32] = []
    @exclusivity(unchecked) var campaignStatus: [(Reason, Why)?] = []
    /// Selection scratch: per line, discount applied by earlier picks; base prices after them.
    @exclusivity(unchecked) var applied = Scratch<Int64>()
    @exclusivity(unchecked) var discountedBase = Scratch<Int64>()
    /// Selection's candidate order and pool.
    @exclusivity(unchecked) var selectionOrder = Scratch<Int32>()
    @exclusivity(unchecked) var selectionPool = Scratch<Int32>()
    /// Per offer: the decision stamp when the limit set it aside.
    @exclusivity(unchecked) var cappedStamp = Scratch<UInt32>()
    /// The picks' scores and offers side by side, for ranking them (`Engine.select`).
    @exclusivity(unchecked) var pickScores = Scratch<Double>()
    @exclusivity(unchecked) var pickOffers = Scratch<Int32>()
    /// Selection's picks and rejections, and the amounts each campaign's picks spent so far.
    @exclusivity(unchecked) var picks = Scratch<Engine.Pick>()
    /// Candidates selection valued again on the prices earlier picks left (picks point here).
    @exclusivity(unchecked) var revalued = Scratch<Engine.Candidate>()
    @exclusivity(unchecked) var selectionRejected = Scratch<Rejection>()
    @exclusivity(unchecked) var spent = Scratch<Spent>()
    struct Spent {
        var campaign: Int
        var amount: Int64
    }
    /// Per offer: its place among the index's candidates (ascending offers), valid for the
    /// offers of this decision's candidates; and per place, how many rejections come before its
    /// own (a decision's rejections are put in offer order by counting).
    @exclusivity(unchecked) var candidateRank = Scratch<Int32>()
    @exclusivity(unchecked) var rejectionsBefore = Scratch<Int32>()
    /// The rejections of the decision being made, in the order they were found.
    @exclusivity(unchecked) var rejected = Scratch<Rejection>()
    /// Per offer: its last evaluation on discounted prices, valid for this decision's stamp and
    /// the prices' signature.
    @exclusivity(unchecked) var memoStamp: [UInt32] = []
    @exclusivity(unchecked) var memoSignature: [UInt64] = []
    @exclusivity(unchecked) var memo: [Evaluation] = []
    /// Per offer: the decision stamp when the index last met it, and the lines (bits, first 64)
    /// that hit it there.
    @exclusivity(unchecked) var indexMarks = Scratch<IndexMark>()
    /// The index's candidates as bits (offer `o` at bit `o % 64` of word `o / 64`), so that they
    /// come out in order without a sort.
    @exclusivity(unchecked) var candidateBits = Scratch<UInt64>()

    /// The lines that hit an offer in the index (bits, first 64), valid for the decision `stamp`.
    /// One record per offer, so that a hit touches one place.
    struct IndexMark {
        var lines: UInt64
        var stamp: UInt32
    }
    /// Per cart line while resolving: its sku's catalog key, then its row.
    @exclusivity(unchecked) var keys = Scratch<BoundCatalog.Key>()
    @exclusivity(unchecked) var rows = Scratch<BoundCatalog.Row>()
    /// What touching the catalog's slots read (kept, so that the reads are made).
    @exclusivity(unchecked) var touchedSlots: Int32 = 0

    deinit {
        lines.free()
        matchArena.free()
        for b in [base, discounts, weights, applied, discountedBase] { b.free() }
        order.free()
        for b in [candidates, selectionOrder, selectionPool] { b.free() }
        picks.free()
        cappedStamp.free()
        pickScores.free()
        pickOffers.free()
        revalued.free()
        selectionRejected.free()
        rejected.free()
        eligible.free()
        spent.free()
        candidateRank.free()
        rejectionsBefore.free()
        indexMarks.free()
        candidateBits.free()
        models.free()
        missingReads.free()
        wanted.free()
        keys.free()
        recentSymbols.free()
        rows.free()
    }

    /// A set of model slots asked in one batch, with their calls: one object, so that a batch
    /// and a decision's model record hold it by one reference.
    final class BatchShape: Sendable {
        let slots: [Int]
        let calls: [ModelCall]

        init(_ slots: [Int], _ rules: RuleSet) {
            self.slots = slots
            calls = slots.map { rules.modelSlots[$0].call }
        }
    }

    /// Shapes by the bits of their slots (below 64): every decision asking for the same set shares
    /// one shape, so its batch and its model record hold a reference, not copies.
    @exclusivity(unchecked) var shapes: [UInt64: BatchShape] = [:]

    func shape(bits: UInt64, _ rules: RuleSet) -> BatchShape {
        // The last two asked first: a decision usually asks one for the segment, one for the rest.
        if bits == recentBits.0, let shape = recent.0 { return shape }
        if bits == recentBits.1, let shape = recent.1 { return shape }
        let shape =
            shapes[bits]
            ?? {
                let shape = BatchShape((0..<64).filter { bits & (1 << UInt64($0)) != 0 }, rules)
                if shapes.count < 1_024 { shapes[bits] = shape }
                return shape
            }()
        (recent.1, recentBits.1) = (recent.0, recentBits.0)
        (recent.0, recentBits.0) = (shape, bits)
        return shape
    }
    @exclusivity(unchecked) private var recent: (BatchShape?, BatchShape?) = (nil, nil)
    @exclusivity(unchecked) private var recentBits: (UInt64, UInt64) = (0, 0)

    /// A replay's recorded control-group membership per campaign (ids may be masked in a trace).
    @exclusivity(unchecked) var holdoutOverride: [String: Bool]?
    /// Where each condition's node is (for traces of filtered lines).
    @exclusivity(unchecked) var nodeBySpan: [SourceSpan: Int] = [:]

    init(bound: BoundCatalog, rounding: RoundingMode, modelSlots: Int, letSlots: Int) {
        self.bound = bound
        self.symbols = bound.symbols
        self.rounding = rounding
        self.modelSlots = modelSlots
        self.letSlots = letSlots
        self.lets = Array(repeating: .missing, count: letSlots)
        self.letStamps = Array(repeating: 0, count: letSlots)
    }

    func prepareOffers(_ count: Int) {
        if memoStamp.count != count {
            candidateRank.removeAll()
            candidateRank.append(0, times: count)
            memoStamp = Array(repeating: 0, count: count)
            cappedStamp.removeAll()
            cappedStamp.append(0, times: count)
            memoSignature = Array(repeating: 0, count: count)
            memo = Array(repeating: .rejected(.notEligible, .givesNothing), count: count)
        }
    }

    func prepareCampaigns(_ count: Int) {
        if campaignStamp.count != count {
            campaignStamp = Array(repeating: 0, count: count)
            campaignStatus = Array(repeating: nil, count: count)
        }
    }

    /// Prepares the frame for a request: lines resolved and in canonical order, aggregates,
    /// model outputs all missing, caches cleared.
    func reset(_ request: DecisionRequest) {
        // Strings of the previous decision go before this one interns its own.
        if !overflowStrings.isEmpty {
            if !overflowIDs.isEmpty { overflowIDs.removeAll(keepingCapacity: true) }
            overflowStrings.removeAll(keepingCapacity: true)
        }
        stamp &+= 1
        if stamp == 0 {
            for i in letStamps.indices { letStamps[i] = 0 }
            for i in campaignStamp.indices { campaignStamp[i] = 0 }
            for i in indexMarks.indices { indexMarks[i].stamp = 0 }
            for i in memoStamp.indices { memoStamp[i] = 0 }
            for i in cappedStamp.indices { cappedStamp[i] = 0 }
            stamp = 1
        }
        cartLines = request.cart.lines
        if !Self.isCanonical(cartLines) { cartLines.sort { ($0.id, $0.sku) < ($1.id, $1.sku) } }
        lines.removeAll(keepingCapacity: true)
        subtotal = 0
        quantity = 0
        // Resolved in passes over all lines, so that the catalog look-ups of different lines
        // (each a cache miss in a large catalog) are in flight together. The lines are read in
        // place (a copy of a line would count references to its two strings).
        keys.removeAll()
        rows.removeAll()
        cartLines.withUnsafeBufferPointer { cart in
            // Keys first, then the table's slots (each holds its row) in a tight loop of reads.
            let mask = Int32(bound.mask)
            for i in cart.indices { keys.append(BoundCatalog.key(cart[i].sku, mask: mask)) }
            var touched: Int32 = 0
            for k in keys { touched |= bound.touch(k) }
            self.touchedSlots = touched
            for k in keys { rows.append(bound.row(k)) }
            for i in cart.indices where rows[i].ordinal == -2 { rows[i] = bound.row(sku: cart[i].sku) }
            // The ordinals written in place (one uniqueness check, not one per line) when the last
            // cart had as many lines. (The skus are the cart lines', read there.)
            if lineOrdinals.count != cart.count {
                lineOrdinals.removeAll(keepingCapacity: true)
                lineOrdinals.append(contentsOf: repeatElement(-1, count: cart.count))
            }
            lineOrdinals.withUnsafeMutableBufferPointer { ordinals in
                for i in cart.indices {
                    let q = max(0, cart[i].quantity)
                    let price = max(0, cart[i].unitPrice)
                    let row = rows[i]
                    let k = row.ordinal
                    if k >= 0 {
                        lines.append(
                            Line(
                                ordinal: k, sku: row.sku, category: row.category, brand: row.brand, quantity: q,
                                unitPrice: price, cost: row.cost, stock: row.stock, listPrice: row.price,
                                amount: price * Int64(q)))
                    } else {
                        lines.append(
                            Line(
                                ordinal: -1, sku: symbol(cart[i].sku), category: 0, brand: 0, quantity: q,
                                unitPrice: price,
                                cost: 0, stock: 0, listPrice: 0, amount: price * Int64(q)))
                    }
                    ordinals[i] = k
                    subtotal += price * Int64(q)
                    quantity += q
                }
            }
        }
        subtotalInverse = subtotal > 0 ? 1 / Double(subtotal) : 0
        channel = symbol(request.channel)
        stride = max(1, lines.count)
        let size = modelSlots * stride
        models.removeAll()
        models.append(.missing, times: size)
        missingReads.removeAll()
        missingReads.append(false, times: size)
        anyMissingRead = false
        line = 0
        arena.removeAll(keepingCapacity: true)
        discounts.removeAll(keepingCapacity: true)
        matchArena.removeAll(keepingCapacity: true)
        cartSkus = .missing
        cartCategories = .missing
        customerTags = .missing
        customerID = Int32.min
        customerTier = Int32.min
        customerCountry = Int32.min
        base.removeAll(keepingCapacity: true)
        for l in lines { base.append(l.unitPrice) }
    }

    /// The lines the offer valued last applies to, as `Engine.Candidate.lines` holds them (bits
    /// in a cart of at most 64 lines, else where they start in `matchArena`): what `value` left.
    var valuedLines: Int { lines.count <= 64 ? Int(Int64(bitPattern: matchBits)) : matchesAt }

    /// The candidate a pick gives, where it lies (`Engine.Pick.source`).
    @inline(__always)
    func given(_ p: Engine.Pick) -> UnsafeMutablePointer<Engine.Candidate> {
        p.source >= 0 ? eligible.base + Int(p.source) : revalued.base + Int(-1 - p.source)
    }

    /// Calls `body` with each line the offer being valued applies to, in line order.
    @inline(__always)
    func forEachMatch(_ body: (Int) -> Void) {
        if lines.count <= 64 {
            matchBits.forEachBit(body)
        } else {
            for i in 0..<lines.count where matchArena[matchesAt + i] { body(i) }
        }
    }

    private static func isCanonical(_ lines: [CartLine]) -> Bool {
        lines.withUnsafeBufferPointer { l in
            guard l.count > 1 else { return true }
            // One comparison per line when the ids ascend (the usual case).
            for i in 1..<l.count where !(l[i - 1].id < l[i].id) {
                if l[i].id < l[i - 1].id || l[i].sku < l[i - 1].sku { return false }
            }
            return true
        }
    }

    /// The symbol of a string: from the table, or from this decision's overflow (a few strings,
    /// such as a channel or a sku the rules never name, found by comparison; more by a table).
    /// Short ASCII strings met recently (the channel, a segment: most requests carry the same
    /// few) are found in a small cache by their packed bytes, before the table, whose slots are
    /// spread over megabytes once the catalog's strings are in it.
    func symbol(_ s: String) -> Int32 {
        let key = BoundCatalog.key(s, mask: 0)
        var inTable: Int32?
        if key.length >= 0 {
            for e in recentSymbols where e.key.same(key) {
                inTable = e.symbol
                break
            }
        }
        if inTable == nil {
            let id = symbols.ids[s] ?? -1
            if key.length >= 0 {
                let e = RecentSymbol(key: key, symbol: id)
                if recentSymbols.count < 8 { recentSymbols.append(e) } else { recentSymbols[recentNext & 7] = e }
                recentNext &+= 1
            }
            inTable = id
        }
        if let id = inTable, id >= 0 { return id }
        if overflowStrings.count <= 8 {
            for (k, o) in overflowStrings.enumerated() where o == s { return Int32(symbols.count + k) }
        } else if let id = overflowIDs[s] {
            return id
        }
        let id = Int32(symbols.count + overflowStrings.count)
        overflowStrings.append(s)
        if overflowStrings.count == 9 {
            for (k, o) in overflowStrings.enumerated() { overflowIDs[o] = Int32(symbols.count + k) }
        } else if overflowStrings.count > 9 {
            overflowIDs[s] = id
        }
        return id
    }

    func string(_ symbol: Int32) -> String {
        let i = Int(symbol)
        return i < symbols.count ? symbols.strings[i] : overflowStrings[i - symbols.count]
    }

    /// Records a condition's result and operand values (tracing only).
    func record(_ node: Int, _ result: Val, _ a: Val, _ b: Val? = nil) {
        withTracer { $0.leaf(node, result, a, b) }
    }

    /// Appends a list to the arena.
    func list(_ values: some Sequence<Val>) -> Val {
        let start = arena.count
        arena.append(contentsOf: values)
        return .list(start: Int32(start), count: Int32(arena.count - start))
    }

    func item(_ line: Int) -> CatalogItem? {
        let k = lines[line].ordinal
        return k >= 0 ? bound.catalog.storage.items[Int(k)] : nil
    }

    /// A model output for the line in scope; a missing one is noted and replaced by the fallback.
    @inline(__always)
    func model(_ slot: Int, perItem: Bool) -> Val {
        let i = slot &* stride &+ (perItem ? line : 0)
        let v = models[i]
        if case .missing = v {
            missingInOffer += 1
            missingReads[i] = true
            anyMissingRead = true
            return hasFallback ? fallback : .missing
        }
        return v
    }

    /// Equality of two values of one type; nil when either is missing.
    func equal(_ x: Val, _ y: Val) -> Bool? {
        switch (x, y) {
        case (.missing, _), (_, .missing): return nil
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.money(let a), .money(let b)), (.percent(let a), .percent(let b)), (.dateTime(let a), .dateTime(let b)),
            (.duration(let a), .duration(let b)):
            return a == b
        case (.symbol(let a), .symbol(let b)): return a == b
        case (.list(let s1, let c1), .list(let s2, let c2)):
            guard c1 == c2 else { return false }
            for k in 0..<Int(c1) {
                guard let e = equal(arena[Int(s1) + k], arena[Int(s2) + k]) else { return nil }
                if !e { return false }
            }
            return true
        default: return false
        }
    }

    /// Ordering within one kind; nil across kinds or for missing.
    func compare(_ a: Val, _ b: Val) -> Int? {
        if let o = Val.order(a, b) { return o }
        return switch (a, b) {
        case (.symbol(let x), .symbol(let y)):
            x == y ? 0 : (string(x) < string(y) ? -1 : 1)
        case (.bool(let x), .bool(let y)): x == y ? 0 : (x ? 1 : -1)
        default: nil
        }
    }

    /// The public form of a value (strings spelled out, lists expanded).
    func value(_ v: Val) -> Value {
        v.public(string: string) { arena[$0] }
    }

    /// The evaluation form of a public value (strings interned, lists into the arena).
    func val(_ v: Value) -> Val {
        switch v {
        case .bool(let b): .bool(b)
        case .number(let n): .number(n)
        case .money(let m): .money(m)
        case .percent(let p): .percent(p)
        case .string(let s): .symbol(symbol(s))
        case .dateTime(let t): .dateTime(t)
        case .duration(let d): .duration(d)
        case .list(let items): list(items.map { val($0) })
        case .missing: .missing
        }
    }
}

// Request fields read as symbols or lists, computed on first use in a decision.
extension Frame {
    func customerIDSymbol() -> Int32 {
        if customerID == Int32.min { customerID = symbol(request.customer.id) }
        return customerID
    }

    func customerTierSymbol() -> Int32 {
        if customerTier == Int32.min { customerTier = symbol(request.customer.tier) }
        return customerTier
    }

    func customerCountrySymbol() -> Int32 {
        if customerCountry == Int32.min { customerCountry = symbol(request.customer.country) }
        return customerCountry
    }

    func customerTagList() -> Val {
        if case .missing = customerTags { customerTags = list(request.customer.tags.map { .symbol(symbol($0)) }) }
        return customerTags
    }

    func cartSkuList() -> Val {
        if case .missing = cartSkus { cartSkus = list(lines.map { .symbol($0.sku) }) }
        return cartSkus
    }

    func cartCategoryList() -> Val {
        if case .missing = cartCategories {
            var seen: [Int32] = []
            for l in lines where !seen.contains(l.category) { seen.append(l.category) }
            cartCategories = list(seen.map { .symbol($0) })
        }
        return cartCategories
    }

    func itemTagList() -> Val {
        let k = Int(lines[line].ordinal)
        guard k >= 0 else { return .list(start: 0, count: 0) }
        let from = Int(bound.tagStart[k])
        let to = Int(bound.tagStart[k + 1])
        return list(bound.tags[from..<to].map { .symbol($0) })
    }
}
