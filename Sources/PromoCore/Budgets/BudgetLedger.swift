/// What the engine may still give, per campaign, when it decides.
public struct BudgetView: Sendable {
    /// Money left per campaign (minor units); absent means no money budget.
    public var remaining: [String: Int64]
    /// Offers of each campaign this customer already has (committed or reserved).
    public var customerCounts: [String: Int]

    public init(remaining: [String: Int64] = [:], customerCounts: [String: Int] = [:]) {
        self.remaining = remaining
        self.customerCounts = customerCounts
    }

    /// No money spent, no offers given yet.
    public static let fresh = BudgetView()
}

/// One campaign's share of a decision, to hold against its budget.
public struct BudgetClaim: Sendable, Hashable {
    public var campaign: String
    public var customer: String
    /// Minor units the offer gives away.
    public var amount: Int64
    /// The campaign's total budget (nil: none) and per-customer cap (nil: none).
    public var total: Int64?
    public var perCustomer: Int?

    public init(campaign: String, customer: String, amount: Int64, total: Int64?, perCustomer: Int?) {
        self.campaign = campaign
        self.customer = customer
        self.amount = amount
        self.total = total
        self.perCustomer = perCustomer
    }
}

/// Why a reservation was refused.
public enum BudgetRefusal: Error, Sendable, Hashable {
    case budgetExhausted(remaining: Int64)
    case customerCap(used: Int, cap: Int)
}

/// Budgets shared by decisions: reserve on decide (held for a time-to-live), then commit when the
/// order is placed or release when it is not. Every call is idempotent by decision id, so a retried
/// decision neither double-spends nor double-counts.
///
/// Contract for implementers: reserve never lets committed + live reservations exceed a campaign's
/// total, nor a customer's committed + reserved count exceed the per-customer cap; expired
/// reservations free their amount; commit of an unknown or expired decision is a no-op that
/// returns false. `PromoTesting` has a conformance test.
public protocol BudgetLedger: Sendable {
    /// What is left for these campaigns and this customer, not counting `excludingDecision`'s own holds.
    func view(campaigns: [String], customer: String, now: Int64, excludingDecision: String) -> BudgetView
    /// Holds every claim of a decision, all or nothing per claim; returns the refusals by campaign.
    func reserve(decision: String, claims: [BudgetClaim], now: Int64, ttl: Int64) -> [String: BudgetRefusal]
    @discardableResult func commit(decision: String, now: Int64) -> Bool
    @discardableResult func release(decision: String) -> Bool
}
