import PromoYAML

extension NodeReader {
    /// Reads a campaign file; nil when it is too broken to hold a campaign id.
    mutating func campaign(_ root: Node?, currency: String) -> Campaign? {
        guard let root else {
            emptyFile("campaign file", hint: "start with promo: 1 and campaign: <id>")
            return nil
        }
        guard let f = fields(root, as: "campaign", what: "a campaign") else { return nil }
        version(f, key: "promo")
        guard let idNode = f("campaign"), let id = identifier(idNode, what: "campaign id") else {
            // Still read the offers so that their problems are reported in the same pass.
            if let offers = f("offers") { _ = self.offers(offers, currency: currency) }
            return nil
        }
        var c = Campaign(
            file: file, id: id, idSpan: span(idNode), description: nil, schedule: nil, holdout: nil, budget: nil,
            group: nil, groupSpan: nil, priority: 0, exclusive: false, weight: 1, lets: [], offers: [])
        if let n = f("description") { c.description = text(n, what: "a description") }
        if let n = f("schedule") { c.schedule = schedule(n) }
        if let n = f("holdout") { c.holdout = percent(n, what: "holdout") }
        if f("holdout") == nil || c.holdout?.partsPerMillion == 0 {
            bag.add(
                .noHoldout, "campaign '\(id)' has no holdout, so its effect cannot be measured", at: c.idSpan,
                hint: "add holdout: 5%")
        }
        if let n = f("budget"), let b = fields(n, as: "budget", what: "budget") {
            var budget = Budget()
            if let t = b("total") { budget.total = money(t, what: "budget total", currency: currency) }
            if let p = b("per_customer") { budget.perCustomer = integer(p, what: "per_customer", range: 1...1_000_000) }
            c.budget = budget
        }
        if let n = f("group") {
            c.group = identifier(n, what: "group name")
            c.groupSpan = span(n)
        }
        if let n = f("priority") { c.priority = integer(n, what: "priority", range: -1_000_000...1_000_000) ?? 0 }
        if let n = f("exclusive") { c.exclusive = bool(n, what: "exclusive") ?? false }
        if let n = f("weight") {
            if let w = number(n, what: "weight") {
                if w < 0 || w > 1000 {
                    bag.add(.invalidValue, "weight must be from 0 to 1000, not \(w)", at: span(n))
                } else {
                    c.weight = w
                }
            }
        }
        if let n = f("let"), let pairs = mappingPairs(n, what: "let") {
            for pair in pairs {
                guard let name = identifier(pair.key, what: "let name") else { continue }
                if name.contains("-") || name.contains(".") || Lexer.keywords.contains(name) {
                    bag.add(
                        .invalidValue, "'\(name)' cannot be a let name", at: span(pair.key),
                        hint: "use letters, digits and '_'; not a keyword")
                    continue
                }
                guard let e = expression(pair.value, what: "a let expression") else { continue }
                c.lets.append(LetBinding(name: name, expr: e, nameSpan: span(pair.key), needsItem: false))
            }
        }
        if let n = f("offers") { c.offers = offers(n, currency: currency) }
        return c
    }

    mutating func schedule(_ node: Node) -> Schedule? {
        guard let f = fields(node, as: "schedule", what: "schedule") else { return nil }
        var s = Schedule(starts: nil, ends: nil, timeZone: nil, days: [], hours: nil, span: span(node))
        if let n = f("time_zone"), let tz = text(n, what: "a time zone") {
            if TimeZones.isKnown(tz) {
                s.timeZone = tz
            } else {
                bag.add(
                    .invalidValue, "unknown time zone '\(tz)'", at: span(n),
                    hint: Suggestions.hint(for: tz, in: TimeZones.common) ?? "use an IANA name such as Asia/Shanghai")
            }
        }
        for key in ["starts", "ends"] {
            guard let n = f(key), let v = scalar(n, what: key) else { continue }
            guard let d = DateTimeValue.parse(v.value) else {
                bag.add(
                    .invalidValue, "'\(v.value)' is not a date-time", at: span(n), hint: "write 2026-12-01T00:00+08:00")
                continue
            }
            if d.offsetSeconds == nil && f("time_zone") == nil {
                bag.add(
                    .missingTimeZone, "'\(v.value)' has no time zone", at: span(n),
                    hint: "add an offset (\(v.value)\(d.hasTime ? "" : "T00:00")+08:00) or set schedule.time_zone")
                continue
            }
            if key == "starts" { s.starts = d } else { s.ends = d }
        }
        if let n = f("days"), let items = list(n, what: "days") {
            s.days = items.compactMap { enumeration($0, what: "day", ScheduleDays.all) }
        }
        if let n = f("hours"), let t = scalar(n, what: "hours") {
            if let r = Self.hoursRange(t.value) {
                s.hours = r
            } else {
                bag.add(.invalidValue, "'\(t.value)' is not a range of hours", at: span(n), hint: "write 18:00-22:00")
            }
        }
        return s
    }

