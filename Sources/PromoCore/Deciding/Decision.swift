/// What the engine decided for one request: the offers given with their amounts and allocation to
/// lines, the new totals, why every other candidate was not given, and the model outputs used.
/// Amounts are minor units of `currency`.
public struct Decision: Sendable {
    public var decisionID: String
    public var rulesDigest: String
    public var time: Int64
    public var currency: String
    public var subtotal: Int64
    public var discount: Int64
    public var shipping: Int64
    public var shippingDiscount: Int64
    public var total: Int64
    public var gifts: [GiftLine]
    public var nudges: [OfferNudge]
    /// Offers the index ruled out without evaluating them.
    public var offersNotConsidered: Int
    /// Set when the request was refused (outside `Engine.Limits`); nothing is given then.
    public var problem: String? = nil

    /// The engine keeps what it gave, why offers were not given and the outputs it read as
    /// numbers (`parts`); the public forms below are built from them when read (or replace them
    /// when set or decoded). (A `let`: a decision's init assigning an optional reference held in a
    /// `var` built the decision twice, copying one out and destroying the other, about 500
    /// instructions per decision.)
    let parts: DecisionParts?
    private var setRejected: [RejectedOffer]?
    private var setOutputs: [UsedOutput]?
    private var setChosen: [ChosenOffer]?
    private var setLines: [DecidedLine]?

    /// An offer given, by its position in the rule set.
    struct Given: Sendable, Hashable, BitwiseCopyable {
        var offer: Int
        var discount: Int64
        var shippingDiscount: Int64
        var giftQuantity: Int?
        var score: Double
        var pWithOffer: Double
        var pWithout: Double
    }

    init(
        decisionID: String, rulesDigest: String, time: Int64, currency: String, chosen: [ChosenOffer],
        lines: [DecidedLine], subtotal: Int64, discount: Int64, shipping: Int64, shippingDiscount: Int64, total: Int64,
        gifts: [GiftLine], nudges: [OfferNudge], offersNotConsidered: Int
    ) {
        self.decisionID = decisionID
        self.rulesDigest = rulesDigest
        self.time = time
        self.currency = currency
        if !chosen.isEmpty { self.setChosen = chosen }
        if !lines.isEmpty { self.setLines = lines }
        self.subtotal = subtotal
        self.discount = discount
        self.shipping = shipping
        self.shippingDiscount = shippingDiscount
        self.total = total
        self.gifts = gifts
        self.nudges = nudges
        self.offersNotConsidered = offersNotConsidered
        self.parts = nil
    }

    /// The engine's decision: what it gave and why not kept as numbers (`parts`), named when read.
    init(
        _ request: DecisionRequest, _ rules: RuleSet, subtotal: Int64, shippingDiscount: Int64, gifts: [GiftLine],
        nudges: [OfferNudge], offersNotConsidered: Int, parts: DecisionParts
    ) {
        var discount: Int64 = 0
        for g in parts.given { discount += g.discount }
        let shipping = request.cart.shipping
        self.decisionID = request.decisionID
        self.rulesDigest = rules.digest
        self.time = request.time
        self.currency = rules.currency
        self.subtotal = subtotal
        self.discount = discount
        self.shipping = shipping
        self.shippingDiscount = shippingDiscount
        self.total = subtotal - discount + shipping - shippingDiscount
        self.gifts = gifts
        self.nudges = nudges
        self.offersNotConsidered = offersNotConsidered
        self.parts = parts
    }

    /// The offers given, with their amounts and allocation to lines.
    public var chosen: [ChosenOffer] {
        get {
            if let setChosen { return setChosen }
            guard let parts, !parts.given.isEmpty else { return [] }
            let (names, cartLines, allocations) = (parts.names, parts.cartLines, parts.allocations)
            let n = cartLines.count
            return parts.given.enumerated().map { k, g in
                let o = g.offer
                var allocation: [LineAmount] = []
                for i in 0..<n where allocations[k * n + i] > 0 {
                    allocation.append(LineAmount(line: cartLines[i].id, amount: allocations[k * n + i]))
                }
                return ChosenOffer(
                    campaign: names.campaigns[names.offerCampaign[o]], offer: names.offerIDs[o], kind: names.kinds[o],
                    title: names.titles[o],
                    discount: g.discount, shippingDiscount: g.shippingDiscount,
                    gift: g.giftQuantity.flatMap { names.gift(o, quantity: $0) },
                    allocation: allocation, score: g.score, pWithOffer: g.pWithOffer, pWithout: g.pWithout)
            }
        }
        set { setChosen = newValue }
    }

    /// The cart's lines in canonical order (by line id, then sku), with their discounts.
    public var lines: [DecidedLine] {
        get {
            if let setLines { return setLines }
            guard let parts else { return [] }
            let (given, allocations) = (parts.given, parts.allocations)
            let n = parts.cartLines.count
            return parts.cartLines.enumerated().map { i, l in
                let quantity = max(0, l.quantity)
                let amount = max(0, l.unitPrice) * Int64(quantity)
                var discount: Int64 = 0
                for k in given.indices { discount += allocations[k * n + i] }
                return DecidedLine(
                    id: l.id, sku: l.sku, quantity: quantity, unitPrice: max(0, l.unitPrice), amount: amount,
                    discount: discount, total: amount - discount)
            }
        }
        set { setLines = newValue }
    }

