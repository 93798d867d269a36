public import PromoCore
public import PromoPlugins

/// The contract of an in-process `ModelPlugin`, as a reusable check any plugin can run:
/// `#expect(await PluginConformance.failures(MyModel.self, store: store, skus: skus) == [])`.
///
/// Checks: training is deterministic (same snapshot twice); a batch answers what single items
/// answer; the answers have the asked shape; an empty store trains and predicts without throwing;
/// a snapshot of another format or of another plugin is refused with a `SnapshotError` naming it.
public enum PluginConformance {
    public static func failures<P: ModelPlugin>(
        _ type: P.Type, settings: [String: String] = [:], store: StoreData, customer: String = "c-1", skus: [String],
        calls: [PredictRequest.Call]
    ) async -> [String] {
        var failed: [String] = []
        func check(_ ok: Bool, _ what: String) { if !ok { failed.append(what) } }
        do {
            let a = try await P(settings: settings).train(on: store)
            let b = try await P(settings: settings).train(on: store)
            check(a.payload == b.payload && a.version == b.version, "training twice gives the same snapshot")
            var model = P(settings: settings)
            try model.load(a)
            let request = PredictRequest(customerID: customer, skus: skus, calls: calls)
            let together = try model.predict(request)
            check(
                together.count == calls.count && together.indices.allSatisfy { together[$0].count == request.rows($0) },
                "a batch answers one column per call with one value per row")
            for (k, sku) in skus.enumerated() {
                let alone = try model.predict(PredictRequest(customerID: customer, skus: [sku], calls: calls))
                for c in calls.indices where alone[c].first ?? nil != together[c][calls[c].perItem ? k : 0] {
                    failed.append("\(calls[c].function) for \(sku): a batch answers what a single item answers")
                }
            }
            var other = a
            other.format += 1
            do {
                var m = P(settings: settings)
                try m.load(other)
                failed.append("a snapshot of another format is refused")
            } catch let e as SnapshotError {
                check(e.message.contains("format \(other.format)"), "the refusal names the snapshot's format")
            }
            var foreign = a
            foreign.plugin = "Not" + P.builtinName
            do {
                var m = P(settings: settings)
                try m.load(foreign)
                failed.append("a snapshot of another plugin is refused")
            } catch let e as SnapshotError {
                check(e.message.contains(foreign.plugin), "the refusal names the other plugin")
            }
        } catch {
            failed.append("trains, loads and predicts without throwing: \(error)")
        }
        do {
            let empty = try await P(settings: settings).train(on: StoreData(currency: store.currency))
            var model = P(settings: settings)
            try model.load(empty)
            let answer = try model.predict(PredictRequest(customerID: customer, skus: skus, calls: calls))
            check(answer.count == calls.count, "an empty store trains and predicts")
        } catch {
            failed.append("an empty store trains and predicts: \(error)")
        }
        return failed
    }
}
