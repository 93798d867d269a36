import Foundation
public import PromoCore
public import PromoDSL

/// The checks `promo plugins check NAME` runs on any plugin, in process or over stdio, against
/// a store: it starts, trains, trains the same way twice, answers a batch as it answers single
/// items, survives an empty store, and is refused a snapshot trained by another version.
///
/// Runs in a scratch models folder, so the workspace's current snapshots are left alone.
public struct PluginCheck: Sendable {
    public struct Result: Sendable, Hashable {
        public var name: String
        public var passed: Bool
        public var detail: String
    }

    public var manifest: PluginManifest
    public var builtins: [any ModelPlugin.Type]
    public var policy: RestartPolicy

    public init(
        manifest: PluginManifest, builtins: [any ModelPlugin.Type] = [], policy: RestartPolicy = RestartPolicy()
    ) {
        self.manifest = manifest
        self.builtins = builtins
        self.policy = policy
    }

    /// A literal argument of each non-item parameter type, for calls the check makes up.
    static func sample(_ t: ValueType) -> Value {
        switch t {
        case .bool: .bool(false)
        case .number: .number(1)
        case .money: .money(10_000)
        case .percent: .percent(100_000)
        case .string: .string("")
        case .dateTime: .dateTime(1_796_000_000)
        case .duration: .duration(7 * 86_400)
        case .item, .error: .missing
        case .list: .list([])
        }
    }

    /// One batch asking every function of the manifest for `customer` and `skus`.
    public func batch(customer: String, skus: [String]) -> ModelBatch {
        let calls = manifest.functions.map { f in
            ModelCall(
                plugin: manifest.name, role: manifest.role, function: "\(manifest.namespace).\(f.name)",
                arguments: f.parameters.filter { $0.type != .item }.map { Self.sample($0.type) },
                perCustomer: f.per == .customer || f.per == .customerItem,
                perItem: f.per == .item || f.per == .customerItem)
        }
        return ModelBatch(customerID: customer, skus: skus, ordinals: skus.map { _ in -1 }, calls: calls)
    }

    public func run(store: StoreData, customer: String, skus: [String]) async -> [Result] {
        var results: [Result] = []
        func note(_ name: String, _ passed: Bool, _ detail: String) {
            results.append(Result(name: name, passed: passed, detail: detail))
        }
        let scratch = NSTemporaryDirectory() + "promo-check-\(getpid())-\(UInt64(Date().timeIntervalSince1970 * 1e6))"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        func registry() -> PluginRegistry {
            PluginRegistry(
                manifests: [manifest], bound: [manifest.name], models: SnapshotStore(folder: scratch),
                builtins: builtins,
                policy: policy)
        }
        var r = registry()
        if let fault = r.start()[manifest.name] {
            note("starts and handshakes", false, "\(fault)")
            r.stop()
            return results
        }
        switch r.health(manifest.name) {
        case .success(let h):
            note("starts and handshakes", true, "\(r.status(manifest.name)); health: \(h["status"]?.string ?? h.text)")
        case .failure(let f):
            note("starts and handshakes", false, "health: \(f)")
            r.stop()
            return results
        }

        let first: String
        do {
            first = try await r.train(manifest.name, on: store)
            note("trains on the store", true, "model \(first)")
        } catch {
            note("trains on the store", false, "\(error)")
            r.stop()
            return results
        }
        do {
            let second = try await r.train(manifest.name, on: store)
            note(
                "is deterministic", second == first,
                second == first ? "trained twice: \(first)" : "\(first) then \(second)")
        } catch {
            note("is deterministic", false, "\(error)")
        }

        let batch = self.batch(customer: customer, skus: skus)
        let together = r.answer(for: batch)
        let faults = together.faults.compactMap { $0 }
        if !faults.isEmpty {
            note("answers a batch", false, faults.joined(separator: "; "))
        } else {
            var differences: [String] = []
            for (k, sku) in skus.enumerated() {
                var one = batch
                one.skus = [sku]
                one.ordinals = [-1]
                let alone = r.answer(for: one)
                for (c, call) in batch.calls.enumerated() {
                    let row = call.perItem ? k : 0
                    if alone.columns[c].first ?? nil != together.columns[c][row] {
                        differences.append("\(call.function) for \(sku)")
                    }
                }
            }
            note(
                "answers a batch as it answers single items", differences.isEmpty,
                differences.isEmpty
                    ? "\(skus.count) items x \(batch.calls.count) functions"
                    : "differ: " + differences.prefix(5).joined(separator: ", "))
        }

        do {
            _ = try await r.train(manifest.name, on: StoreData(currency: store.currency))
            let empty = r.answer(for: batch)
            let broken = empty.faults.compactMap { $0 }
            note(
                "survives an empty store", broken.isEmpty,
                broken.isEmpty
                    ? "trained; \(empty.columns.joined().filter { $0 == nil }.count) values missing, none invented"
                    : broken.joined(separator: "; "))
        } catch {
            note("survives an empty store", false, "\(error)")
        }
        r.stop()

        // A snapshot trained by another version of the plugin must be refused, with a clear error.
        let models = SnapshotStore(folder: scratch)
        if let info = models.current(manifest.name) {
            let meta = JSON.object([
                ("plugin", .string(manifest.name)), ("plugin_version", .string(manifest.version + "-other")),
                ("version", .string(info.version)), ("created_at", .number(Double(info.createdAt))),
            ])
            try? (meta.text + "\n").write(toFile: info.path + "/snapshot.json", atomically: true, encoding: .utf8)
            r = registry()
            let fault = r.start()[manifest.name]
            let clear = fault?.message.contains(manifest.version + "-other") == true
            note(
                "refuses a snapshot of another version", clear,
                fault.map { "\($0)" } ?? "the snapshot was loaded")
            r.stop()
        }
        return results
    }
}
