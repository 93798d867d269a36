import PromoYAML

extension NodeReader {
    mutating func version(_ fields: Fields, key: String) {
        guard let node = fields(key) else { return }
        if let s = node.scalar, s.style == .plain, s.value == "1" { return }
        bag.add(
            .unsupportedVersion, "language version '\(node.scalar?.value ?? node.shapeName)' is not supported",
            at: span(node), hint: "this promo reads version 1: write \(key): 1")
    }

    /// Reads `promo.yaml`. Always returns a workspace (with defaults where a value was wrong) so
    /// that campaigns can still be checked against it.
    mutating func workspace(_ root: Node?) -> Workspace {
        var ws = Workspace(
            file: file, version: 1, currency: "CNY", rounding: .halfUp, groups: [],
            arbitration: Arbitration(objective: .incrementalProfit, maxOffersPerCustomer: 3), models: [])
        guard let root else {
            emptyFile("workspace file", hint: "start with promo: 1 and currency: CNY")
            return ws
        }
        guard let f = fields(root, as: "workspace", what: "the workspace file") else { return ws }
        version(f, key: "promo")
        if let n = f("currency"), let c = enumeration(n, what: "currency", Currencies.minorDigits.keys.sorted()) {
            ws.currency = c
        }
        if let n = f("rounding"), let r = enumeration(n, what: "rounding mode", RoundingMode.allCases.map(\.rawValue)) {
            ws.rounding = RoundingMode(rawValue: r)!
        }
        if let n = f("stacking"), let pairs = mappingPairs(n, what: "stacking") {
            for pair in pairs {
                guard let name = identifier(pair.key, what: "group name"),
                    let g = fields(pair.value, as: "group", what: "stacking group '\(name)'")
                else { continue }
                var group = StackingGroup(name: name, mode: .best, base: .original, span: span(pair.key))
                if let m = g("mode"),
                    let mode = enumeration(m, what: "stacking mode", StackingGroup.Mode.allCases.map(\.rawValue))
                {
                    group.mode = StackingGroup.Mode(rawValue: mode)!
                }
                if let b = g("base"),
                    let base = enumeration(b, what: "stacking base", StackingGroup.Base.allCases.map(\.rawValue))
                {
                    group.base = StackingGroup.Base(rawValue: base)!
                }
                if let d = g("description") { _ = text(d, what: "a description") }
                ws.groups.append(group)
            }
        }
        if let n = f("arbitration"), let a = fields(n, as: "arbitration", what: "arbitration") {
            if let o = a("objective"),
                let v = enumeration(o, what: "arbitration objective", Arbitration.Objective.allCases.map(\.rawValue))
            {
                ws.arbitration.objective = Arbitration.Objective(rawValue: v)!
            }
            if let m = a("max_offers_per_customer"), let v = integer(m, what: "max_offers_per_customer", range: 1...100)
            {
                ws.arbitration.maxOffersPerCustomer = v
            }
        }
        if let n = f("models"), let pairs = mappingPairs(n, what: "models") {
            for pair in pairs {
                guard let role = identifier(pair.key, what: "model role"),
                    let plugin = identifier(pair.value, what: "plugin name")
                else { continue }
                ws.models.append(ModelBinding(role: role, plugin: plugin, span: span(pair.value)))
            }
        }
        if let n = f("trace"), let t = fields(n, as: "trace", what: "trace") {
            if let s = t("salt"), let v = text(s, what: "a salt") { ws.trace.salt = v }
            if let k = t("keep"), let items = list(k, what: "keep") {
                ws.trace.keep = items.compactMap {
                    enumeration($0, what: "customer field", TraceSettings.personalFields)
                }
            }
        }
        return ws
    }

    mutating func mappingPairs(_ node: Node, what: String) -> [Node.Pair]? {
        guard let pairs = node.mapping else {
            bag.add(.wrongShape, "\(what) must be a mapping, not a \(node.shapeName)", at: span(node))
            return nil
        }
        return pairs
    }
}
