import Foundation

/// A fixed map from strings to their positions in a list, for look-ups on the deciding path
/// (cart skus, the channel, customer fields). ASCII strings, nearly all of them, are found in an
/// open-addressing table hashed with FNV-1a over their bytes, a fraction of the cost of a
/// `Dictionary`'s seeded SipHash; others go through a `Dictionary`. Equality is `String`'s
/// (canonical equivalence) either way: an ASCII string equals a key exactly when the key's
/// canonical composition (NFC) is the same bytes. Built once (rule set, catalog); read-only.
struct StringIndex: Sendable {
    /// A key whose NFC is ASCII (that NFC) and its position; -1 when the slot is empty. The key
    /// sits in the slot so that a look-up reads one place in memory.
    struct Slot: Sendable {
        var key: String
        var position: Int32
    }

    private let all: [String: Int32]
    private let table: [Slot]
    private let mask: Int

    /// Positions of `keys`; of equal strings the first is kept.
    init(_ keys: [String]) {
        var all: [String: Int32] = [:]
        all.reserveCapacity(keys.count)
        var fast: [(String, Int32)] = []
        fast.reserveCapacity(keys.count)
        for (i, k) in keys.enumerated() where all[k] == nil {
            all[k] = Int32(i)
            let nfc = Self.isASCII(k) ? k : k.precomposedStringWithCanonicalMapping
            if Self.isASCII(nfc) { fast.append((nfc, Int32(i))) }
        }
        var size = 16
        while size < fast.count * 2 { size *= 2 }
        var table = [Slot](repeating: Slot(key: "", position: -1), count: size)
        for (k, i) in fast {
            var slot = Int(truncatingIfNeeded: Self.hash(k).hash) & (size - 1)
            var duplicate = false
            while table[slot].position >= 0 {
                if table[slot].key == k { duplicate = true }
                slot = (slot + 1) & (size - 1)
            }
            if !duplicate { table[slot] = Slot(key: k, position: i) }
        }
        self.all = all
        self.table = table
        self.mask = size - 1
    }

    @inline(__always)
    subscript(_ s: String) -> Int32? {
        let (h, ascii) = Self.hash(s)
        guard ascii else { return all[s] }
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let i = table[slot].position
            if i < 0 { return nil }
            if table[slot].key == s { return i }
            slot = (slot + 1) & mask
        }
    }

    /// FNV-1a 64 of the UTF-8 bytes, finished with a multiply-xorshift so that the low bits mix;
    /// and whether every byte is ASCII.
    @inline(__always)
    static func hash(_ s: String) -> (hash: UInt64, ascii: Bool) {
        // The bytes in place (a native or small string); a copy made native only otherwise.
        if let r = s.utf8.withContiguousStorageIfAvailable({ hash(bytes: $0) }) { return r }  // (a literal is inlined)
        var s = s
        return s.withUTF8(hash(bytes:))
    }

    @inline(__always)
    private static func hash(bytes: UnsafeBufferPointer<UInt8>) -> (hash: UInt64, ascii: Bool) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var high: UInt8 = 0
        for b in bytes {
            h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3
            high |= b
        }
        h = (h ^ (h >> 29)) &* 0xbf58_476d_1ce4_e5b9
        return (h ^ (h >> 32), high < 0x80)
    }

    private static func isASCII(_ s: String) -> Bool { s.utf8.allSatisfy { $0 < 0x80 } }
}
