/// Splits an amount over parts in proportion to weights so the parts sum exactly to the whole:
/// each part gets the floor of its share, and the remaining minor units go one each to the
/// largest remainders, ties broken by line id (then position). Parts never exceed their weight
/// when the total does not exceed the weights' sum.
public enum Allocation {
    public static func largestRemainder(_ total: Int64, weights: [Int64], ids: [String]) -> [Int64] {
        let sum = weights.reduce(Int128(0)) { $0 + Int128(max(0, $1)) }
        guard total > 0, sum > 0 else { return Array(repeating: 0, count: weights.count) }
        var parts = [Int64](repeating: 0, count: weights.count)
        var remainders: [(remainder: Int128, id: String, index: Int)] = []
        var given: Int64 = 0
        for (i, w) in weights.enumerated() where w > 0 {
            let exact = Int128(total) * Int128(w)
            parts[i] = Int64(exact / sum)
            given += parts[i]
            remainders.append((exact % sum, ids[i], i))
        }
        remainders.sort { ($0.remainder, $1.id, $1.index) > ($1.remainder, $0.id, $0.index) }
        var left = total - given
        var k = 0
        while left > 0 && !remainders.isEmpty {
            parts[remainders[k % remainders.count].index] += 1
            left -= 1
            k += 1
        }
        return parts
    }
}
