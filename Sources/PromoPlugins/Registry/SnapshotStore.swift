import Foundation

/// The models folder: one folder per trained version of each plugin, and a `CURRENT` file naming
/// the version decisions use.
///
/// ```text
/// models/python-moving-average/CURRENT            1.3f2a9c01b7
/// models/python-moving-average/1.3f2a9c01b7/      the plugin's files
/// models/python-moving-average/1.3f2a9c01b7/snapshot.json   plugin, version, created_at
/// ```
public struct SnapshotStore: Sendable {
    public var folder: String

    /// `folder` relative to the current directory is made absolute: plugins run in their own folders.
    public init(folder: String) {
        self.folder =
            folder.hasPrefix("/")
            ? folder : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(folder)
        self.folder = (self.folder as NSString).standardizingPath
    }

    /// The current snapshot of a plugin.
    public struct Info: Sendable, Hashable {
        public var version: String
        public var path: String
        /// Seconds since 1970.
        public var createdAt: Int64
        /// The version of the plugin that trained it.
        public var pluginVersion: String?

        /// Why a plugin of `version` must not load this snapshot: trained by another version.
        public func refusal(plugin: String, version: String) -> PluginFault? {
            guard let trained = pluginVersion, trained != version else { return nil }
            return PluginFault(
                .refused,
                "the snapshot \(self.version) was trained by \(plugin) \(trained); this is \(plugin) \(version): retrain it with `promo train \(plugin)`"
            )
        }
    }

    func pluginFolder(_ plugin: String) -> String { (folder as NSString).appendingPathComponent(plugin) }

    public func current(_ plugin: String) -> Info? {
        let dir = pluginFolder(plugin)
        guard let text = try? String(contentsOfFile: dir + "/CURRENT", encoding: .utf8) else { return nil }
        let version = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let path = dir + "/" + version
        var created: Int64 = 0
        var pluginVersion: String?
        if let data = FileManager.default.contents(atPath: path + "/snapshot.json"),
            let meta = try? JSON.parse(String(decoding: data, as: UTF8.self))
        {
            created = Int64(meta["created_at"]?.int ?? 0)
            pluginVersion = meta["plugin_version"]?.string
        }
        return Info(version: version, path: path, createdAt: created, pluginVersion: pluginVersion)
    }

    /// A fresh folder for a training run to write into; `commit` names it by version.
    public func staging(_ plugin: String) throws -> String {
        let dir = pluginFolder(plugin) + "/.training-\(getpid())-\(UInt64(Date().timeIntervalSince1970 * 1000))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Moves a finished training folder to `<plugin>/<version>/`, records what it is and makes it
    /// current. An existing folder of the same version (same data, same model) is kept.
    @discardableResult
    public func commit(staging: String, plugin: String, version: String, pluginVersion: String) throws -> Info {
        guard !version.isEmpty, !version.contains("/"), !version.hasPrefix(".") else {
            throw SnapshotError("'\(version)' cannot name a snapshot folder")
        }
        let fm = FileManager.default
        let target = pluginFolder(plugin) + "/" + version
        let created = Int64(Date().timeIntervalSince1970)
        let meta = JSON.object([
            ("plugin", .string(plugin)), ("plugin_version", .string(pluginVersion)), ("version", .string(version)),
            ("created_at", .number(Double(created))),
        ])
        try (meta.text + "\n").write(toFile: staging + "/snapshot.json", atomically: true, encoding: .utf8)
        if fm.fileExists(atPath: target) { try fm.removeItem(atPath: target) }
        try fm.moveItem(atPath: staging, toPath: target)
        try (version + "\n").write(toFile: pluginFolder(plugin) + "/CURRENT", atomically: true, encoding: .utf8)
        return Info(version: version, path: target, createdAt: created, pluginVersion: pluginVersion)
    }

    /// Saves an in-process plugin's snapshot as `payload` and makes it current.
    @discardableResult
    public func save(_ snapshot: ModelSnapshot, plugin: String, pluginVersion: String) throws -> Info {
        let dir = try staging(plugin)
        try snapshot.payload.write(to: URL(fileURLWithPath: dir + "/payload"))
        let format = JSON.object([("builtin", .string(snapshot.plugin)), ("format", .number(Double(snapshot.format)))])
        try (format.text + "\n").write(toFile: dir + "/format.json", atomically: true, encoding: .utf8)
        return try commit(staging: dir, plugin: plugin, version: snapshot.version, pluginVersion: pluginVersion)
    }

    /// Reads an in-process plugin's current snapshot.
    public func load(_ plugin: String) throws -> ModelSnapshot? {
        guard let info = current(plugin) else { return nil }
        guard let payload = FileManager.default.contents(atPath: info.path + "/payload"),
            let formatData = FileManager.default.contents(atPath: info.path + "/format.json"),
            let format = try? JSON.parse(String(decoding: formatData, as: UTF8.self)),
            let builtin = format["builtin"]?.string, let f = format["format"]?.int
        else { throw SnapshotError("\(info.path) is not a complete snapshot (payload or format.json missing)") }
        return ModelSnapshot(plugin: builtin, format: f, payload: payload, createdAt: info.createdAt)
    }
}
