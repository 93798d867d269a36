/// Each customer's order history in a few numbers, as of the store's last order: what the
/// profiler and the uplift learner describe customers by.
///
/// ```swift
/// let h = CustomerHistory(store)
/// h.customers["c-1001"]?.recencyDays
/// ```
public struct CustomerHistory: Sendable {
    public struct Summary: Sendable, Hashable {
        /// Days from the first and the last order to `asOf`.
        public var tenureDays: Double
        public var recencyDays: Double
        /// Distinct orders and spend (minor units, after discounts) in the 365 days to `asOf`.
        public var ordersLastYear: Int
        public var spendLastYear: Int64
        /// Order lines, and those bought on promotion (a promotion id or a discount), all time.
        public var lines: Int
        public var promotedLines: Int

        public var promotedShare: Double { Double(promotedLines) / Double(max(1, lines)) }
    }

    /// The last order's time (seconds since 1970); 0 for a store without orders.
    public var asOf: Int64
    /// Customers with at least one order.
    public var customers: [String: Summary]

    public init(_ store: StoreData) {
        asOf = store.orders.map(\.time).max() ?? 0
        let yearAgo = asOf - 365 * 86_400
        var first: [String: Int64] = [:]
        var last: [String: Int64] = [:]
        var orders: [String: Set<String>] = [:]
        var spend: [String: Int64] = [:]
        var lines: [String: Int] = [:]
        var promoted: [String: Int] = [:]
        for o in store.orders {
            let c = o.customerID
            first[c] = min(first[c] ?? .max, o.time)
            last[c] = max(last[c] ?? .min, o.time)
            if o.time > yearAgo {
                orders[c, default: []].insert(o.orderID)
                spend[c, default: 0] += o.unitPrice * Int64(o.quantity) - o.discount
            }
            lines[c, default: 0] += 1
            if o.promotionID != nil || o.discount > 0 { promoted[c, default: 0] += 1 }
        }
        var out: [String: Summary] = [:]
        for (c, f) in first {
            out[c] = Summary(
                tenureDays: Double(asOf - f) / 86_400, recencyDays: Double(asOf - last[c]!) / 86_400,
                ordersLastYear: orders[c]?.count ?? 0, spendLastYear: spend[c] ?? 0, lines: lines[c] ?? 0,
                promotedLines: promoted[c] ?? 0)
        }
        customers = out
    }
}
