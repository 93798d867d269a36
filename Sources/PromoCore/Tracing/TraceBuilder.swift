import PromoDSL

/// A condition of the rules as compiled: its text and place, operator, operand texts and parts.
struct ConditionNode: Sendable {
    var text: String
    var file: String
    var line: Int
    var column: Int
    var op: String
    var operands: [String]
    var children: [Int]
}

/// What a traced decision records while it decides, kept compact (node numbers, values as
/// symbols, line numbers, no text): the public `DecisionTrace` is built from it afterwards.
final class TraceBuilder: @unchecked Sendable {
    let nodes: [ConditionNode]

    /// One condition evaluated: its node, result and up to two operand values, and its parts as a
    /// linked list of records.
    struct Record {
        var node: Int32
        var result: Val
        var a: Val = .missing
        var b: Val = .missing
        var operands: Int8 = 0
        var firstChild: Int32 = -1
        var lastChild: Int32 = -1
        var next: Int32 = -1
    }

    /// A cart line as one offer's `applies_to` saw it: the record of its root, or, when the line
    /// filter ruled it out, the value that did (a symbol). On a line the index admitted only the
    /// conjuncts beside the filter's are recorded (`admitted`): `root` is the first of them, the
    /// others follow it as siblings.
    struct LineRecord {
        var line: Int32
        var matched: Bool
        var admitted = false
        var root: Int32
        var filteredBy: Int32
    }

    struct ValueLine {
        var line: Int32
        /// The record of the value expression on this line (-1: none).
        var expression: Int32 = -1
        var base: Int64
        var unitDiscount: Int64
        var units: Int
        var discount: Int64
    }

    enum Note {
        case maxItems(Int)
        case marginFloor(Int64)
        case tierReached(Int64)
        case maxDiscount(Int64)
    }

    /// One evaluated offer: ranges of the decision-wide arrays below (kept as bounds, so that the
    /// record is plain data a scratch buffer holds).
    struct OfferRecord: BitwiseCopyable {
        var offer: Int
        var whenRoot: Int32 = -1
        private var bounds: (lines: Bounds, values: Bounds, notes: Bounds) = (.init(), .init(), .init())
        var lines: Range<Int> {
            get { bounds.lines.range }
            set { bounds.lines = Bounds(newValue) }
        }
        var values: Range<Int> {
            get { bounds.values.range }
            set { bounds.values = Bounds(newValue) }
        }
        var notes: Range<Int> {
            get { bounds.notes.range }
            set { bounds.notes = Bounds(newValue) }
        }
        var matchingSubtotal: Int64?
        var tierSpend: Int64?
        var evaluation: Evaluation = .rejected(.notEligible, .givesNothing)
        var nudge: Nudge?
        /// Lines the index's line filter ruled out, as bits, not recorded one by one in `lines`
        /// (the trace names each one's value when it is built).
        var filtered: UInt64 = 0

        init(offer: Int) { self.offer = offer }

        struct Bounds {
            var lower = 0
            var upper = 0
            init() {}
            init(_ r: Range<Int>) { (lower, upper) = (r.lowerBound, r.upperBound) }
            var range: Range<Int> { lower..<upper }
        }
    }

    /// Conditions, lines and offers, the records made most often: scratch buffers (no uniqueness
    /// check per append), owned by this builder.
    @exclusivity(unchecked) var records: Scratch<Record>
    @exclusivity(unchecked) private var open: Scratch<Int32>
    @exclusivity(unchecked) private var root: Int32 = -1
    /// The last record made outside any other since `begin()`.
    @exclusivity(unchecked) private var top: Int32 = -1
    @exclusivity(unchecked) var lines: Scratch<LineRecord>
    @exclusivity(unchecked) var values: Scratch<ValueLine>
    @exclusivity(unchecked) var notes: [Note]
    @exclusivity(unchecked) var offers: Scratch<OfferRecord>
    /// The offer being evaluated.
    @exclusivity(unchecked) var current = OfferRecord(offer: -1)
    /// Per line of the offer being valued: the record of its value expression.
    @exclusivity(unchecked) var expressions: Scratch<Int32>

