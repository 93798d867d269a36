public import Foundation
public import PromoDSL

/// Everything needed to read, verify and replay one decision, recorded by the code path that
/// decided it. Versioned; its JSON form is described by `docs/trace-schema.json` (keys in
/// snake_case: encode with `DecisionTrace.encoder()`).
public struct DecisionTrace: Sendable, Codable, Hashable {
    public static let currentVersion = 1
    public static let engineVersion = "promo-engine 0.3.0"

    public var traceVersion: Int
    public var engineVersion: String
    public var decisionID: String
    /// Seconds since 1970, and the same instant as ISO 8601 in UTC.
    public var time: Int64
    public var timeText: String
    public var currency: String
    public var rulesDigest: String
    /// Every rules file with its SHA-256 (a replay can check it has the same rules), and the text
    /// of those the decision read (a report shows the rule a condition comes from).
    public var files: [TracedFile]
    /// The request as decided, after masking (`masked` lists the fields changed).
    public var request: TracedRequest
    public var masked: [MaskedField]
    /// The catalog entries the decision read: the cart's items and any gift.
    public var catalog: [CatalogItem]
    /// Every model output the decision asked for, with its value: a replay needs no model.
    public var modelOutputs: [TracedOutput]
    /// Per campaign the request reached: whether the customer was in its control group.
    public var holdouts: [String: Bool]
    /// Budget state of the campaigns with budgets, as the decision saw it.
    public var budgets: [TracedBudget]
    public var decision: Decision
    /// Every offer evaluated, chosen ones first, then by campaign and offer id.
    public var offers: [OfferTrace]
    /// Offers the index ruled out without evaluating them, with what they need: all of them up to
    /// `notConsideredLimit`, then only their count.
    public var notConsidered: [NotConsidered]
    public var notConsideredCount: Int
    public static let notConsideredLimit = 100

    /// JSON with snake_case keys, sorted; compact for storage, or indented for people.
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys]
        return e
    }

    /// Reads what `encoder()` writes (`decision_id` back to `decisionID`).
    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .custom { path in
            let key = path.last!.stringValue
            let parts = key.split(separator: "_")
            guard parts.count > 1 else { return AnyKey(key) }
            let camel = parts.enumerated().map { i, p in
                i == 0 ? String(p) : (p == "id" ? "ID" : p.prefix(1).uppercased() + p.dropFirst())
            }.joined()
            return AnyKey(camel)
        }
        return d
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

public struct TracedFile: Sendable, Codable, Hashable {
    public var path: String
    public var sha256: String
    /// The text, for the files the decision read (the workspace and the considered offers' files).
    public var text: String?
}

public struct TracedRequest: Sendable, Codable, Hashable {
    public var customer: Customer
    public var channel: String
    public var cart: Cart
}

public struct MaskedField: Sendable, Codable, Hashable {
    public var path: String
    /// `hash` or `erase`.
    public var how: String

    public init(path: String, how: String) {
        self.path = path
        self.how = how
    }
}

public struct TracedOutput: Sendable, Codable, Hashable {
    public var plugin: String
    public var modelVersion: String?
    public var function: String
    public var key: String
    public var customer: String?
    public var sku: String?
    public var arguments: [Value]
    public var value: Value?
    public var missingWhenRead: Bool
    /// Why the value is missing when the plugin failed (timed out, crashed, answered badly).
    public var fault: String?
}

public struct TracedBudget: Sendable, Codable, Hashable {
    public var campaign: String
    public var total: Int64?
    public var remaining: Int64?
    public var perCustomer: Int?
    public var customerCount: Int
}

public struct NotConsidered: Sendable, Codable, Hashable {
    public var campaign: String
    public var offer: String
    /// The condition the index found nothing for, e.g. `item.category in ["socks"]`.
    public var needs: String
    public var kind: String
    /// For spend thresholds: the first tier.
    public var firstTier: Int64?
}

/// One evaluated offer: what happened, and why.
public struct OfferTrace: Sendable, Codable, Hashable {
    public var campaign: String
    public var offer: String
    public var kind: String
    public var title: String
    public var group: String
    /// Where the offer is written.
    public var file: String
    public var line: Int
    /// `chosen`, or a `Reason` raw value.
    public var outcome: String
    /// One line a person can read: "outscored by spend-and-save/tier by 4.10 CNY expected profit".
    public var summary: String
    public var when: ConditionTrace?
    /// `applies_to` per cart line (absent when the offer has none or its `when` failed).
    public var appliesTo: [LineConditions]
    public var value: ValueTrace?
    public var arbitration: ArbitrationTrace?
    /// For chosen offers: the rules that decided it (`file:line: text`).
    public var determining: [String]
    public var nudge: Nudge?
    /// For offers that count items (bundles, buy X get Y): how many more the cart needs.
    public var needsItems: Int?
    /// The campaign's schedule bounds, seconds since 1970.
    public var startsAt: Int64?
    public var endsAt: Int64?
}

public struct LineConditions: Sendable, Codable, Hashable {
    public var line: String
    public var sku: String
    public var matched: Bool
    public var condition: ConditionTrace
}

/// A condition as evaluated: its text and place in the rules, its result, the values its
/// operands had, and its parts (those not evaluated because of short-circuiting marked so).
public struct ConditionTrace: Sendable, Codable, Hashable {
    public var text: String
    public var file: String
    public var line: Int
    public var column: Int
    /// `and`, `or`, `not`, a comparison (`==`, `>=`, `in`, ...), or `value`.
    public var op: String
    /// `true`, `false`, `unknown` (a missing output), `not_evaluated`, or `value` for an
    /// expression that is not a condition (its operands hold what it read and gave).
    public var result: String
    public var operands: [Operand]
    public var children: [ConditionTrace]

    public struct Operand: Sendable, Codable, Hashable {
        public var text: String
        public var value: Value?
    }
}

/// How an offer's value came about.
public struct ValueTrace: Sendable, Codable, Hashable {
    public var lines: [LineValue]
    /// Matching subtotal and tier, for spend thresholds.
    public var matchingSubtotal: Int64?
    public var tierSpend: Int64?
    public var notes: [String]
    public var discount: Int64
    public var shippingDiscount: Int64
    public var giftValue: Int64

    public struct LineValue: Sendable, Codable, Hashable {
        public var line: String
        /// The offer's value expression on this line, with the values it read (a model output,
        /// a clamp: the value before and after).
        public var expression: ConditionTrace?
        public var base: Int64
        public var unitDiscount: Int64
        public var units: Int
        public var discount: Int64
    }
}

public struct ArbitrationTrace: Sendable, Codable, Hashable {
    public var pWithOffer: Double
    public var pWithout: Double
    public var margin: Int64
    public var storeCost: Int64
    public var weight: Double
    public var expectedIncrementalProfit: Double
    /// 1 = highest among the eligible offers.
    public var rank: Int
}
