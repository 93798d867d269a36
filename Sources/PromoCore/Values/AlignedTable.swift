/// A read-only table of plain records on cache-line boundaries: with a 64-byte stride, reading
/// one record touches one line (a Swift array's elements start 32 bytes into its storage, so a
/// 64-byte record there straddles two). For per-offer records read at random by every decision;
/// as with `Scratch`, indices are checked in debug builds only (they come from the rule set).
final class AlignedTable<Element: BitwiseCopyable>: @unchecked Sendable {
    private let base: UnsafeMutablePointer<Element>
    let count: Int

    init(_ elements: [Element]) {
        count = elements.count
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: Swift.max(1, count) * MemoryLayout<Element>.stride, alignment: 64)
        base = raw.bindMemory(to: Element.self, capacity: Swift.max(1, count))
        elements.withUnsafeBufferPointer { b in
            if let from = b.baseAddress { base.initialize(from: from, count: count) }
        }
    }

    deinit { UnsafeMutableRawPointer(base).deallocate() }

    @inline(__always)
    subscript(i: Int) -> Element {
        assert(i >= 0 && i < count, "table index out of range")
        return base[i]
    }
}
