internal import CLibYAML

/// A parsed YAML input: at most one document's root node, and the source text.
public struct YAMLDocument: Sendable, Hashable {
    /// The root node, or `nil` for an input with no document (empty, or only comments).
    public var root: Node?
    /// The decoded source, for mapping positions inside scalars and quoting lines.
    public var source: SourceText
}

/// Reads YAML with libyaml's event API into a located `Node` tree, strictly.
///
/// Rejected, each with a located `YAMLError`: duplicate keys, anchors, aliases, explicit tags,
/// merge keys (`<<`), non-scalar keys, a second document, invalid UTF-8, NUL and other control
/// characters, libyaml's own syntax errors (tabs as indentation among them), and input over the
/// size, depth or node limits. The tree is built with an explicit stack, never by recursing on
/// the input's depth.
///
/// ```swift
/// let doc = try YAMLReader().read("promo: 1\n")
/// ```
public struct YAMLReader: Sendable {
    public var limits: YAMLLimits

    public init(limits: YAMLLimits = .default) {
        self.limits = limits
    }

    /// Reads text.
    public func read(_ text: String) throws(YAMLError) -> YAMLDocument {
        try read(bytes: Array(text.utf8))
    }

    /// Reads raw bytes, which may be anything.
    public func read(bytes: [UInt8]) throws(YAMLError) -> YAMLDocument {
        if bytes.count > limits.maxBytes {
            throw YAMLError(
                .tooLarge, "input is \(bytes.count) bytes; the limit is \(Self.describeBytes(limits.maxBytes))",
                at: Mark(line: 1, column: 1), hint: "split the file, or raise the size limit")
        }
        let source = try Self.decode(bytes)
        let root = try bytes.withUnsafeBufferPointer { (buffer) throws(YAMLError) -> Node? in
            try parseEvents(buffer, source: source)
        }
        return YAMLDocument(root: root, source: source)
    }

    static func describeBytes(_ n: Int) -> String {
        if n % (1 << 20) == 0 { return "\(n >> 20) MiB" }
        if n % (1 << 10) == 0 { return "\(n >> 10) KiB" }
        return "\(n) bytes"
    }

    // MARK: - Decoding

    /// Validates UTF-8 and the characters YAML allows, locating the first offence.
    static func decode(_ bytes: [UInt8]) throws(YAMLError) -> SourceText {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(bytes.count)
        var lineStarts = [0]
        var i = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }
        var line = 1
        var lineStartCount = 0
        var previousWasCR = false
        while i < bytes.count {
            let b0 = bytes[i]
            var value: UInt32
            var width: Int
            switch b0 {
            case 0x00..<0x80:
                value = UInt32(b0)
                width = 1
            case 0xC2..<0xE0:
                value = UInt32(b0 & 0x1F)
                width = 2
            case 0xE0..<0xF0:
                value = UInt32(b0 & 0x0F)
                width = 3
            case 0xF0..<0xF5:
                value = UInt32(b0 & 0x07)
                width = 4
            default:
                throw invalidUTF8(line, scalars.count - lineStartCount + 1, byte: i)
            }
            if i + width > bytes.count { throw invalidUTF8(line, scalars.count - lineStartCount + 1, byte: i) }
            for k in 1..<width {
                let b = bytes[i + k]
                guard b & 0xC0 == 0x80 else {
                    throw invalidUTF8(line, scalars.count - lineStartCount + 1, byte: i)
                }
                value = value << 6 | UInt32(b & 0x3F)
            }
            let minimum: UInt32 = width == 2 ? 0x80 : width == 3 ? 0x800 : width == 4 ? 0x10000 : 0
            guard value >= minimum, value <= 0x10FFFF, !(0xD800...0xDFFF).contains(value),
                let scalar = Unicode.Scalar(value)
            else { throw invalidUTF8(line, scalars.count - lineStartCount + 1, byte: i) }
            if previousWasCR && scalar != "\n" {
                lineStarts.append(scalars.count)
                line += 1
                lineStartCount = scalars.count
            }
            if !isAllowed(value) {
                let name = value == 0 ? "NUL byte" : "control character U+\(hex(value))"
                throw YAMLError(
                    .controlCharacter, "\(name) is not allowed in YAML text",
                    at: Mark(line: line, column: scalars.count - lineStartCount + 1),
                    hint: "remove it; the file may be binary or damaged")
            }
            scalars.append(scalar)
            previousWasCR = scalar == "\r"
            if value == 0x0A || value == 0x85 || value == 0x2028 || value == 0x2029 {
                lineStarts.append(scalars.count)
                line += 1
                lineStartCount = scalars.count
            }
            i += width
        }
        if previousWasCR { lineStarts.append(scalars.count) }
        return SourceText(scalars: scalars, lineStarts: lineStarts)
    }

    private static func invalidUTF8(_ line: Int, _ column: Int, byte: Int) -> YAMLError {
        YAMLError(
            .invalidUTF8, "invalid UTF-8 at byte offset \(byte)", at: Mark(line: line, column: column),
            hint: "save the file as UTF-8")
    }

    private static func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }

    /// YAML 1.2's printable set (c-printable).
    private static func isAllowed(_ v: UInt32) -> Bool {
        switch v {
        case 0x09, 0x0A, 0x0D, 0x20...0x7E, 0x85, 0xA0...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }
}
