#if canImport(Glibc)
    import Glibc
#endif

/// A read-only table of plain records on cache-line boundaries: with a 64-byte stride, reading
/// one record touches one line (a Swift array's elements start 32 bytes into its storage, so a
/// 64-byte record there straddles two). For per-offer records read at random by every decision;
/// as with `Scratch`, indices are checked in debug builds only (they come from the rule set).
/// A table of 2 MiB or more (the catalog's, over a large catalog) is placed on 2 MiB boundaries
/// and, on Linux, asks for transparent huge pages: read at random, a table of 4 KiB pages costs
/// an address-translation miss per read besides the cache miss (16 MB is 4,096 pages, more than
/// the processor's translation cache holds).
final class AlignedTable<Element: BitwiseCopyable>: @unchecked Sendable {
    private let base: UnsafeMutablePointer<Element>
    let count: Int

    init(_ elements: [Element]) {
        count = elements.count
        let bytes = Swift.max(1, count) * MemoryLayout<Element>.stride
        let raw: UnsafeMutableRawPointer
        if bytes >= Self.hugePage {
            let rounded = (bytes + Self.hugePage - 1) / Self.hugePage * Self.hugePage
            raw = UnsafeMutableRawPointer.allocate(byteCount: rounded, alignment: Self.hugePage)
            #if os(Linux)
                _ = madvise(raw, rounded, MADV_HUGEPAGE)  // advice only: without it, 4 KiB pages
            #endif
        } else {
            raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        }
        base = raw.bindMemory(to: Element.self, capacity: Swift.max(1, count))
        elements.withUnsafeBufferPointer { b in
            if let from = b.baseAddress { base.initialize(from: from, count: count) }
        }
    }

    deinit { UnsafeMutableRawPointer(base).deallocate() }

    private static var hugePage: Int { 2 << 20 }

    @inline(__always)
    subscript(i: Int) -> Element {
        assert(i >= 0 && i < count, "table index out of range")
        return base[i]
    }
}