    /// Why every other candidate was not given, by campaign and offer id.
    public var rejected: [RejectedOffer] {
        get {
            if let setRejected { return setRejected }
            guard let parts else { return [] }
            return parts.rejections.map(parts.names.rejected)
        }
        set { setRejected = newValue }
    }

    /// Every model output the decision asked for, with its value and whether a rule read it missing.
    public var modelOutputs: [UsedOutput] {
        get { setOutputs ?? parts.map { $0.record.used(skus: $0.cartLines.map(\.sku)) } ?? [] }
        set { setOutputs = newValue }
    }

    /// What was given and what it comes to, without the reasons: equal for equivalent decisions.
    public var outcome: Outcome {
        Outcome(
            chosen: chosen.map { "\($0.campaign)/\($0.offer)=\($0.discount)+\($0.shippingDiscount)" },
            lines: lines.map { "\($0.id):\($0.discount)" }, total: total, gifts: gifts)
    }

    public struct Outcome: Hashable, Sendable {
        public var chosen: [String]
        public var lines: [String]
        public var total: Int64
        public var gifts: [GiftLine]
    }
}

extension Decision: Codable, Hashable {
    enum CodingKeys: String, CodingKey {
        case decisionID, rulesDigest, time, currency, chosen, rejected, lines, subtotal, discount, shipping,
            shippingDiscount, total, gifts, nudges, modelOutputs, offersNotConsidered, problem
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            decisionID: try c.decode(String.self, forKey: .decisionID),
            rulesDigest: try c.decode(String.self, forKey: .rulesDigest), time: try c.decode(Int64.self, forKey: .time),
            currency: try c.decode(String.self, forKey: .currency),
            chosen: try c.decode([ChosenOffer].self, forKey: .chosen),
            lines: try c.decode([DecidedLine].self, forKey: .lines),
            subtotal: try c.decode(Int64.self, forKey: .subtotal),
            discount: try c.decode(Int64.self, forKey: .discount),
            shipping: try c.decode(Int64.self, forKey: .shipping),
            shippingDiscount: try c.decode(Int64.self, forKey: .shippingDiscount),
            total: try c.decode(Int64.self, forKey: .total), gifts: try c.decode([GiftLine].self, forKey: .gifts),
            nudges: try c.decode([OfferNudge].self, forKey: .nudges),
            offersNotConsidered: try c.decode(Int.self, forKey: .offersNotConsidered))
        problem = try c.decodeIfPresent(String.self, forKey: .problem)
        rejected = try c.decode([RejectedOffer].self, forKey: .rejected)
        modelOutputs = try c.decode([UsedOutput].self, forKey: .modelOutputs)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(decisionID, forKey: .decisionID)
        try c.encode(rulesDigest, forKey: .rulesDigest)
        try c.encode(time, forKey: .time)
        try c.encode(currency, forKey: .currency)
        try c.encode(chosen, forKey: .chosen)
        try c.encode(rejected, forKey: .rejected)
        try c.encode(lines, forKey: .lines)
        try c.encode(subtotal, forKey: .subtotal)
        try c.encode(discount, forKey: .discount)
        try c.encode(shipping, forKey: .shipping)
        try c.encode(shippingDiscount, forKey: .shippingDiscount)
        try c.encode(total, forKey: .total)
        try c.encode(gifts, forKey: .gifts)
        try c.encode(nudges, forKey: .nudges)
        try c.encode(modelOutputs, forKey: .modelOutputs)
        try c.encode(offersNotConsidered, forKey: .offersNotConsidered)
        try c.encodeIfPresent(problem, forKey: .problem)
    }

    /// Equal when every public field is.
    public static func == (a: Decision, b: Decision) -> Bool {
        a.decisionID == b.decisionID && a.rulesDigest == b.rulesDigest && a.time == b.time && a.currency == b.currency
            && a.chosen == b.chosen && a.lines == b.lines && a.subtotal == b.subtotal && a.discount == b.discount
            && a.shipping == b.shipping && a.shippingDiscount == b.shippingDiscount && a.total == b.total
            && a.gifts == b.gifts && a.nudges == b.nudges && a.offersNotConsidered == b.offersNotConsidered
            && a.problem == b.problem && a.rejected == b.rejected && a.modelOutputs == b.modelOutputs
    }

    public func hash(into h: inout Hasher) {
        h.combine(decisionID)
        h.combine(rulesDigest)
        h.combine(chosen)
        h.combine(lines)
        h.combine(total)
        h.combine(rejected)
    }
}

