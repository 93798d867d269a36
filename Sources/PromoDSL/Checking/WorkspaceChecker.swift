/// Checks what crosses files: model bindings against manifests, campaign groups against the
/// workspace, unique ids, schedules, and every expression with the expression checker.
struct WorkspaceChecker {
    let workspace: Workspace?
    let manifests: [PluginManifest]
    let now: Int64
    var bag: DiagnosticBag
    var namespaces: [String: (binding: ModelBinding, manifest: PluginManifest)] = [:]
    var unbound: [String: String] = [:]

    init(workspace: Workspace?, manifests: [PluginManifest], now: Int64, bag: DiagnosticBag) {
        self.workspace = workspace
        self.manifests = manifests
        self.now = now
        self.bag = bag
    }

    mutating func checkBindings() {
        let knownRoles = Set(PluginManifest.roles + manifests.map(\.role))
        var boundRoles: Set<String> = []
        for binding in workspace?.models ?? [] {
            guard knownRoles.contains(binding.role) else {
                bag.add(
                    .unknownPlugin, "unknown model role '\(binding.role)'", at: binding.span,
                    hint: Suggestions.hint(for: binding.role, in: knownRoles))
                continue
            }
            guard let manifest = manifests.first(where: { $0.name == binding.plugin }) else {
                let hint =
                    Suggestions.hint(for: binding.plugin, in: manifests.map(\.name))
                    ?? (manifests.isEmpty
                        ? "no plugin manifests were found; pass --plugins DIR"
                        : "plugins found: " + manifests.map(\.name).joined(separator: ", "))
                bag.add(.unknownPlugin, "no plugin named '\(binding.plugin)'", at: binding.span, hint: hint)
                continue
            }
            guard manifest.role == binding.role else {
                bag.add(
                    .roleMismatch,
                    "plugin '\(manifest.name)' serves the role '\(manifest.role)', not '\(binding.role)'",
                    at: binding.span,
                    notes: [.init("its role is declared here", at: manifest.span.location)])
                continue
            }
            boundRoles.insert(binding.role)
            namespaces[manifest.namespace] = (binding, manifest)
        }
        for role in knownRoles where !boundRoles.contains(role) {
            unbound[role] = role
            for m in manifests
            where m.role == role && namespaces[m.namespace] == nil && !ContextSchema.namespaces.contains(m.namespace) {
                unbound[m.namespace] = role
            }
        }
        // Profile fields live under `customer.`; an unbound profile role makes `customer.segment` a configuration error.
        for m in manifests where !boundRoles.contains(m.role) && ContextSchema.namespaces.contains(m.namespace) {
            for fn in m.functions where ContextSchema.byPath["\(m.namespace).\(fn.name)"] == nil {
                unboundFields["\(m.namespace).\(fn.name)"] = m.role
            }
        }
    }

    var unboundFields: [String: String] = [:]

    mutating func check(_ c: inout Campaign) {
        guard let workspace else { return checkExpressions(&c, currency: "CNY") }
        if let group = c.group, !workspace.groups.contains(where: { $0.name == group }) {
            bag.add(
                .unknownGroup, "unknown stacking group '\(group)'", at: c.groupSpan ?? c.idSpan,
                hint: Suggestions.hint(for: group, in: workspace.groups.map(\.name))
                    ?? "declare it under stacking: in promo.yaml")
        }
        checkSchedule(c)
        checkExpressions(&c, currency: workspace.currency)
    }

    private mutating func checkSchedule(_ c: Campaign) {
        guard let s = c.schedule else { return }
        func epoch(_ d: DateTimeValue?) -> Int64? {
            guard let d else { return nil }
            if let e = d.epochSeconds() { return e }
            return s.timeZone.flatMap { TimeZones.offset($0, at: d) }.flatMap { d.epochSeconds(offset: $0) }
        }
        let start = epoch(s.starts)
        let end = epoch(s.ends)
        if let start, let end, end <= start {
            bag.add(.invalidSchedule, "the schedule ends (\(s.ends!)) before it starts (\(s.starts!))", at: s.span)
        } else if let end, end < now {
            bag.add(
                .campaignEnded, "campaign '\(c.id)' ended at \(s.ends!)", at: s.span,
                hint: "remove it or move its end date")
        }
    }

