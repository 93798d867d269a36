import Foundation

/// SplitMix64: small, fast, and the same sequence on every platform.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// An index drawn with probability proportional to its weight.
    public mutating func pick(weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        var x = unit() * total
        for (i, w) in weights.enumerated() {
            if x < w { return i }
            x -= w
        }
        return weights.count - 1
    }

    /// A standard normal draw (Box-Muller, one of the pair).
    public mutating func gaussian() -> Double {
        let u1 = max(unit(), 1e-12)
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * unit())
    }

    /// A gamma(shape, 1) draw (Marsaglia and Tsang; boosted for shape below 1).
    public mutating func gamma(_ shape: Double) -> Double {
        if shape < 1 { return gamma(shape + 1) * pow(max(unit(), 1e-300), 1 / shape) }
        let d = shape - 1 / 3
        let c = 1 / (9 * d).squareRoot()
        while true {
            let z = gaussian()
            let v = pow(1 + c * z, 3)
            if v > 0, log(max(unit(), 1e-300)) < 0.5 * z * z + d - d * v + d * log(v) { return d * v }
        }
    }

    /// Knuth's method for small means, a rounded normal approximation above 30.
    public mutating func poisson(_ mean: Double) -> Int {
        guard mean > 0 else { return 0 }
        if mean > 30 {
            return max(0, Int((mean + gaussian() * mean.squareRoot()).rounded()))
        }
        let l = exp(-mean)
        var k = 0
        var p = 1.0
        repeat {
            k += 1
            p *= unit()
        } while p > l
        return k - 1
    }
}
