extension MutableCollection where Self: RandomAccessCollection, Index == Int {
    /// Sorts in place by `less`: by insertion when there are few elements (a decision's
    /// candidates or picks), where it costs a fraction of `sort(by:)` and is inlined with its
    /// comparison, so that no closure is called per comparison; by `sort(by:)` when there are
    /// many, for which insertion is quadratic. `less` must be a strict total order.
    @inline(__always)
    mutating func sortFew(by less: (Element, Element) -> Bool) {
        guard count <= 48 else { return sort(by: less) }
        let done: Void? = withContiguousMutableStorageIfAvailable { a in
            guard a.count > 1 else { return }
            for i in 1..<a.count {
                let v = a[i]
                var j = i
                while j > 0 && less(v, a[j - 1]) {
                    a[j] = a[j - 1]
                    j -= 1
                }
                a[j] = v
            }
        }
        if done == nil { sort(by: less) }
    }
}
