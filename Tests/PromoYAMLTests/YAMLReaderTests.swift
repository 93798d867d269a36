import Foundation
import PromoYAML
import Testing

@Suite struct YAMLReaderTests {
    let reader = YAMLReader()

    func error(_ text: String, limits: YAMLLimits = .default) -> YAMLError? {
        error(bytes: Array(text.utf8), limits: limits)
    }

    func error(bytes: [UInt8], limits: YAMLLimits = .default) -> YAMLError? {
        do {
            _ = try YAMLReader(limits: limits).read(bytes: bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test func readsLocatedTreeWithStyles() throws {
        let doc = try reader.read("a: 1\nb:\n  - 'x'\n  - \"y\"\n  - |\n    lit\n  - >\n    fol\nc: plain text\n")
        let pairs = try #require(doc.root?.mapping)
        #expect(pairs.map { $0.key.scalar?.value } == ["a", "b", "c"])
        #expect(pairs[0].value.start == Mark(line: 1, column: 4))
        let items = try #require(pairs[1].value.sequence)
        #expect(items.map { $0.scalar?.style } == [.singleQuoted, .doubleQuoted, .literal, .folded])
        #expect(items.map { $0.scalar?.value } == ["x", "y", "lit\n", "fol\n"])
        #expect(items[0].start == Mark(line: 3, column: 5))
        #expect(pairs[2].value.scalar == Scalar(value: "plain text", style: .plain))
    }

    @Test func columnsCountUnicodeScalars() throws {
        let doc = try reader.read("é中: x\n")
        let pair = try #require(doc.root?.mapping?.first)
        #expect(pair.value.start == Mark(line: 1, column: 5))
    }

    @Test func emptyInputHasNoRoot() throws {
        #expect(try reader.read("").root == nil)
        #expect(try reader.read("# only a comment\n").root == nil)
    }

    @Test func valueMarksMapBackIntoQuotedAndBlockScalars() throws {
        let text = "a: \"x > 1\"\nb: |\n  first\n  second > 2\nc: one\n  two\n"
        let doc = try reader.read(text)
        let pairs = try #require(doc.root?.mapping)
        let a = doc.source.valueMarks(of: pairs[0].value)
        #expect(a[2] == Mark(line: 1, column: 7))  // '>' inside the quotes
        let b = doc.source.valueMarks(of: pairs[1].value)
        let bValue = Array(pairs[1].value.scalar!.value.unicodeScalars)
        let gt = bValue.firstIndex(of: ">")!
        #expect(b[gt] == Mark(line: 4, column: 10))
        let c = doc.source.valueMarks(of: pairs[2].value)
        #expect(pairs[2].value.scalar?.value == "one two")
        #expect(c[4] == Mark(line: 6, column: 3))
    }

    @Test func duplicateKeyReportsBothPositions() throws {
        let e = try #require(error("a: 1\nb: 2\na: 3\n"))
        #expect(e.kind == .duplicateKey)
        #expect(e.mark == Mark(line: 3, column: 1))
        #expect(e.note?.mark == Mark(line: 1, column: 1))
    }

    @Test(arguments: [
        ("a: &x 1\nb: *x\n", YAMLError.Kind.anchor, Mark(line: 1, column: 4)),
        ("a: *x\n", .alias, Mark(line: 1, column: 4)),
        ("a: !!str 1\n", .tag, Mark(line: 1, column: 4)),
        ("a: !!python/object:os.system x\n", .tag, Mark(line: 1, column: 4)),
        ("base: 1\n<<: {b: 2}\n", .mergeKey, Mark(line: 2, column: 1)),
        ("a: 1\n---\nb: 2\n", .multipleDocuments, Mark(line: 2, column: 1)),
        ("a:\n\t- 1\n", .syntax, Mark(line: 2, column: 1)),
        ("? [a]\n: 1\n", .complexKey, Mark(line: 1, column: 3)),
        ("a: [1, 2\n", .syntax, Mark(line: 2, column: 1)),
    ])
    func rejectsWithLocatedError(text: String, kind: YAMLError.Kind, mark: Mark) throws {
        let e = try #require(error(text))
        #expect(e.kind == kind)
        #expect(e.mark == mark)
    }

    @Test func tabIndentationIsLibyamlsErrorWithHint() throws {
        let e = try #require(error("a:\n\tb: 1\n"))
        #expect(e.kind == .syntax)
        #expect(e.mark.line == 2)
        #expect(e.hint?.contains("tabs") == true)
    }

    @Test func billionLaughsIsRejectedAtTheFirstAnchor() throws {
        var text = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        for (i, name) in ["b", "c", "d", "e", "f", "g", "h", "i"].enumerated() {
            let prev = ["a", "b", "c", "d", "e", "f", "g", "h"][i]
            text += "\(name): &\(name) [" + Array(repeating: "*\(prev)", count: 9).joined(separator: ",") + "]\n"
        }
        let e = try #require(error(text))
        #expect(e.kind == .anchor)
        #expect(e.mark == Mark(line: 1, column: 4))
    }

    @Test func deepNestingIsRejectedWithoutRecursion() throws {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let e = try #require(error(deep))
        #expect(e.kind == .tooDeep)
        #expect(e.mark == Mark(line: 1, column: 65))
        let blockDeep = (0..<1_000).map { String(repeating: " ", count: $0) + "k:" }.joined(separator: "\n")
        #expect(error(blockDeep)?.kind == .tooDeep)
        #expect(error("[[1]]", limits: YAMLLimits(maxDepth: 2)) == nil)
        #expect(error("[[[1]]]", limits: YAMLLimits(maxDepth: 2))?.kind == .tooDeep)
    }

    @Test func oversizedInputIsRejectedBeforeParsing() throws {
        let big = [UInt8](repeating: UInt8(ascii: "a"), count: 50 << 20)
        let e = try #require(error(bytes: big))
        #expect(e.kind == .tooLarge)
        #expect(e.message == "input is 52428800 bytes; the limit is 4 MiB")
        #expect(error("a: 1\n", limits: YAMLLimits(maxBytes: 4))?.kind == .tooLarge)
    }

    @Test func tooManyNodes() throws {
        let text = "[" + Array(repeating: "1", count: 200).joined(separator: ",") + "]"
        let e = try #require(error(text, limits: YAMLLimits(maxNodes: 100)))
        #expect(e.kind == .tooManyNodes)
    }

    @Test func invalidUTF8IsLocated() throws {
        var bytes = Array("a: ok\nb: x".utf8)
        bytes.append(0xC3)
        bytes.append(0x28)
        let e = try #require(error(bytes: bytes))
        #expect(e.kind == .invalidUTF8)
        #expect(e.mark == Mark(line: 2, column: 5))
        #expect(error(bytes: [0xED, 0xA0, 0x80])?.kind == .invalidUTF8)  // surrogate
        #expect(error(bytes: [0xC0, 0x80])?.kind == .invalidUTF8)  // overlong NUL
    }

    @Test func nulAndControlCharactersAreLocated() throws {
        let e = try #require(error(bytes: Array("a: 1\nb: x\u{0}y\n".utf8)))
        #expect(e.kind == .controlCharacter)
        #expect(e.mark == Mark(line: 2, column: 5))
        #expect(e.message == "NUL byte is not allowed in YAML text")
        #expect(error(bytes: [0x61, 0x3A, 0x20, 0x07])?.kind == .controlCharacter)
    }

    @Test func randomBytesNeverCrash() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ab: -[]{},&*!|>'\"\n\t#%@`?<\u{0}".utf8) + [0xC3, 0xFF, 0xE2]
        for _ in 0..<2_000 {
            let n = Int.random(in: 0..<64, using: &generator)
            let bytes = (0..<n).map { _ in alphabet.randomElement(using: &generator)! }
            _ = try? reader.read(bytes: bytes)
        }
    }
}
