public import Foundation
import PromoDSL

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a CSV file record by record in bounded memory (RFC 4180: quoted fields, doubled quotes,
/// newlines inside quotes, CRLF or LF), with the line each record starts on.
///
/// ```swift
/// let csv = try CSVStream(path: "orders.csv")
/// while let (line, fields) = try csv.next() { ... }
/// ```
public final class CSVStream {
    public let path: String
    /// The header row's fields, trimmed.
    public private(set) var header: [String] = []
    private let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    private var count = 0
    private var position = 0
    private var line = 1
    private var atEnd = false

    public init(path: String) throws(InputError) {
        self.path = path
        fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw InputError(
                file: path, line: 1, column: 1, message: "cannot read the file (\(String(cString: strerror(errno))))")
        }
        guard let first = try next() else {
            throw InputError(file: path, line: 1, column: 1, message: "the file is empty; it needs a header row")
        }
        header = first.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        if let bom = header.first, bom.hasPrefix("\u{FEFF}") { header[0] = String(bom.dropFirst()) }
    }

    deinit { close(fd) }

    private func byte() -> UInt8? {
        if position == count {
            guard !atEnd else { return nil }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 {
                atEnd = true
                return nil
            }
            count = n
            position = 0
        }
        defer { position += 1 }
        return buffer[position]
    }

    private func peek() -> UInt8? {
        guard let b = byte() else { return nil }
        position -= 1
        return b
    }

    /// The next record and the line it starts on; nil at the end. Blank lines are skipped.
    public func next() throws(InputError) -> (line: Int, fields: [String])? {
        while true {
            let start = line
            var fields: [String] = []
            var field: [UInt8] = []
            var quoted = false
            var sawAny = false
            var ended = false
            reading: while let b = byte() {
                sawAny = true
                if quoted {
                    if b == UInt8(ascii: "\"") {
                        if peek() == UInt8(ascii: "\"") {
                            _ = byte()
                            field.append(b)
                        } else {
                            quoted = false
                        }
                    } else {
                        if b == 0x0A { line += 1 }
                        field.append(b)
                    }
                    continue
                }
                switch b {
                case UInt8(ascii: "\"") where field.isEmpty: quoted = true
                case UInt8(ascii: ","):
                    fields.append(try text(field, start, fields.count + 1))
                    field.removeAll(keepingCapacity: true)
                case 0x0D: continue
                case 0x0A:
                    line += 1
                    ended = true
                    break reading
                default: field.append(b)
                }
            }
            if quoted {
                throw InputError(
                    file: path, line: start, column: fields.count + 1, message: "a quoted field is not closed")
            }
            if !sawAny { return nil }
            fields.append(try text(field, start, fields.count + 1))
            if fields.count == 1 && fields[0].isEmpty {
                if ended { continue }
                return nil
            }
            return (start, fields)
        }
    }

    private func text(_ bytes: [UInt8], _ line: Int, _ column: Int) throws(InputError) -> String {
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw InputError(file: path, line: line, column: column, message: "field \(column) is not UTF-8 text")
        }
        return s
    }

    /// Each following record as a `Row` checked against the header, for typed reading.
    public func rows(required: [String], _ body: (CSVRow) throws(InputError) -> Void) throws(InputError) {
        for r in required where !header.contains(r) {
            throw InputError(
                file: path, line: 1, column: 1,
                message: "the header has no column '\(r)' (it has: \(header.joined(separator: ", ")))")
        }
        var index: [String: Int] = [:]
        for (i, h) in header.enumerated() { index[h] = i }
        while let (line, fields) = try next() {
            guard fields.count == header.count else {
                throw InputError(
                    file: path, line: line, column: 1,
                    message: "the row has \(fields.count) fields; the header has \(header.count)")
            }
            try body(CSVRow(file: path, line: line, index: index, fields: fields))
        }
    }
}

/// One CSV record with typed accessors whose errors name the file, line and column.
public struct CSVRow {
    public var file: String
    public var line: Int
    public var index: [String: Int]
    public var fields: [String]

    public init(file: String, line: Int, index: [String: Int], fields: [String]) {
        self.file = file
        self.line = line
        self.index = index
        self.fields = fields
    }

    public func fail(_ column: String, _ message: String) -> InputError {
        InputError(file: file, line: line, column: (index[column] ?? 0) + 1, message: "\(column): \(message)")
    }
    public func optional(_ column: String) -> String? {
        guard let i = index[column] else { return nil }
        let v = CSVRow.trimmed(fields[i])
        return v.isEmpty ? nil : v
    }

