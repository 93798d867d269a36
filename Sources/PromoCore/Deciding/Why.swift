import PromoDSL

/// Why an offer was not given, as data: the values that explain it, turned into text only when
/// someone reads the decision (`RejectedOffer.detail`), never on the decision path.
enum Why: Sendable, Hashable, BitwiseCopyable {
    // Evaluation.
    case whenFalse
    case undecided(conditions: Bool)
    case missingOutput(conditions: Bool)
    case noMatchingItem
    case giftNotInCatalog
    case giftOutOfStock(stock: Int, needed: Int)
    case noShippingFee
    case overflowed
    case givesNothing
    case atMarginFloor
    case belowFirstTier(subtotal: Int64, first: Int64)
    case basketBelowFloor(off: Int64)
    case noCompleteBundle
    case bundleBelowFloor
    case needsItems(needed: Int, have: Int)
    case itemsBelowFloor
    // The campaign.
    case startsIn(seconds: Int64)
    case endedAgo(seconds: Int64)
    /// Bit d set: runs on day d (1 = Monday).
    case onlyOnDays(UInt8)
    case onlyHours(from: Int, to: Int)
    case controlGroup
    // Budgets.
    case budgetLeft(remaining: Int64, worth: Int64)
    case customerCap(used: Int, cap: Int)
    case reservationBudget(remaining: Int64)
    case reservationCap(used: Int, cap: Int)
    // Selection.
    case outscored(by: Int, margin: Double)
    case groupUsed(by: Int, group: Int)
    case exclusiveWins(Int)
    case exclusiveLoses(margin: Double)
    case overLimit
    case nothingLeft
}

/// One offer that was not given, as the decision keeps it.
struct Rejection: Sendable, Hashable, BitwiseCopyable {
    var offer: Int
    var reason: Reason
    var why: Why
    var score: Double?
    /// Found when its group stacked it on the prices left by earlier offers.
    var onDiscountedPrices = false
}

/// The names a decision's reasons refer to, shared by every decision of a rule set.
final class RuleNames: Sendable {
    let currency: String
    let campaigns: [String]
    /// Per offer: campaign index, id, kind.
    let offerCampaign: [Int]
    let offerIDs: [String]
    let kinds: [String]
    let groups: [String]
    let maxOffers: Int
    /// Per offer: the gift's sku, for gift offers.
    let giftSkus: [String?]
    /// Per offer: its title.
    let titles: [String]

    init(
        currency: String, campaigns: [String], offerCampaign: [Int], offerIDs: [String], kinds: [String],
        titles: [String], groups: [String], maxOffers: Int, giftSkus: [String?]
    ) {
        self.giftSkus = giftSkus
        self.titles = titles
        self.currency = currency
        self.campaigns = campaigns
        self.offerCampaign = offerCampaign
        self.offerIDs = offerIDs
        self.kinds = kinds
        self.groups = groups
        self.maxOffers = maxOffers
    }

    func money(_ m: Int64) -> String { Money(minorUnits: m, currency: currency).description }

    /// The gift line of a gift offer given `quantity` times (nil for other kinds).
    func gift(_ o: Int, quantity: Int) -> GiftLine? {
        giftSkus[o].map {
            GiftLine(sku: $0, quantity: quantity, campaign: campaigns[offerCampaign[o]], offer: offerIDs[o])
        }
    }

    /// `campaign/offer`.
    func name(_ o: Int) -> String { "\(campaigns[offerCampaign[o]])/\(offerIDs[o])" }

    func rejected(_ r: Rejection) -> RejectedOffer {
        RejectedOffer(
            campaign: campaigns[offerCampaign[r.offer]], offer: offerIDs[r.offer], kind: kinds[r.offer],
            reason: r.reason,
            detail: (r.onDiscountedPrices ? "on the discounted prices, " : "") + text(r.why, offer: r.offer),
            score: r.score)
    }

    static func span(_ seconds: Int64) -> String {
        if seconds >= 86_400 { return "\(seconds / 86_400) day\(seconds / 86_400 == 1 ? "" : "s")" }
        if seconds >= 3600 { return "\(seconds / 3600) h" }
        return "\(max(1, seconds / 60)) min"
    }

    func text(_ why: Why, offer: Int) -> String {
        switch why {
        case .whenFalse: return "its when condition is false"
        case .undecided(let conditions):
            return "\(conditions ? "its conditions" : "its when condition") could not be decided"
        case .missingOutput(let conditions):
            return conditions
                ? "its conditions need a model output that is missing"
                : "its when condition needs a model output that is missing"
        case .noMatchingItem: return "no item in the cart matches applies_to"
        case .giftNotInCatalog: return "gift \(giftSkus[offer] ?? "") is not in the catalog"
        case .giftOutOfStock(let stock, let needed):
            return "gift \(giftSkus[offer] ?? "") is out of stock (\(stock) left, \(needed) needed)"
        case .noShippingFee: return "the cart has no shipping fee"
        case .overflowed: return "an amount overflowed"
        case .givesNothing: return "it gives nothing on this cart"
        case .atMarginFloor: return "every matching item is at its margin floor"
        case .belowFirstTier(let subtotal, let first):
            return "the matching subtotal \(money(subtotal)) is below the first tier, \(money(first))"
        case .basketBelowFloor(let off): return "the basket's margin after \(money(off)) off would be below the floor"
        case .noCompleteBundle: return "the cart does not hold a complete bundle"
        case .bundleBelowFloor: return "the bundle's margin would be below the floor"
        case .needsItems(let needed, let have): return "needs \(needed) matching items; the cart has \(have)"
        case .itemsBelowFloor: return "the margin on the items would be below the floor"
        case .startsIn(let s): return "starts in \(Self.span(s))"
        case .endedAgo(let s): return "ended \(Self.span(s)) ago"
        case .onlyOnDays(let mask):
            let names = ["", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
            return "runs only on \((1...7).filter { mask & (1 << $0) != 0 }.map { names[$0] }.joined(separator: ", "))"
        case .onlyHours(let from, let to):
            func hm(_ m: Int) -> String {
                (m / 60 < 10 ? "0" : "") + "\(m / 60):" + (m % 60 < 10 ? "0" : "") + "\(m % 60)"
            }
            return "runs \(hm(from))-\(hm(to)) local time"
        case .controlGroup: return "the customer is in the campaign's control group"
        case .budgetLeft(let remaining, let worth):
            return "the campaign budget has \(money(max(0, remaining))) left; the offer is worth \(money(worth))"
        case .customerCap(let used, let cap):
            return "the customer already received this campaign \(used) of \(cap) times"
        case .reservationBudget(let remaining): return "the campaign budget has \(money(remaining)) left"
        case .reservationCap(let used, let cap): return "the customer already has \(used) of \(cap)"
        case .outscored(let w, let margin):
            return "outscored by \(name(w)) by \(money(Int64(margin.rounded()))) expected profit"
        case .groupUsed(let w, let g): return "\(name(w)) comes first in group \(groups[g])"
        case .exclusiveWins(let e): return "\(name(e)) is exclusive and scores higher"
        case .exclusiveLoses(let margin):
            return "exclusive, but the other offers together score \(money(Int64(margin.rounded()))) more"
        case .overLimit: return "over the limit of \(maxOffers) offers per customer; others score higher"
        case .nothingLeft: return "nothing is left to discount after the offers before it"
        }
    }
}
