extension UInt64 {
    /// Calls `body` with the position of each bit set, lowest first (lines of a cart as bits).
    @inline(__always)
    func forEachBit(_ body: (Int) -> Void) {
        var bits = self
        while bits != 0 {
            let i = bits.trailingZeroBitCount
            bits &= bits &- 1
            body(i)
        }
    }

    /// The lowest `n` bits set (`n` at most 64).
    @inline(__always)
    static func lowest(_ n: Int) -> UInt64 { n >= 64 ? ~0 : (1 << UInt64(n)) &- 1 }
}
