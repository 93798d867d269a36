import PromoDSL

/// A cart line with its catalog item resolved.
struct ResolvedLine: Sendable {
    var id: String
    var sku: String
    var entry: Catalog.Entry
    var item: CatalogItem { entry.item }
    var quantity: Int
    var unitPrice: Int64
}

/// The state of one decision's evaluation: the request, resolved lines, cart aggregates, the
/// gathered model outputs, and caches. Lives for one decision on one thread.
final class Frame {
    let request: DecisionRequest
    let lines: [ResolvedLine]
    let subtotal: Int64
    let quantity: Int
    let lineIDs: [String]
    lazy var skus: [Value] = lines.map { .string($0.sku) }
    lazy var categories: [Value] = {
        var seen: [Value] = []
        for l in lines where !seen.contains(.string(l.item.category)) { seen.append(.string(l.item.category)) }
        return seen
    }()
    let rounding: RoundingMode
    /// The line in scope for `item`.
    var line = 0
    /// Model outputs by slot; per-item slots hold one value per line, others one value.
    var models: [[Value]]
    /// Values of `let` bindings that do not read the item, by let slot.
    var lets: [Value?]
    /// The current offer's `on_missing` value, if it declares one.
    var fallback: Value?
    /// Model slots read as missing while evaluating the current offer.
    var missingSlots: [Int] = []
    /// Every (slot, line) read as missing during the decision, for the report.
    var missingReads: Set<Int> = []
    var overflow = false

    init(request: DecisionRequest, lines: [ResolvedLine], rounding: RoundingMode, modelSlots: Int, letSlots: Int) {
        self.request = request
        self.lines = lines
        var subtotal: Int64 = 0
        var quantity = 0
        for l in lines {
            subtotal += l.unitPrice * Int64(l.quantity)
            quantity += l.quantity
        }
        self.subtotal = subtotal
        self.quantity = quantity
        self.lineIDs = lines.map(\.id)
        self.rounding = rounding
        self.models = Array(repeating: [], count: modelSlots)
        self.lets = Array(repeating: nil, count: letSlots)
    }
}
