import PromoCore
import PromoDSL
import PropertyBased
import Testing

/// The engine's 64-bit fast paths for rounding and allocation agree with straightforward 128-bit
/// arithmetic, at small amounts (the fast path) and at amounts near the limits (the slow path).
@Suite struct ArithmeticPropertyTests {
    /// `amount x percent / 10^6`, rounded, in 128 bits.
    static func reference(_ percent: Int64, _ amount: Int64, _ mode: RoundingMode) -> Int64? {
        Int64(exactly: Rounding.divide(Int128(amount) * Int128(percent), by: 1_000_000, mode))
    }

    /// Largest remainder in 128 bits: floors, then one unit each to the largest remainders, ties by id.
    static func reference(_ total: Int64, _ weights: [Int64], _ ids: [String]) -> [Int64] {
        let sum = weights.reduce(Int128(0)) { $0 + Int128(max(0, $1)) }
        guard total > 0, sum > 0 else { return weights.map { _ in 0 } }
        var parts = weights.map { w in w > 0 ? Int64(Int128(total) * Int128(w) / sum) : 0 }
        let order = weights.indices.filter { weights[$0] > 0 }.sorted {
            let a = Int128(total) * Int128(weights[$0]) % sum
            let b = Int128(total) * Int128(weights[$1]) % sum
            return (a, ids[$1], $1) > (b, ids[$0], $0)
        }
        var left = total - parts.reduce(0, +)
        var k = 0
        while left > 0 {
            parts[order[k]] += 1
            left -= 1
            k += 1
        }
        return parts
    }

    static let modes: [RoundingMode] = [.halfUp, .halfEven, .halfDown, .up, .down]

    @Test func percentOfAnAmountMatchesTheReference() async {
        let gen = Gen.int(in: 0...Int(Int32.max))
        await propertyCheck(count: 2_000, input: gen) { seed in
            var rng = Xorshift(UInt64(seed) + 1)
            let big = rng.next() % 4 == 0
            let amount = Int64(rng.next() % (big ? 100_000_000_000 : 1_000_000))
            // Half the cases land on exact halves, where the rounding modes differ.
            let halves: [Int64] = [500_000, 250_000, 125_000, 50_000, 5_000]
            let percent = rng.next() % 2 == 0 ? halves[Int(rng.next() % 5)] : Int64(rng.next() % 1_000_001)
            let mode = Self.modes[Int(rng.next() % 5)]
            #expect(Rounding.apply(percent, to: amount, mode) == Self.reference(percent, amount, mode))
        }
    }

    @Test func allocationMatchesTheReference() async {
        let gen = Gen.int(in: 0...Int(Int32.max))
        await propertyCheck(count: 2_000, input: gen) { seed in
            var rng = Xorshift(UInt64(seed) + 1)
            let big = rng.next() % 4 == 0
            let n = Int(rng.next() % 8) + 1
            // Half the cases use few distinct weights, so that remainders tie and ids decide.
            let ties = rng.next() % 2 == 0
            let weights = (0..<n).map { _ in
                ties
                    ? Int64(rng.next() % 3 + 1) * 100
                    : Int64(rng.next() % (big ? 100_000_000_000_000 : 50_000)) - (big ? 0 : 500)
            }
            let ids = (0..<n).map { _ in ["a", "b", "c"][Int(rng.next() % 3)] }
            let positive = weights.reduce(Int64(0)) { $0 + max(0, $1) }
            let total = positive == 0 ? 0 : Int64(rng.next() % UInt64(positive + 1))
            #expect(
                Allocation.largestRemainder(total, weights: weights, ids: ids) == Self.reference(total, weights, ids),
                "total \(total) weights \(weights) ids \(ids)")
        }
    }

    /// Weights whose sum passes 64 bits (no decision has them, the public function may): the
    /// split is still exact.
    @Test func allocationOfWeightsSummingPastSixtyFourBits() async {
        let gen = Gen.int(in: 0...Int(Int32.max))
        await propertyCheck(count: 500, input: gen) { seed in
            var rng = Xorshift(UInt64(seed) + 1)
            let n = Int(rng.next() % 6) + 2
            let weights = (0..<n).map { _ in Int64(rng.next() % UInt64(Int64.max / 3)) + Int64.max / 3 }
            let ids = (0..<n).map { _ in ["a", "b", "c"][Int(rng.next() % 3)] }
            let total = Int64(rng.next() % UInt64(Int64.max))
            #expect(
                Allocation.largestRemainder(total, weights: weights, ids: ids) == Self.reference(total, weights, ids),
                "total \(total) weights \(weights) ids \(ids)")
        }
    }
}

/// A small deterministic generator for the parts of a case.
struct Xorshift {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}