    private mutating func checkExpressions(_ c: inout Campaign, currency: String) {
        var checker = ExpressionChecker(
            currency: currency, namespaces: namespaces, unboundNamespaces: unbound, bag: bag)
        checker.unboundFields = unboundFields
        var scope = ExpressionChecker.Scope(itemInScope: true, place: "a let binding")
        scope.laterLets = Set(c.lets.map(\.name))
        for i in c.lets.indices {
            scope.laterLets.remove(c.lets[i].name)
            let needs = checker.check(&c.lets[i].expr, expecting: nil, scope: scope, what: "let '\(c.lets[i].name)'")
            c.lets[i].needsItem = needs
            scope.lets[c.lets[i].name] = .init(type: c.lets[i].expr.type, needsItem: needs, span: c.lets[i].nameSpan)
        }
        var itemScope = scope
        itemScope.place = "'applies_to'"
        var whenScope = scope
        whenScope.itemInScope = false
        whenScope.place = "'when'"
        var never: [(Offer, Expr, String)] = []
        for i in c.offers.indices {
            var o = c.offers[i]
            if var e = o.appliesTo {
                checker.check(&e, expecting: .bool, scope: itemScope, what: "applies_to")
                if ConstantFolding.bool(e) == false { never.append((o, e, "applies_to")) }
                o.appliesTo = e
            }
            if var e = o.when {
                checker.check(&e, expecting: .bool, scope: whenScope, what: "when")
                if ConstantFolding.bool(e) == false { never.append((o, e, "when")) }
                o.when = e
            }
            var valueScope = itemScope
            valueScope.place = "the offer's value"
            switch o.kind {
            case .percentOff(var p, let m):
                checker.check(&p, expecting: .percent, scope: valueScope, what: "percent")
                o.kind = .percentOff(percent: p, maxItems: m)
            case .amountOff(var a, let m):
                checker.check(&a, expecting: .money, scope: valueScope, what: "amount")
                o.kind = .amountOff(amount: a, maxItems: m)
            case .fixedPrice(var p, let m):
                checker.check(&p, expecting: .money, scope: valueScope, what: "price")
                o.kind = .fixedPrice(price: p, maxItems: m)
            case .bundle(var items, let price, let pct, let mb):
                for j in items.indices {
                    if var e = items[j].match {
                        checker.check(&e, expecting: .bool, scope: itemScope, what: "match")
                        items[j].match = e
                    }
                }
                o.kind = .bundle(items: items, price: price, percent: pct, maxBundles: mb)
            case .buyXGetY(var buy, var get, let pct, let cf, let ma):
                if var e = buy.match {
                    checker.check(&e, expecting: .bool, scope: itemScope, what: "buy match")
                    buy.match = e
                }
                if var e = get.match {
                    checker.check(&e, expecting: .bool, scope: itemScope, what: "get match")
                    get.match = e
                }
                o.kind = .buyXGetY(buy: buy, get: get, percent: pct, cheapestFirst: cf, maxApplications: ma)
            case .spendThreshold, .gift, .freeShipping:
                break
            }
            if case .value(var e) = o.onMissing {
                checker.check(&e, expecting: nil, scope: valueScope, what: "on_missing value")
                o.onMissing = .value(e)
            }
            c.offers[i] = o
        }
        for l in c.lets where !checker.usedLets.contains(l.name) {
            checker.bag.add(
                .unusedLet, "let '\(l.name)' is never used", at: l.nameSpan, hint: "remove it, or use it in an offer")
        }
        bag = checker.bag
        for (o, e, field) in never {
            bag.add(.neverApplies, "offer '\(o.id)' can never apply: its \(field) is always false", at: e.span)
        }
    }

    mutating func checkUniqueness(_ campaigns: [Campaign]) {
        var campaignIDs: [String: SourceSpan] = [:]
        var offerIDs: [String: SourceSpan] = [:]
        for c in campaigns {
            unique("campaign", c.id, c.idSpan, in: &campaignIDs)
            for o in c.offers { unique("offer", o.id, o.idSpan, in: &offerIDs) }
        }
    }

    private mutating func unique(_ what: String, _ id: String, _ span: SourceSpan, in seen: inout [String: SourceSpan])
    {
        if let first = seen[id] {
            bag.add(
                .duplicateID, "\(what) id '\(id)' is used twice", at: span,
                notes: [.init("first used here", at: first.location)])
        } else {
            seen[id] = span
        }
    }
}