/// What the engine keeps of a decision as numbers: the offers given with their line discounts,
/// the cart's lines in canonical order, why the other offers were not given and the model
/// outputs asked for. One object, so that a decision holds it by one reference; the engine
/// refills its buffers for a later decision only once no decision holds it (never while one does).
final class DecisionParts: @unchecked Sendable {
    let names: RuleNames
    /// Per offer given, its line discounts at `allocations[k * lines ..< (k + 1) * lines]` (a
    /// line's discount is their sum).
    /// (Scratch buffers: refilling an array costs its uniqueness checks and a subrange
    /// replacement to empty it; these are this object's own, freed with it.)
    @exclusivity(unchecked) var given = Scratch<Decision.Given>(capacity: 4)
    @exclusivity(unchecked) var allocations = Scratch<Int64>(capacity: 64)
    @exclusivity(unchecked) var cartLines: [CartLine] = []
    @exclusivity(unchecked) var rejections = Scratch<Rejection>(capacity: 32)
    @exclusivity(unchecked) var record = ModelRecord()

    init(names: RuleNames) { self.names = names }

    deinit {
        given.free()
        allocations.free()
        rejections.free()
    }
}

/// The model outputs a decision asked for, as the batches and answers themselves. A batch's
/// items are the decision's cart lines in canonical order (`DecisionParts.cartLines`).
struct ModelRecord: Sendable {
    /// One batch asked of the models: its calls and their model slots, where its values start in
    /// `values`, and its faults and versions.
    struct Entry: Sendable {
        var shape: Frame.BatchShape
        var at: Int
        var notes: ModelAnswer.Notes
    }

    var customerID = ""
    var entries: [Entry] = []
    /// Every batch's values, call by call, one per item for a call per item, else one.
    var values = ModelValues()
    /// (batch, call, row) of outputs a rule read while they were missing.
    var readMissing: [Int] = []

    /// Notes which gathered outputs rules read while missing (from the frame's marks).
    mutating func noteMissingReads(_ f: Frame) {
        guard f.anyMissingRead else { return }
        for (b, entry) in entries.enumerated() {
            for (c, s) in entry.shape.slots.enumerated() {
                for row in 0..<entry.shape.calls[c].rows(items: f.lines.count)
                where f.missingReads[s * f.stride + row] {
                    readMissing.append((b << 40) | (c << 20) | row)
                }
            }
        }
    }

    /// The outputs, for the items `skus`.
    func used(skus: [String]) -> [UsedOutput] {
        var out: [UsedOutput] = []
        let missing = Set(readMissing)
        for (b, entry) in entries.enumerated() {
            let faults = entry.notes.faults
            let versions = entry.notes.versions
            var k = entry.at
            for (c, call) in entry.shape.calls.enumerated() {
                let fault = c < faults.count ? faults[c] : nil
                let version = c < versions.count ? versions[c] : nil
                for row in 0..<call.rows(items: skus.count) {
                    out.append(
                        UsedOutput(
                            plugin: call.plugin, function: call.function,
                            customer: call.perCustomer ? customerID : nil, sku: call.perItem ? skus[row] : nil,
                            arguments: call.arguments, value: values[k],
                            missingWhenRead: missing.contains((b << 40) | (c << 20) | row), modelVersion: version,
                            fault: fault))
                    k += 1
                }
            }
        }
        return out
    }
}

public struct ChosenOffer: Sendable, Hashable, Codable {
    public var campaign: String
    public var offer: String
    public var kind: String
    public var title: String
    public var discount: Int64
    public var shippingDiscount: Int64
    public var gift: GiftLine?
    public var allocation: [LineAmount]
    /// Expected incremental profit (minor units, weighted) and the probabilities behind it.
    public var score: Double
    public var pWithOffer: Double
    public var pWithout: Double
}

public struct RejectedOffer: Sendable, Hashable, Codable {
    public var campaign: String
    public var offer: String
    public var kind: String
    public var reason: Reason
    public var detail: String
    public var score: Double?
}

public struct DecidedLine: Sendable, Hashable, Codable {
    public var id: String
    public var sku: String
    public var quantity: Int
    public var unitPrice: Int64
    public var amount: Int64
    public var discount: Int64
    public var total: Int64
}

public struct LineAmount: Sendable, Hashable, Codable {
    public var line: String
    public var amount: Int64

    public init(line: String, amount: Int64) {
        self.line = line
        self.amount = amount
    }
}

public struct GiftLine: Sendable, Hashable, Codable {
    public var sku: String
    public var quantity: Int
    public var campaign: String
    public var offer: String

    public init(sku: String, quantity: Int, campaign: String, offer: String) {
        self.sku = sku
        self.quantity = quantity
        self.campaign = campaign
        self.offer = offer
    }
}

public struct OfferNudge: Sendable, Hashable, Codable {
    public var campaign: String
    public var offer: String
    public var nudge: Nudge
}

/// A model output a decision read, so that it can be replayed without the model.
public struct UsedOutput: Sendable, Hashable, Codable {
    public var plugin: String
    public var function: String
    public var customer: String?
    public var sku: String?
    public var arguments: [Value]
    /// The value, or nil when it was missing.
    public var value: Value?
    /// Whether a rule read it while it was missing (its offer then followed `on_missing`).
    public var missingWhenRead: Bool
    /// The model version that answered, when the outputs told it.
    public var modelVersion: String?
    /// Why the value is missing when its plugin failed: `deadline: ...`, `crashed: ...`.
    public var fault: String?
}
