/// What the engine decided for one request: the offers given with their amounts and allocation to
/// lines, the new totals, why every other candidate was not given, and the model outputs used.
/// Amounts are minor units of `currency`.
public struct Decision: Sendable, Hashable, Codable {
    public var decisionID: String
    public var rulesDigest: String
    public var time: Int64
    public var currency: String
    public var chosen: [ChosenOffer]
    public var rejected: [RejectedOffer]
    public var lines: [DecidedLine]
    public var subtotal: Int64
    public var discount: Int64
    public var shipping: Int64
    public var shippingDiscount: Int64
    public var total: Int64
    public var gifts: [GiftLine]
    public var nudges: [OfferNudge]
    public var modelOutputs: [UsedOutput]
    /// Offers the index ruled out without evaluating them.
    public var offersNotConsidered: Int
    /// Set when the request was refused (outside `Engine.Limits`); nothing is given then.
    public var problem: String? = nil

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
}
