public import PromoYAML

/// Renders diagnostics for terminals (optionally coloured) and as JSON, in one place.
public struct DiagnosticRenderer: Sendable {
    /// Source texts by file path, to quote the offending line under each diagnostic.
    public var sources: [String: SourceText]
    /// ANSI colour, for terminals. Callers decide (TTY and `NO_COLOR`).
    public var color: Bool

    public init(sources: [String: SourceText], color: Bool = false) {
        self.sources = sources
        self.color = color
    }

    private func paint(_ text: String, _ code: String) -> String {
        color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    /// One diagnostic as text:
    ///
    /// ```
    /// rules/a.yaml:3:5: error[PROMO020]: unknown key 'discont' in a percent_off offer
    ///    |
    ///  3 |     discont: 10%
    ///    |     ^^^^^^^
    ///    = help: did you mean 'discount'?
    /// ```
    public func render(_ d: Diagnostic) -> String {
        let severity =
            d.severity == .error
            ? paint("error[\(d.code.rawValue)]", "1;31") : paint("warning[\(d.code.rawValue)]", "1;33")
        var out = paint("\(d.location):", "1") + " \(severity): " + paint(d.message, "1") + "\n"
        let gutterWidth = String(d.span.start.line).count
        let pad = String(repeating: " ", count: gutterWidth)
        if let source = sources[d.span.file], d.span.start.line <= source.lineCount {
            let line = source.line(d.span.start.line).replacingTabs()
            let lineNumber = String(d.span.start.line)
            let bar = paint("|", "1;34")
            out += "\(pad) \(bar)\n"
            out += paint(lineNumber, "1;34")
            out += " \(bar) \(line)\n"
            let lineLength = line.unicodeScalars.count
            let column = min(d.span.start.column, lineLength + 1)
            let length = max(1, min(d.span.underlineLength, lineLength + 1 - column))
            let carets = String(repeating: " ", count: column - 1) + String(repeating: "^", count: length)
            out += "\(pad) \(bar) " + paint(carets, d.severity == .error ? "1;31" : "1;33") + "\n"
        }
        if let hint = d.hint { out += "\(pad) = " + paint("help", "1") + ": \(hint)\n" }
        for note in d.notes {
            let at = note.location.map { "\($0): " } ?? ""
            out += "\(pad) = " + paint("note", "1") + ": \(at)\(note.message)\n"
        }
        return out
    }

    /// All diagnostics and a summary line.
    public func render(_ diagnostics: [Diagnostic], summary: ValidationSummary) -> String {
        var out = ""
        for d in diagnostics { out += render(d) + "\n" }
        out += summary.line(color: color) + "\n"
        return out
    }

    /// A JSON document for editors and CI: `{"summary": {...}, "diagnostics": [...]}`.
    public func renderJSON(_ diagnostics: [Diagnostic], summary: ValidationSummary) -> String {
        var out = "{\n  \"summary\": {"
        out += "\"files\": \(summary.files), \"campaigns\": \(summary.campaigns), \"offers\": \(summary.offers), "
        out += "\"errors\": \(summary.errors), \"warnings\": \(summary.warnings)},\n  \"diagnostics\": ["
        for (i, d) in diagnostics.enumerated() {
            out += i == 0 ? "\n    " : ",\n    "
            var fields = [
                "\"code\": \(JSONText.quote(d.code.rawValue))",
                "\"severity\": \(JSONText.quote(d.severity.rawValue))",
                "\"title\": \(JSONText.quote(d.code.title))",
                "\"file\": \(JSONText.quote(d.span.file))",
                "\"line\": \(d.span.start.line)", "\"column\": \(d.span.start.column)",
                "\"endLine\": \(d.span.end.line)", "\"endColumn\": \(d.span.end.column)",
                "\"message\": \(JSONText.quote(d.message))",
            ]
            if let hint = d.hint { fields.append("\"hint\": \(JSONText.quote(hint))") }
            let notes = d.notes.map { note -> String in
                var parts = ["\"message\": \(JSONText.quote(note.message))"]
                if let l = note.location {
                    parts += ["\"file\": \(JSONText.quote(l.file))", "\"line\": \(l.line)", "\"column\": \(l.column)"]
                }
                return "{" + parts.joined(separator: ", ") + "}"
            }
            fields.append("\"notes\": [" + notes.joined(separator: ", ") + "]")
            out += "{" + fields.joined(separator: ", ") + "}"
        }
        out += diagnostics.isEmpty ? "]\n}\n" : "\n  ]\n}\n"
        return out
    }
}

/// Counts for the summary line of `promo validate`.
public struct ValidationSummary: Sendable, Hashable {
    public var files: Int
    public var campaigns: Int
    public var offers: Int
    public var errors: Int
    public var warnings: Int

    public init(files: Int, campaigns: Int, offers: Int, errors: Int, warnings: Int) {
        self.files = files
        self.campaigns = campaigns
        self.offers = offers
        self.errors = errors
        self.warnings = warnings
    }

    /// "6 campaigns, 14 offers in 7 files: 0 errors, 1 warning"
    public func line(color: Bool = false) -> String {
        func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
        let counts = "\(plural(campaigns, "campaign")), \(plural(offers, "offer")) in \(plural(files, "file"))"
        var result = "\(plural(errors, "error")), \(plural(warnings, "warning"))"
        if color { result = "\u{1B}[1;\(errors > 0 ? "31" : warnings > 0 ? "33" : "32")m\(result)\u{1B}[0m" }
        return "\(counts): \(result)"
    }
}

/// Minimal JSON string quoting shared by the renderers and the schema printer.
public enum JSONText {
    public static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let h = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}

extension String {
    /// Tabs shown as single spaces so carets line up with Unicode-scalar columns.
    fileprivate func replacingTabs() -> String {
        String(String.UnicodeScalarView(unicodeScalars.map { $0 == "\t" ? " " : $0 }))
    }
}
