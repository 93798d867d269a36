import Foundation
import PromoCore
import PromoExplain
import PromoTesting
import Testing

enum Browser {
    /// Chromium from Debian (`apt-get install -y chromium`; `.ci/run` installs it).
    static let path: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Runs headless Chromium; returns standard output and standard error.
    static func run(_ arguments: [String]) throws -> (out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path!)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0"] + arguments
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}

@Suite struct HTMLTests {
    func winter() throws -> DecisionTrace {
        try GoldenCases.all().first { $0.name == "winter" }!.trace
    }

    @Test func theReportIsSelfContained() throws {
        let t = try winter()
        let html = TraceHTMLRenderer().render(t)
        #expect(!html.contains("<link"))
        #expect(!html.contains("src=\""))
        #expect(html.contains("<svg"))  // the bar chart
        for c in t.decision.chosen { #expect(html.contains(TraceHTMLRenderer.escape(c.title))) }
        // Every condition links to a highlighted line of the rules shown inline.
        let anchor = TraceHTMLRenderer.anchor(t.offers[0].file, t.offers[0].line)
        #expect(html.contains("href=\"#\(anchor)\""))
        #expect(html.contains("id=\"\(anchor)\" class=\"hit\""))
        #expect(TraceHTMLRenderer.escape("<script>\"&'") == "&lt;script&gt;&quot;&amp;&#39;")
    }

    @Test(
        .enabled(
            if: Browser.path != nil,
            "Chromium is not installed (apt-get install -y chromium; .ci/run installs it): the browser check is skipped"
        ))
    func theReportOpensInARealBrowser() throws {
        let t = try winter()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("promo-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("report.html")
        try TraceHTMLRenderer().render(t).write(to: page, atomically: true, encoding: .utf8)
        let dom = try Browser.run(["--dump-dom", page.absoluteString])
        #expect(dom.out.contains("data-ready=\"ok\""), "the page's script did not run to the end")
        #expect(!dom.err.contains("Uncaught"), "script errors: \(dom.err)")
        for c in t.decision.chosen { #expect(dom.out.contains(TraceHTMLRenderer.escape(c.title))) }
        let shot = dir.appendingPathComponent("report.png")
        _ = try Browser.run(["--screenshot=\(shot.path)", "--window-size=1200,1600", page.absoluteString])
        let png = try Data(contentsOf: shot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(png.count > 20_000, "a blank page would be smaller")
    }
}