    /// The builder's scratch buffers, handed from a builder that is done to the next one (so
    /// that a recorded decision does not allocate and free them).
    struct Buffers: @unchecked Sendable {
        var records: Scratch<Record>
        var open: Scratch<Int32>
        var lines: Scratch<LineRecord>
        var values: Scratch<ValueLine>
        var expressions: Scratch<Int32>
        var notes: [Note]
        var offers: Scratch<OfferRecord>

        static func fresh(capacity: Int) -> Buffers {
            Buffers(
                records: Scratch(capacity: capacity), open: Scratch(), lines: Scratch(capacity: capacity / 2),
                values: Scratch(capacity: capacity / 8), expressions: Scratch(), notes: [],
                offers: Scratch(capacity: capacity / 8))
        }

        func free() {
            records.free()
            open.free()
            lines.free()
            values.free()
            expressions.free()
            offers.free()
        }
    }

    /// Where the buffers come from and go back to, if anywhere.
    private let pool: FramePool?

    /// `capacity`: records a decision of this rule set usually makes (so the arrays grow once).
    init(nodes: [ConditionNode], capacity: Int = 256, pool: FramePool? = nil) {
        self.nodes = nodes
        self.pool = pool
        let b = pool?.takeTraceBuffers() ?? .fresh(capacity: capacity)
        records = b.records
        open = b.open
        lines = b.lines
        values = b.values
        expressions = b.expressions
        notes = b.notes
        offers = b.offers
    }

    deinit {
        var b = Buffers(
            records: records, open: open, lines: lines, values: values, expressions: expressions, notes: [],
            offers: offers)
        // Moved out, so that emptying it keeps its storage instead of copying it.
        swap(&b.notes, &notes)
        b.records.removeAll()
        b.open.removeAll()
        b.lines.removeAll()
        b.values.removeAll()
        b.expressions.removeAll()
        b.notes.removeAll(keepingCapacity: true)
        b.offers.removeAll()
        if !(pool?.putTraceBuffers(b) ?? false) { b.free() }
    }

    func beginOffer(_ o: Int) {
        current = OfferRecord(offer: o)
        expressions.removeAll(keepingCapacity: true)
        current.lines = lines.count..<lines.count
        current.values = values.count..<values.count
        current.notes = notes.count..<notes.count
    }

    func endOffer(_ e: Evaluation, nudge: Nudge?) {
        current.nudge = nudge
        current.lines = current.lines.lowerBound..<lines.count
        current.values = current.values.lowerBound..<values.count
        current.notes = current.notes.lowerBound..<notes.count
        current.evaluation = e
        offers.append(current)
    }

    /// Starts one evaluation of a condition (`when`, or `applies_to` on a line).
    func begin() {
        open.removeAll()
        root = -1
        top = -1
    }

    /// The record of the condition evaluated since `begin()`.
    var rootRecord: Int32 { root }

    private func attach(_ r: Int32) {
        if open.count > 0 {
            let t = Int(open[open.count - 1])
            if records[t].firstChild < 0 {
                records[t].firstChild = r
            } else {
                records[Int(records[t].lastChild)].next = r
            }
            records[t].lastChild = r
        } else {
            if root < 0 { root = r } else { records[Int(top)].next = r }
            top = r
        }
    }

    func open(_ node: Int) {
        records.append(Record(node: Int32(node), result: .missing))
        let r = Int32(records.count - 1)
        attach(r)
        open.append(r)
    }

    func close(_ result: Val) {
        let r = open[open.count - 1]
        open.removeLast(1)
        records[Int(r)].result = result
    }

    func leaf(_ node: Int, _ result: Val, _ a: Val, _ b: Val?) {
        records.append(
            Record(node: Int32(node), result: result, a: a, b: b ?? .missing, operands: b == nil ? 1 : 2))
        attach(Int32(records.count - 1))
    }
}