    /// Without leading and trailing spaces and tabs; the field itself when it has none (the usual
    /// case, and a tenth of the cost of Foundation's trimming).
    static func trimmed(_ s: String) -> String {
        let u = s.utf8
        func blank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
        guard let f = u.first, let l = u.last, blank(f) || blank(l) else { return s }
        let a = u.firstIndex { !blank($0) } ?? u.endIndex
        guard a < u.endIndex else { return "" }
        let b = u.lastIndex { !blank($0) }!
        return String(s[a...b])
    }
    public func text(_ column: String) throws(InputError) -> String {
        guard let v = optional(column) else { throw fail(column, "is empty") }
        return v
    }
    public func int(_ column: String) throws(InputError) -> Int {
        let t = try text(column)
        guard let v = Int(t) else { throw fail(column, "'\(t)' is not a whole number") }
        return v
    }
    public func optionalInt(_ column: String) throws(InputError) -> Int? {
        optional(column) == nil ? nil : try int(column)
    }
    public func number(_ column: String) throws(InputError) -> Double {
        let t = try text(column)
        guard let v = Double(t), v.isFinite else { throw fail(column, "'\(t)' is not a number") }
        return v
    }
    public func money(_ column: String, _ digits: Int) throws(InputError) -> Int64 {
        let t = try text(column)
        guard let d = ExactDecimal(t), d.scale <= digits, let v = d.scaled(to: digits) else {
            throw fail(column, "'\(t)' is not an amount such as 18.90")
        }
        return v
    }
    public func optionalMoney(_ column: String, _ digits: Int) throws(InputError) -> Int64? {
        optional(column) == nil ? nil : try money(column, digits)
    }
    public func bool(_ column: String) throws(InputError) -> Bool {
        switch optional(column)?.lowercased() {
        case nil, "false", "0", "no": return false
        case "true", "1", "yes": return true
        case let other?: throw fail(column, "'\(other)' is not true or false")
        }
    }
    /// ISO 8601 (`2026-11-02T10:15:00Z`, `2026-11-02`), seconds since 1970, or `format` when given
    /// (a `DateFormatter` pattern in UTC, e.g. `MM/dd/yyyy HH:mm`).
    public func time(_ column: String, format: DateFormatter? = nil) throws(InputError) -> Int64 {
        let t = try text(column)
        if let format {
            guard let d = format.date(from: t) else {
                throw fail(column, "'\(t)' does not match the time format \(format.dateFormat ?? "")")
            }
            return Int64(d.timeIntervalSince1970)
        }
        if let s = Int64(t) { return s }
        guard let v = CSVRow.parseISO(t) else {
            throw fail(column, "'\(t)' is not a time such as 2026-11-02T10:15:00Z")
        }
        return v
    }

    /// `2026-11-02`, `2026-11-02T10:15`, `2026-11-02T10:15:00`, with `Z`, `+08:00` or `+0800`
    /// (a time needs a zone), fractions of a second dropped: parsed by hand, since a formatter per
    /// row made imports 50 times slower.
    static func parseISO(_ t: String) -> Int64? {
        let b = Array(t.utf8)
        func num(_ at: Int, _ n: Int) -> Int? {
            guard at + n <= b.count else { return nil }
            var v = 0
            for k in at..<at + n {
                guard b[k] >= 0x30, b[k] <= 0x39 else { return nil }
                v = v * 10 + Int(b[k] - 0x30)
            }
            return v
        }
        guard let y = num(0, 4), b.count >= 10, b[4] == UInt8(ascii: "-"), let m = num(5, 2), b[7] == UInt8(ascii: "-"),
            let d = num(8, 2), (1...12).contains(m), (1...31).contains(d)
        else { return nil }
        let days = CivilTime.days(year: y, month: m, day: d)
        if b.count == 10 { return Int64(days) * 86_400 }
        guard b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: " "), let hh = num(11, 2), b.count > 13,
            b[13] == UInt8(ascii: ":"), let mm = num(14, 2), hh < 24, mm < 60
        else { return nil }
        var i = 16
        var ss = 0
        if i < b.count, b[i] == UInt8(ascii: ":") {
            guard let v = num(i + 1, 2), v < 61 else { return nil }
            ss = v
            i += 3
            if i < b.count, b[i] == UInt8(ascii: ".") {
                i += 1
                while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
            }
        }
        guard i < b.count else { return nil }  // a time needs a zone
        var offset = 0
        if b[i] == UInt8(ascii: "Z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            guard let oh = num(i + 1, 2) else { return nil }
            i += 3
            if i < b.count, b[i] == UInt8(ascii: ":") { i += 1 }
            guard let om = num(i, 2) else { return nil }
            i += 2
            offset = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        return Int64(days) * 86_400 + Int64(hh * 3600 + mm * 60 + ss - offset)
    }
}
