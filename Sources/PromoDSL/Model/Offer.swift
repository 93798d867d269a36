/// One offer of a campaign, with its kind-specific terms.
public struct Offer: Sendable, Hashable {
    public var id: String
    public var idSpan: SourceSpan
    public var title: String?
    public var kind: OfferKind
    public var kindSpan: SourceSpan
    /// Which items the offer covers (item in scope). Nil: every item.
    public var appliesTo: Expr?
    /// Whether the offer is available to this customer and cart (no item in scope).
    public var when: Expr?
    public var marginFloor: PercentValue?
    public var maxDiscount: MoneyAmount?
    public var priority: Int
    public var onMissing: MissingOutputPolicy
    public var span: SourceSpan
}

/// The kinds of offer and their terms.
public enum OfferKind: Sendable, Hashable {
    /// A percentage off each matching item, at most `maxItems` units.
    case percentOff(percent: Expr, maxItems: Int?)
    /// An amount off each matching item.
    case amountOff(amount: Expr, maxItems: Int?)
    /// Matching items sold at a fixed price.
    case fixedPrice(price: Expr, maxItems: Int?)
    /// 满减: the highest tier reached on the matching subtotal.
    case spendThreshold(tiers: [Tier], nudgeWithin: MoneyAmount?)
    /// A set of items sold together for a price or a percentage off.
    case bundle(items: [BundleItem], price: MoneyAmount?, percent: PercentValue?, maxBundles: Int?)
    /// Buy `buy.quantity` of the buy set, get `get.quantity` of the get set at `percent` off.
    case buyXGetY(buy: ItemSet, get: ItemSet, percent: PercentValue, cheapestFirst: Bool, maxApplications: Int?)
    /// A free item, only while in stock.
    case gift(sku: String, quantity: Int)
    /// Shipping fee waived, up to `maxShipping`.
    case freeShipping(maxShipping: MoneyAmount?)

    public var name: String {
        switch self {
        case .percentOff: "percent_off"
        case .amountOff: "amount_off"
        case .fixedPrice: "fixed_price"
        case .spendThreshold: "spend_threshold"
        case .bundle: "bundle"
        case .buyXGetY: "buy_x_get_y"
        case .gift: "gift"
        case .freeShipping: "free_shipping"
        }
    }

    public static let names = [
        "percent_off", "amount_off", "fixed_price", "spend_threshold", "bundle", "buy_x_get_y", "gift", "free_shipping",
    ]
}

/// A spend threshold tier: spend at least `spend`, save `off` (money) or `percent`.
public struct Tier: Sendable, Hashable {
    public var spend: MoneyAmount
    public var off: MoneyAmount?
    public var percent: PercentValue?
    public var span: SourceSpan
}

/// A component of a bundle: a sku or a matching condition, and how many.
public struct BundleItem: Sendable, Hashable {
    public var sku: String?
    public var match: Expr?
    public var quantity: Int
}

/// The buy or get side of buy-X-get-Y.
public struct ItemSet: Sendable, Hashable {
    /// Items that count (item in scope); nil means the same set as `buy`, or every item.
    public var match: Expr?
    public var quantity: Int
}
