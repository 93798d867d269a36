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

/// Collects what the compiled conditions record while a traced decision evaluates them, and
/// turns it into `ConditionTrace` trees (parts with no record were not evaluated).
final class TraceBuilder {
    let nodes: [ConditionNode]
    private struct Record {
        var node: Int
        var result: Val = .missing
        var operands: [Value] = []
        var children: [Int] = []
    }
    private var records: [Record] = []
    private var open: [Int] = []
    private var roots: [Int] = []

    /// What the evaluator recorded about the offer being evaluated.
    var when: ConditionTrace?
    var lines: [LineConditions] = []
    var valueLines: [ValueTrace.LineValue] = []
    var notes: [String] = []
    var matchingSubtotal: Int64?
    var tierSpend: Int64?

    init(nodes: [ConditionNode]) { self.nodes = nodes }

    /// Starts recording one offer.
    func beginOffer() {
        when = nil
        lines.removeAll()
        valueLines.removeAll()
        notes.removeAll()
        matchingSubtotal = nil
        tierSpend = nil
    }

    func begin() {
        records.removeAll(keepingCapacity: true)
        open.removeAll(keepingCapacity: true)
        roots.removeAll(keepingCapacity: true)
    }

    private func attach(_ r: Int) {
        if let top = open.last { records[top].children.append(r) } else { roots.append(r) }
    }

    func open(_ node: Int) {
        records.append(Record(node: node))
        attach(records.count - 1)
        open.append(records.count - 1)
    }

    func close(_ result: Val) {
        let r = open.removeLast()
        records[r].result = result
    }

    func leaf(_ node: Int, _ result: Val, _ operands: [Value]) {
        records.append(Record(node: node, result: result, operands: operands))
        attach(records.count - 1)
    }

    /// Records that the line filter ruled a line out: the conjunct `anchor` of `root` was false
    /// with `value`; the `and`s above it false, the rest not evaluated.
    func filtered(root: Int, anchor: Int, value: Value) {
        guard let path = path(from: root, to: anchor) else { return }
        for n in path.dropLast() { open(n) }
        leaf(anchor, .bool(false), [value])
        for _ in path.dropLast() { close(.bool(false)) }
    }

    private func path(from: Int, to: Int) -> [Int]? {
        if from == to { return [from] }
        guard nodes[from].op == "and" else { return nil }
        for c in nodes[from].children {
            if let p = path(from: c, to: to) { return [from] + p }
        }
        return nil
    }

    /// The tree of the static node `root` as recorded since `begin()`.
    func tree(_ root: Int) -> ConditionTrace {
        build(root, roots.first { records[$0].node == root })
    }

    private func build(_ n: Int, _ r: Int?) -> ConditionTrace {
        let node = nodes[n]
        let record = r.map { records[$0] }
        var children: [ConditionTrace] = []
        var used: Set<Int> = []
        for c in node.children {
            let match = record?.children.first { records[$0].node == c && !used.contains($0) }
            if let match { used.insert(match) }
            children.append(build(c, match))
        }
        let result: String
        switch record?.result {
        case nil: result = "not_evaluated"
        case .bool(true)?: result = "true"
        case .bool(false)?: result = "false"
        default: result = "unknown"
        }
        let values = record?.operands ?? []
        let operands = node.operands.enumerated().map { i, text in
            ConditionTrace.Operand(text: text, value: i < values.count ? values[i] : nil)
        }
        return ConditionTrace(
            text: node.text, file: node.file, line: node.line, column: node.column, op: node.op, result: result,
            operands: operands, children: children)
    }
}
