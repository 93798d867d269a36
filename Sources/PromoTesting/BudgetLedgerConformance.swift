public import PromoCore

/// The contract of `BudgetLedger`, as a reusable check any implementation (in memory, SQLite,
/// PostgreSQL) can run: `#expect(BudgetLedgerConformance.failures { MyLedger() }.isEmpty)`.
public enum BudgetLedgerConformance {
    /// Runs every check on fresh ledgers from `make`; returns what failed (empty when it conforms).
    public static func failures(_ make: () -> any BudgetLedger) -> [String] {
        var failed: [String] = []
        func check(_ ok: Bool, _ what: String) { if !ok { failed.append(what) } }
        let t: Int64 = 1_000_000
        func claim(_ customer: String, _ amount: Int64, total: Int64? = 100, cap: Int? = nil) -> BudgetClaim {
            BudgetClaim(campaign: "c", customer: customer, amount: amount, total: total, perCustomer: cap)
        }

        var ledger = make()
        check(
            ledger.reserve(decision: "d1", claims: [claim("a", 60)], now: t, ttl: 60).isEmpty,
            "a claim within the total is held")
        check(
            ledger.reserve(decision: "d2", claims: [claim("b", 50)], now: t, ttl: 60) == [
                "c": .budgetExhausted(remaining: 40)
            ],
            "a claim over what is left is refused with what is left")
        check(
            ledger.reserve(decision: "d1", claims: [claim("a", 60)], now: t, ttl: 60).isEmpty,
            "reserving again is idempotent")
        check(
            ledger.view(campaigns: ["c"], customer: "a", now: t, excludingDecision: "x").remaining["c"] == 40,
            "the view counts each hold once")
        check(
            (ledger.view(campaigns: ["c"], customer: "a", now: t, excludingDecision: "d1").remaining["c"] ?? 100)
                == 100,
            "the view leaves out the asking decision's own holds")
        check(
            ledger.reserve(decision: "d3", claims: [claim("b", 50)], now: t + 61, ttl: 60).isEmpty,
            "expired holds free their amount")
        check(!ledger.commit(decision: "d1", now: t + 61), "an expired hold cannot be committed")
        check(ledger.commit(decision: "d3", now: t + 62), "a live hold can be committed")
        check(!ledger.release(decision: "d3"), "a committed hold cannot be released")
        check(
            ledger.reserve(decision: "d4", claims: [claim("c", 60)], now: t + 10_000, ttl: 60) == [
                "c": .budgetExhausted(remaining: 50)
            ],
            "committed amounts never expire")
        check(!ledger.commit(decision: "unknown", now: t), "committing an unknown decision does nothing")

        ledger = make()
        check(
            ledger.reserve(decision: "e1", claims: [claim("a", 1, total: nil, cap: 1)], now: t, ttl: 60).isEmpty,
            "first offer to a customer")
        check(
            ledger.reserve(decision: "e2", claims: [claim("a", 1, total: nil, cap: 1)], now: t, ttl: 60) == [
                "c": .customerCap(used: 1, cap: 1)
            ],
            "the per-customer cap holds")
        check(
            ledger.reserve(decision: "e3", claims: [claim("b", 1, total: nil, cap: 1)], now: t, ttl: 60).isEmpty,
            "other customers are not capped")
        check(ledger.release(decision: "e1"), "a live hold can be released")
        check(
            ledger.reserve(decision: "e4", claims: [claim("a", 1, total: nil, cap: 1)], now: t, ttl: 60).isEmpty,
            "releasing frees the customer's count")
        return failed
    }
}
