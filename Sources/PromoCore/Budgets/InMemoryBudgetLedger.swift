import Synchronization

/// A `BudgetLedger` in memory, for one process (SQLite and PostgreSQL ledgers share budgets
/// between processes).
public final class InMemoryBudgetLedger: BudgetLedger {
    private struct Hold {
        var claim: BudgetClaim
        var expires: Int64
        var committed: Bool
    }

    private struct State {
        var holds: [String: [Hold]] = [:]  // by decision id
    }

    private let state = Mutex(State())

    public init() {}

    private static func live(_ h: Hold, _ now: Int64) -> Bool { h.committed || h.expires > now }

    public func view(campaigns: [String], customer: String, now: Int64, excludingDecision: String) -> BudgetView {
        state.withLock { s in
            var spent: [String: Int64] = [:]
            var counts: [String: Int] = [:]
            var totals: [String: Int64] = [:]
            for (decision, holds) in s.holds where decision != excludingDecision {
                for h in holds where Self.live(h, now) && campaigns.contains(h.claim.campaign) {
                    spent[h.claim.campaign, default: 0] += h.claim.amount
                    if let t = h.claim.total { totals[h.claim.campaign] = t }
                    if h.claim.customer == customer { counts[h.claim.campaign, default: 0] += 1 }
                }
            }
            var remaining: [String: Int64] = [:]
            for (c, t) in totals { remaining[c] = t - (spent[c] ?? 0) }
            return BudgetView(remaining: remaining, customerCounts: counts)
        }
    }

    public func reserve(decision: String, claims: [BudgetClaim], now: Int64, ttl: Int64) -> [String: BudgetRefusal] {
        state.withLock { s in
            // Idempotent: a decision's live holds are kept; only new campaigns are checked.
            var holds = (s.holds[decision] ?? []).filter { Self.live($0, now) }
            var refusals: [String: BudgetRefusal] = [:]
            for claim in claims where !holds.contains(where: { $0.claim.campaign == claim.campaign }) {
                var spent: Int64 = 0
                var count = 0
                for (d, other) in s.holds where d != decision {
                    for h in other where Self.live(h, now) && h.claim.campaign == claim.campaign {
                        spent += h.claim.amount
                        if h.claim.customer == claim.customer { count += 1 }
                    }
                }
                if let total = claim.total, spent + claim.amount > total {
                    refusals[claim.campaign] = .budgetExhausted(remaining: total - spent)
                } else if let cap = claim.perCustomer, count >= cap {
                    refusals[claim.campaign] = .customerCap(used: count, cap: cap)
                } else {
                    holds.append(Hold(claim: claim, expires: now + ttl, committed: false))
                }
            }
            s.holds[decision] = holds
            return refusals
        }
    }

    public func commit(decision: String, now: Int64) -> Bool {
        state.withLock { s in
            guard var holds = s.holds[decision], holds.contains(where: { Self.live($0, now) }) else { return false }
            holds = holds.filter { Self.live($0, now) }.map {
                var h = $0
                h.committed = true
                return h
            }
            s.holds[decision] = holds
            return true
        }
    }

    public func release(decision: String) -> Bool {
        state.withLock { s in
            guard let holds = s.holds[decision], !holds.contains(where: \.committed) else { return false }
            s.holds[decision] = nil
            return true
        }
    }
}
