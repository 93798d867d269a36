/// `rules/promo.yaml`: settings shared by every campaign.
///
/// ```yaml
/// promo: 1
/// currency: CNY
/// rounding: half_up
/// stacking:
///   seasonal: { mode: best, base: original }
/// arbitration: { objective: incremental_profit, max_offers_per_customer: 3 }
/// models: { forecast: demand-forecast }
/// ```
public struct Workspace: Sendable, Hashable {
    public var file: String
    public var version: Int
    public var currency: String
    public var rounding: RoundingMode
    public var groups: [StackingGroup]
    public var arbitration: Arbitration
    /// Role → plugin name, with where it was written.
    public var models: [ModelBinding]
    /// What decision traces may hold.
    public var trace = TraceSettings()
}

/// `trace:` in promo.yaml: traces hash the customer id with `salt` and erase every other customer
/// field not in `keep`.
public struct TraceSettings: Sendable, Hashable {
    public var salt = ""
    public var keep: [String] = []

    public init(salt: String = "", keep: [String] = []) {
        self.salt = salt
        self.keep = keep
    }

    /// The customer fields a request carries; none leaves the engine raw unless kept.
    public static let personalFields = [
        "customer.id", "customer.is_employee", "customer.tier", "customer.country", "customer.tags",
        "customer.orders", "customer.lifetime_value", "customer.first_order_at", "customer.last_order_at",
    ]
}

/// How amounts are rounded to the minor unit.
public enum RoundingMode: String, Sendable, Hashable, CaseIterable {
    case halfUp = "half_up"
    case halfEven = "half_even"
    case halfDown = "half_down"
    case up
    case down
}

/// A stacking group: how offers in it combine.
public struct StackingGroup: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        /// Only the highest-valued eligible offer.
        case best
        /// Every eligible offer, in priority order.
        case stack
        /// The first eligible offer by priority.
        case first
    }

    public enum Base: String, Sendable, Hashable, CaseIterable {
        /// Discounts computed on list prices.
        case original
        /// Each discount computed on the price left by the ones before it.
        case discounted
    }

    public var name: String
    public var mode: Mode
    public var base: Base
    public var span: SourceSpan
}

/// How eligible offers are ranked and limited.
public struct Arbitration: Sendable, Hashable {
    public enum Objective: String, Sendable, Hashable, CaseIterable {
        case incrementalProfit = "incremental_profit"
        case revenue
        case margin
    }

    public var objective: Objective
    public var maxOffersPerCustomer: Int
}

/// `models: { forecast: demand-forecast }`: which plugin serves a role.
public struct ModelBinding: Sendable, Hashable {
    public var role: String
    public var plugin: String
    public var span: SourceSpan
}
