import Foundation
public import PromoYAML

/// Loads a rules workspace: reads every file strictly, checks names and types across files,
/// and collects all diagnostics in one pass.
///
/// ```swift
/// let rules = try RulesLoader().load(paths: ["rules"])
/// print(rules.summary.line())
/// ```
public struct RulesLoader: Sendable {
    public var limits: YAMLLimits
    /// The time campaigns are judged against for "has ended" warnings, seconds since 1970.
    public var now: Int64
    /// Where plugin manifests live; default: `plugins/` beside the rules folder.
    public var pluginsDirectory: String?

    public init(limits: YAMLLimits = .default, now: Int64? = nil, pluginsDirectory: String? = nil) {
        self.limits = limits
        self.now = now ?? Int64(Date().timeIntervalSince1970)
        self.pluginsDirectory = pluginsDirectory
    }

    /// A path that could not be read at all (not a rules problem: exit status 2).
    public struct IOError: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// Loads the given files and folders. A folder contributes its `promo.yaml` and every other
    /// `.yaml`/`.yml` file below it, except in `examples/` and `tests/` folders.
    public func load(paths: [String]) throws(IOError) -> LoadedRules {
        var workspaceFile: String?
        var campaignFiles: [String] = []
        let fm = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw IOError(path: path, reason: "no such file or folder")
            }
            if isDirectory.boolValue {
                guard let entries = fm.enumerator(atPath: path) else {
                    throw IOError(path: path, reason: "cannot list the folder")
                }
                var found: [String] = []
                while let entry = entries.nextObject() as? String {
                    let parts = entry.split(separator: "/")
                    if parts.contains(where: { $0.hasPrefix(".") || $0 == "examples" || $0 == "tests" }) { continue }
                    if entry.hasSuffix(".yaml") || entry.hasSuffix(".yml") { found.append(join(path, entry)) }
                }
                for f in found.sorted() {
                    if (f as NSString).lastPathComponent == "promo.yaml" && workspaceFile == nil
                        && f == join(path, "promo.yaml")
                    {
                        workspaceFile = f
                    } else {
                        campaignFiles.append(f)
                    }
                }
            } else if (path as NSString).lastPathComponent == "promo.yaml" {
                workspaceFile = path
            } else {
                campaignFiles.append(path)
            }
        }
        if workspaceFile == nil, let first = paths.first {
            var isDirectory: ObjCBool = false
            _ = fm.fileExists(atPath: first, isDirectory: &isDirectory)
            let dir = isDirectory.boolValue ? first : (first as NSString).deletingLastPathComponent
            let candidate = join(dir.isEmpty ? "." : dir, "promo.yaml")
            if fm.fileExists(atPath: candidate) { workspaceFile = candidate }
        }
        let rulesDirectory = workspaceFile.map { ($0 as NSString).deletingLastPathComponent } ?? paths.first ?? "."
        let parent = (rulesDirectory as NSString).deletingLastPathComponent
        let pluginsDir = pluginsDirectory ?? (parent.isEmpty ? "plugins" : join(parent, "plugins"))
        var manifestFiles: [String] = []
        if let entries = try? fm.contentsOfDirectory(atPath: pluginsDir) {
            for e in entries.sorted() where !e.hasPrefix(".") {
                let f = join(pluginsDir, e + "/plugin.yaml")
                if fm.fileExists(atPath: f) { manifestFiles.append(f) }
            }
        }
        var inputs: [(path: String, bytes: [UInt8]?)] = []
        for f in ([workspaceFile].compactMap { $0 } + campaignFiles + manifestFiles) {
            inputs.append((f, fm.contents(atPath: f).map { [UInt8]($0) }))
        }
        return check(
            workspaceFile: workspaceFile, campaignFiles: campaignFiles, manifestFiles: manifestFiles,
            contents: Dictionary(inputs.map { ($0.path, $0.bytes) }, uniquingKeysWith: { a, _ in a }),
            anchor: paths.first ?? ".")
    }

    private func join(_ a: String, _ b: String) -> String {
        a.hasSuffix("/") ? a + b : a + "/" + b
    }

    /// Loads from in-memory files (path → bytes); used by `load(paths:)`, tests and benchmarks.
    public func load(
        workspace: (path: String, bytes: [UInt8])?, campaigns: [(path: String, bytes: [UInt8])],
        manifests: [(path: String, bytes: [UInt8])]
    ) -> LoadedRules {
        var contents: [String: [UInt8]?] = [:]
        for f in [workspace].compactMap({ $0 }) + campaigns + manifests { contents[f.path] = f.bytes }
        return check(
            workspaceFile: workspace?.path, campaignFiles: campaigns.map(\.path), manifestFiles: manifests.map(\.path),
            contents: contents, anchor: campaigns.first?.path ?? ".")
    }

    private func check(
        workspaceFile: String?, campaignFiles: [String], manifestFiles: [String], contents: [String: [UInt8]?],
        anchor: String
    ) -> LoadedRules {
        var bag = DiagnosticBag()
        var sources: [String: SourceText] = [:]
        let reader = YAMLReader(limits: limits)
        func read(_ path: String) -> YAMLDocument? {
            guard let bytes = contents[path] ?? nil else {
                bag.add(
                    .unreadableFile, "cannot read the file",
                    at: SourceSpan(file: path, start: Mark(line: 1, column: 1), end: Mark(line: 1, column: 1)))
                return nil
            }
            do {
                let doc = try reader.read(bytes: bytes)
                sources[path] = doc.source
                return doc
            } catch {
                if error.kind != .invalidUTF8 && error.kind != .controlCharacter && error.kind != .tooLarge,
                    let text = String(validating: bytes, as: UTF8.self)
                {
                    sources[path] = SourceText(text)
                }
                let notes =
                    error.note.map { [Diagnostic.Note($0.message, at: SourceLocation(file: path, mark: $0.mark))] }
                    ?? []
                bag.add(
                    DiagnosticCode(error.kind), error.message,
                    at: SourceSpan(
                        file: path, start: error.mark,
                        end: Mark(line: error.mark.line, column: error.mark.column + error.length)), hint: error.hint,
                    notes: notes)
                return nil
            }
        }

        // Manifests first: the workspace's model bindings refer to them.
        var manifests: [PluginManifest] = []
        for path in manifestFiles {
            guard let doc = read(path) else { continue }
            var r = NodeReader(file: path, source: doc.source, bag: bag)
            if let m = r.manifest(doc.root) {
                if let other = manifests.first(where: { $0.name == m.name }) {
                    r.bag.add(
                        .duplicateID, "plugin '\(m.name)' is declared twice", at: m.span,
                        notes: [.init("first declared here", at: other.span.location)])
                } else {
                    manifests.append(m)
                }
            }
            bag = r.bag
        }

        var workspace: Workspace?
        if let workspaceFile {
            if let doc = read(workspaceFile) {
                var r = NodeReader(file: workspaceFile, source: doc.source, bag: bag)
                workspace = r.workspace(doc.root)
                bag = r.bag
            }
        } else {
            bag.add(
                .missingWorkspace, "no workspace file promo.yaml beside the rules",
                at: SourceSpan(file: anchor, start: Mark(line: 1, column: 1), end: Mark(line: 1, column: 1)),
                hint: "create promo.yaml with promo: 1 and currency: CNY")
        }

        var campaigns: [Campaign] = []
        for path in campaignFiles {
            guard let doc = read(path) else { continue }
            var r = NodeReader(file: path, source: doc.source, bag: bag)
            if let c = r.campaign(doc.root, currency: workspace?.currency ?? "CNY") { campaigns.append(c) }
            bag = r.bag
        }

        var checker = WorkspaceChecker(workspace: workspace, manifests: manifests, now: now, bag: bag)
        checker.checkBindings()
        for i in campaigns.indices { checker.check(&campaigns[i]) }
        checker.checkUniqueness(campaigns)
        bag = checker.bag

        return LoadedRules(
            workspace: workspace, campaigns: campaigns, manifests: manifests, diagnostics: bag.sorted, sources: sources,
            files: [workspaceFile].compactMap { $0 } + campaignFiles + manifestFiles)
    }
}