    static func hoursRange(_ text: String) -> ClosedRange<Int>? {
        let parts = text.split(separator: "-")
        guard parts.count == 2 else { return nil }
        func minutes(_ p: Substring) -> Int? {
            let hm = p.trimmingCharactersSpaces.split(separator: ":")
            guard hm.count == 2, let h = Int(hm[0]), let m = Int(hm[1]), (0...24).contains(h), (0..<60).contains(m),
                h * 60 + m <= 1440
            else { return nil }
            return h * 60 + m
        }
        guard let a = minutes(parts[0]), let b = minutes(parts[1]), a < b else { return nil }
        return a...b
    }

    mutating func offers(_ node: Node, currency: String) -> [Offer] {
        guard let items = list(node, what: "offers") else { return [] }
        if items.isEmpty { bag.add(.missingKey, "a campaign needs at least one offer", at: span(node)) }
        return items.compactMap { offer($0, currency: currency) }
    }

    mutating func offer(_ node: Node, currency: String) -> Offer? {
        // Read the kind first: it decides which keys are allowed.
        var kindName: String?
        if let pairs = node.mapping, let kindNode = pairs.first(where: { $0.key.scalar?.value == "kind" })?.value {
            if let s = kindNode.scalar, OfferKind.names.contains(s.value) {
                kindName = s.value
            } else {
                let value = kindNode.scalar?.value ?? kindNode.shapeName
                bag.add(
                    .unknownOfferKind, "unknown offer kind '\(value)'", at: span(kindNode),
                    hint: Suggestions.hint(for: value, in: OfferKind.names) ?? "one of: "
                        + OfferKind.names.joined(separator: ", "))
                return nil
            }
        }
        let allowed = Vocabulary.commonOfferKeys + (kindName.flatMap { Vocabulary.kindKeys[$0] } ?? [])
        var foreign: [String: String] = [:]
        if let kindName {
            for (kind, keys) in Vocabulary.kindKeys where kind != kindName {
                for key in keys where !allowed.contains(key) {
                    foreign[key] = foreign[key].map { "\($0) and \(kind)" } ?? "\(kind) offers"
                }
            }
        }
        let what = kindName.map { "a \($0) offer" } ?? "an offer"
        guard
            let f = fields(
                node, as: "offer", what: what, allowed: allowed, foreign: foreign,
                required: kindName.flatMap { Vocabulary.kindRequired[$0] } ?? [])
        else { return nil }
        guard let kindName, let idNode = f("id"), let id = identifier(idNode, what: "offer id") else { return nil }
        var o = Offer(
            id: id, idSpan: span(idNode), title: nil, kind: .freeShipping(maxShipping: nil), kindSpan: span(f("kind")!),
            appliesTo: nil, when: nil, marginFloor: nil, maxDiscount: nil, priority: 0, onMissing: .skip,
            span: span(node))
        if let n = f("title") { o.title = text(n, what: "a title") }
        if let n = f("applies_to") { o.appliesTo = expression(n, what: "applies_to") }
        if let n = f("when") { o.when = expression(n, what: "when") }
        if let n = f("margin_floor") { o.marginFloor = percent(n, what: "margin_floor") }
        if let n = f("max_discount") { o.maxDiscount = money(n, what: "max_discount", currency: currency) }
        if let n = f("priority") { o.priority = integer(n, what: "priority", range: -1_000_000...1_000_000) ?? 0 }
        if let n = f("on_missing") {
            if let s = n.scalar {
                if s.value != "skip" {
                    bag.add(.invalidValue, "on_missing must be skip or { value: ... }, not '\(s.value)'", at: span(n))
                }
            } else if let m = fields(n, as: "on_missing", what: "on_missing"), let v = m("value"),
                let e = expression(v, what: "on_missing value")
            {
                o.onMissing = .value(e)
            }
        }
        let maxItems = f("max_items").flatMap { integer($0, what: "max_items", range: 1...1_000_000) }
        switch kindName {
        case "percent_off":
            guard let e = f("percent").flatMap({ expression($0, what: "percent") }) else { return nil }
            o.kind = .percentOff(percent: e, maxItems: maxItems)
        case "amount_off":
            guard let e = f("amount").flatMap({ expression($0, what: "amount") }) else { return nil }
            o.kind = .amountOff(amount: e, maxItems: maxItems)
        case "fixed_price":
            guard let e = f("price").flatMap({ expression($0, what: "price") }) else { return nil }
            o.kind = .fixedPrice(price: e, maxItems: maxItems)
        case "spend_threshold":
            var tiers: [Tier] = []
            for t in f("tiers").flatMap({ list($0, what: "tiers") }) ?? [] {
                guard let tf = fields(t, as: "tier", what: "a tier"),
                    let spend = tf("spend").flatMap({ money($0, what: "spend", currency: currency) })
                else { continue }
                let off = tf("off").flatMap { money($0, what: "off", currency: currency) }
                let pct = tf("percent").flatMap { percent($0, what: "percent") }
                if (off == nil) == (pct == nil) && tf("off") == nil && tf("percent") == nil {
                    bag.add(.missingKey, "a tier needs 'off' (money) or 'percent'", at: span(t))
                } else if tf("off") != nil && tf("percent") != nil {
                    bag.add(.invalidValue, "a tier has either 'off' or 'percent', not both", at: span(t))
                }
                if let off, off > spend {
                    bag.add(
                        .invalidValue, "tier takes \(off) off a spend of \(spend)", at: span(t),
                        hint: "the discount cannot exceed the threshold")
                }
                tiers.append(Tier(spend: spend, off: off, percent: pct, span: span(t)))
            }
            for (a, b) in zip(tiers, tiers.dropFirst()) where b.spend <= a.spend {
                bag.add(.invalidValue, "tiers must rise: \(b.spend) follows \(a.spend)", at: b.span)
            }
            let nudge = f("nudge_within").flatMap { money($0, what: "nudge_within", currency: currency) }
            o.kind = .spendThreshold(tiers: tiers, nudgeWithin: nudge)
        case "bundle":
            var items: [BundleItem] = []
            for t in f("items").flatMap({ list($0, what: "items") }) ?? [] {
                guard let bf = fields(t, as: "bundle_item", what: "a bundle item") else { continue }
                let sku = bf("sku").flatMap { text($0, what: "a sku") }
                let match = bf("match").flatMap { expression($0, what: "match") }
                if (bf("sku") == nil) == (bf("match") == nil) {
                    bag.add(.missingKey, "a bundle item needs either 'sku' or 'match'", at: span(t))
                }
                let q = bf("quantity").flatMap { integer($0, what: "quantity", range: 1...1000) } ?? 1
                items.append(BundleItem(sku: sku, match: match, quantity: q))
            }
            let price = f("price").flatMap { money($0, what: "bundle price", currency: currency) }
            let pct = f("percent").flatMap { percent($0, what: "bundle percent") }
            if f("price") == nil && f("percent") == nil {
                bag.add(.missingKey, "a bundle needs 'price' or 'percent'", at: span(node))
            }
            let maxBundles = f("max_bundles").flatMap { integer($0, what: "max_bundles", range: 1...1000) }
            o.kind = .bundle(items: items, price: price, percent: pct, maxBundles: maxBundles)
        case "buy_x_get_y":
            let buy = f("buy").flatMap { itemSet($0, what: "buy") } ?? ItemSet(match: nil, quantity: 1)
            var getPercent = PercentValue(partsPerMillion: 1_000_000)
            let get =
                f("get").flatMap { n -> ItemSet? in
                    if let p = n.mapping?.first(where: { $0.key.scalar?.value == "percent" })?.value,
                        let v = percent(p, what: "get percent")
                    {
                        getPercent = v
                    }
                    return itemSet(n, what: "get")
                } ?? ItemSet(match: nil, quantity: 1)
            let cheapest = f("cheapest_first").flatMap { bool($0, what: "cheapest_first") } ?? true
            let maxApps = f("max_applications").flatMap { integer($0, what: "max_applications", range: 1...1000) }
            o.kind = .buyXGetY(
                buy: buy, get: get, percent: getPercent, cheapestFirst: cheapest, maxApplications: maxApps)
        case "gift":
            guard let sku = f("sku").flatMap({ text($0, what: "a sku") }) else { return nil }
            let q = f("quantity").flatMap { integer($0, what: "quantity", range: 1...100) } ?? 1
            o.kind = .gift(sku: sku, quantity: q)
        default:
            o.kind = .freeShipping(
                maxShipping: f("max_shipping").flatMap { money($0, what: "max_shipping", currency: currency) })
        }
        return o
    }

    mutating func itemSet(_ node: Node, what: String) -> ItemSet? {
        guard let f = fields(node, as: "item_set", what: what) else { return nil }
        let match = f("match").flatMap { expression($0, what: "match") }
        let q = f("quantity").flatMap { integer($0, what: "quantity", range: 1...1000) } ?? 1
        if what == "buy", f("percent") != nil {
            bag.add(
                .unknownKey, "unknown key 'percent' in buy", at: f.keySpans["percent"]!,
                hint: "the percent off goes under get")
        }
        return ItemSet(match: match, quantity: q)
    }
}

extension Substring {
    var trimmingCharactersSpaces: Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
