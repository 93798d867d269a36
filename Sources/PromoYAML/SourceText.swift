/// The decoded text of a YAML input, kept so that positions inside scalars (such as the tokens
/// of an expression) can be mapped back to the file, and so that diagnostics can quote lines.
public struct SourceText: Sendable, Hashable {
    /// The input's Unicode scalars, without a leading byte-order mark.
    public let scalars: [Unicode.Scalar]
    /// Index in `scalars` where each line starts; `lineStarts[0] == 0`.
    public let lineStarts: [Int]

    init(scalars: [Unicode.Scalar], lineStarts: [Int]) {
        self.scalars = scalars
        self.lineStarts = lineStarts
    }

    /// Decodes text that is already known to be valid (used for diagnostics on text that was read).
    public init(_ text: String) {
        var scalars: [Unicode.Scalar] = []
        var starts = [0]
        var previousWasCR = false
        for s in text.unicodeScalars {
            if previousWasCR && s != "\n" { starts.append(scalars.count) }
            scalars.append(s)
            previousWasCR = s == "\r"
            if s == "\n" || s == "\u{85}" || s == "\u{2028}" || s == "\u{2029}" { starts.append(scalars.count) }
        }
        if previousWasCR { starts.append(scalars.count) }
        self.scalars = scalars
        self.lineStarts = starts
    }

    /// Number of lines (a final line without a line break counts).
    public var lineCount: Int { lineStarts.count }

    /// The text of a 1-based line, without its line break; empty when out of range.
    public func line(_ number: Int) -> String {
        guard number >= 1, number <= lineStarts.count else { return "" }
        var end = number < lineStarts.count ? lineStarts[number] : scalars.count
        let start = lineStarts[number - 1]
        while end > start, Self.isBreak(scalars[end - 1]) { end -= 1 }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[start..<end])
        return String(view)
    }

    /// The index in `scalars` of a mark, clamped to the text.
    public func index(of mark: Mark) -> Int {
        guard !lineStarts.isEmpty else { return 0 }
        let line = min(max(mark.line, 1), lineStarts.count)
        return min(lineStarts[line - 1] + max(mark.column, 1) - 1, scalars.count)
    }

    /// The mark of an index in `scalars`.
    public func mark(ofIndex index: Int) -> Mark {
        var lo = 0
        var hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= index { lo = mid } else { hi = mid - 1 }
        }
        return Mark(line: lo + 1, column: index - lineStarts[lo] + 1)
    }

    /// For each Unicode scalar of a scalar node's value, the mark in the source where it was
    /// written, plus one more mark for the position just past the value.
    ///
    /// Works for every style: quotes, block headers, indentation and folded line breaks are
    /// skipped by aligning the value with the source text. An escaped character that cannot be
    /// aligned gets the mark of the nearest aligned one before it.
    public func valueMarks(of node: Node) -> [Mark] {
        guard let scalar = node.scalar else { return [node.start] }
        let startIndex = index(of: node.start)
        let endIndex = max(startIndex, index(of: node.end))
        var p = startIndex
        switch scalar.style {
        case .plain: break
        case .singleQuoted, .doubleQuoted: p += 1
        case .literal, .folded:
            while p < endIndex, !Self.isBreak(scalars[p]) { p += 1 }
            if p < endIndex { p += 1 }
        }
        var marks: [Mark] = []
        marks.reserveCapacity(scalar.value.unicodeScalars.count + 1)
        var lastMatched = p
        for c in scalar.value.unicodeScalars {
            var q = p
            while q < endIndex {
                let s = scalars[q]
                if s == c || (c == " " && Self.isBreak(s)) || (c == "\n" && Self.isBreak(s)) { break }
                q += 1
            }
            if q < endIndex {
                marks.append(mark(ofIndex: q))
                lastMatched = q
                p = q + 1
            } else {
                marks.append(mark(ofIndex: lastMatched))
            }
        }
        marks.append(mark(ofIndex: min(p, max(endIndex, p))))
        return marks
    }

    static func isBreak(_ s: Unicode.Scalar) -> Bool {
        s == "\n" || s == "\r" || s == "\u{85}" || s == "\u{2028}" || s == "\u{2029}"
    }
}
