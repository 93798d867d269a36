/// Splits an amount over parts in proportion to weights so the parts sum exactly to the whole:
/// each part gets the floor of its share, and the remaining minor units go one each to the
/// largest remainders, ties broken by line id (then position). Parts never exceed their weight
/// when the total does not exceed the weights' sum.
public enum Allocation {
    public static func largestRemainder(_ total: Int64, weights: [Int64], ids: [String]) -> [Int64] {
        // Positions in (id, position) order, so that ties by position below are ties by id.
        let order = weights.indices.sorted { (ids[$0], $0) < (ids[$1], $1) }
        var scratch: [(Int128, Int)] = []
        var parts = [Int64](repeating: 0, count: weights.count)
        var ordered = Scratch<Int64>(capacity: weights.count)
        defer { ordered.free() }
        for i in order { ordered.append(weights[i]) }
        largestRemainder(total, weights: ordered, scratch: &scratch) { k, part in
            parts[order[k]] = part
        }
        return parts
    }

    /// The same split with ties broken by position; writes the part of each positive weight
    /// through `write` (the others are zero, and the caller's parts start at zero). Allocates
    /// nothing once `scratch` has grown.
    static func largestRemainder(
        _ total: Int64, weights: Scratch<Int64>, scratch: inout [(Int128, Int)], write: (Int, Int64) -> Void
    ) {
        // Without branches (which weights are positive is data): in 64 bits, which hold any
        // sum of a decision's amounts (`Limits`), again in 128 when they do not.
        var narrow: Int64 = 0
        var overflowed: UInt8 = 0
        var positive = 0
        var last = 0
        for (i, w) in weights.enumerated() {
            let counted = w > 0
            let (s, o) = narrow.addingReportingOverflow(counted ? w : 0)
            narrow = s
            overflowed |= o ? 1 : 0
            positive &+= counted ? 1 : 0
            last = counted ? i : last
        }
        var sum = Int128(narrow)
        if overflowed != 0 {
            sum = 0
            for w in weights where w > 0 { sum += Int128(w) }
        }
        guard total > 0, sum > 0 else { return }
        // One part (an order-level offer met on one line, the usual case): it takes the whole.
        if positive == 1 {
            write(last, total)
            return
        }
        // Amounts of real carts fit 64 bits: no 128-bit division then.
        if sum < 1 << 31 && total < 1 << 31 {
            largestRemainder64(total, weights: weights, sum: Int64(sum), scratch: &scratch, write: write)
            return
        }
        scratch.removeAll(keepingCapacity: true)
        var given: Int64 = 0
        for (i, w) in weights.enumerated() {
            guard w > 0 else { continue }
            let exact = Int128(total) * Int128(w)
            let part = Int64(exact / sum)
            given += part
            scratch.append((exact % sum, i))
        }
        var left = total - given
        if left > 0 {
            scratch.sort { ($0.0, $1.1) > ($1.0, $0.1) }
        }
        // Each remainder is under one unit, so fewer units are left than parts: each of the
        // first `left` parts gets one, marked by a negative remainder.
        var k = 0
        while left > 0 {
            scratch[k].0 = -1 - scratch[k].0
            left -= 1
            k += 1
        }
        for (r, i) in scratch {
            let exact = Int128(total) * Int128(weights[i])
            write(i, Int64(exact / sum) + (r < 0 ? 1 : 0))
        }
    }

    private static func largestRemainder64(
        _ total: Int64, weights: Scratch<Int64>, sum: Int64, scratch: inout [(Int128, Int)],
        write: (Int, Int64) -> Void
    ) {
        scratch.removeAll(keepingCapacity: true)
        var given: Int64 = 0
        for (i, w) in weights.enumerated() {
            guard w > 0 else { continue }
            let exact = total * w
            given += exact / sum
            scratch.append((Int128(exact % sum), i))
        }
        var left = total - given
        if left > 0 { scratch.sort { ($0.0, $1.1) > ($1.0, $0.1) } }
        var k = 0
        while left > 0 {
            scratch[k].0 = -1 - scratch[k].0
            left -= 1
            k += 1
        }
        for (r, i) in scratch { write(i, total * weights[i] / sum + (r < 0 ? 1 : 0)) }
    }
}
