/// Strings as small integers. The rule set interns every text literal when it compiles; the engine
/// extends the table with the catalog's categories, brands, skus and tags; a decision interns the
/// few other strings it meets (channel, customer fields, model outputs) in its own overflow. Two
/// strings are equal exactly when their symbols are, so conditions compare integers.
final class SymbolTable: Sendable {
    let ids: StringIndex
    let strings: [String]

    init(_ strings: [String]) {
        var seen: Set<String> = []
        var unique: [String] = []
        for s in strings where seen.insert(s).inserted { unique.append(s) }
        self.ids = StringIndex(unique)
        self.strings = unique
    }

    /// This table with more strings; existing symbols keep their numbers.
    func extended(with more: some Sequence<String>) -> SymbolTable {
        SymbolTable(strings + more)
    }

    var count: Int { strings.count }
}

/// Collects symbols while a rule set compiles.
struct SymbolBuilder {
    private(set) var ids: [String: Int32] = ["": 0]
    private(set) var strings: [String] = [""]

    mutating func intern(_ s: String) -> Int32 {
        if let id = ids[s] { return id }
        ids[s] = Int32(strings.count)
        strings.append(s)
        return Int32(strings.count - 1)
    }
}
