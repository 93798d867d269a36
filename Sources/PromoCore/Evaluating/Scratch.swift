/// A growable buffer of plain values owned by a `Frame` (or a decision's parts), reused from one
/// decision to the next: appends and reads do no uniqueness check and no reference counting. A
/// copy shares the memory, so a copy is only valid until the owner grows it; the owner frees it
/// (`free()`).
struct Scratch<Element: BitwiseCopyable>: RandomAccessCollection, MutableCollection {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 16) {
        self.capacity = Swift.max(1, capacity)
        base = .allocate(capacity: self.capacity)
    }

    /// `count` copies of `v`.
    init(repeating v: Element, count: Int) {
        self.init(capacity: count)
        append(v, times: count)
    }

    func free() { base.deallocate() }

    var startIndex: Int { 0 }
    var endIndex: Int { count }

    @inline(__always)
    subscript(i: Int) -> Element {
        get {
            assert(i >= 0 && i < count, "scratch index out of range")
            return base[i]
        }
        nonmutating set {
            assert(i >= 0 && i < count, "scratch index out of range")
            base[i] = newValue
        }
    }

    @inline(__always)
    mutating func append(_ v: Element) {
        if count == capacity { grow(to: capacity * 2) }
        base[count] = v
        count += 1
    }

    /// Appends `n` copies of `v`; returns where they start. (Inlined: the deciding path appends
    /// a few per offer, one per cart line each.)
    @inline(__always)
    @discardableResult
    mutating func append(_ v: Element, times n: Int) -> Int {
        let at = count
        reserveCapacity(count + n)
        var p = base + count
        for _ in 0..<n {
            p.initialize(to: v)
            p += 1
        }
        count += n
        return at
    }

    /// Makes room for `n` more elements, left as they are (the caller writes each before reading
    /// it); returns a pointer to the first, taken after the buffer grew (`base` read before this
    /// call may be stale), valid until it grows again.
    @discardableResult
    @inline(__always)
    mutating func appendUninitialized(_ n: Int) -> UnsafeMutablePointer<Element> {
        let at = count
        reserveCapacity(count + n)
        count += n
        return base + at
    }

    /// Appends the elements of `b`, copied as one block.
    mutating func append(contentsOf b: UnsafeBufferPointer<Element>) {
        guard let from = b.baseAddress, b.count > 0 else { return }
        reserveCapacity(count + b.count)
        (base + count).initialize(from: from, count: b.count)
        count += b.count
    }

    @inline(__always)
    mutating func reserveCapacity(_ n: Int) {
        if n > capacity { grow(to: Swift.max(capacity * 2, n)) }
    }

    mutating func removeAll(keepingCapacity: Bool = true) { count = 0 }

    /// Sorting and the other algorithms of `MutableCollection` work in place on the buffer
    /// instead of copying it into an array first.
    mutating func withContiguousMutableStorageIfAvailable<R>(
        _ body: (inout UnsafeMutableBufferPointer<Element>) throws -> R
    ) rethrows -> R? {
        var buffer = UnsafeMutableBufferPointer(start: base, count: count)
        return try body(&buffer)
    }

    func withContiguousStorageIfAvailable<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R? {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    mutating func removeLast(_ n: Int) {
        precondition(n <= count)
        count -= n
    }

    private mutating func grow(to n: Int) {
        let p = UnsafeMutablePointer<Element>.allocate(capacity: n)
        p.update(from: base, count: count)
        base.deallocate()
        base = p
        capacity = n
    }
}
