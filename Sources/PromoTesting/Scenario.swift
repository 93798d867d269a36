import Foundation
public import PromoCore
import PromoDSL
import PromoTesting

/// A deterministic random generator for scenarios.
public typealias SplitMix = SplitMix64

extension SplitMix64 {
    public init(seed: Int) { self.init(seed: UInt64(bitPattern: Int64(seed))) }
}

/// A random but reproducible world: catalog, campaigns (as YAML texts), cart, channel, model outputs.
/// Property tests of the engine and the explain module generate their cases with it.
public struct Scenario: Sendable {
    public static let categories = ["coats", "tops", "socks", "juice", "coffee", "snacks"]
    public static let brands = ["north", "fold", "sunny"]
    public static let segments = ["loyal", "new", "lapsed", "bargain"]

    public var catalog: Catalog
    public var skus: [CatalogItem]
    public var campaigns: [String]
    /// The same campaigns with their offers listed in another order.
    public var campaignsReordered: [String]
    public var lines: [CartLine]
    public var channel: String
    public var models: FixtureModelOutputs
    public var shipping: Int64

    public init(seed: Int) {
        var g = SplitMix(seed: seed)
        var items: [CatalogItem] = []
        for i in 0..<40 {
            let price = Int64.random(in: 1_00...300_00, using: &g)
            items.append(
                CatalogItem(
                    sku: "S\(i)", category: Self.categories[i % Self.categories.count], brand: Self.brands[i % 3],
                    price: price,
                    cost: price * Int64.random(in: 30...90, using: &g) / 100, stock: Int.random(in: 0...5, using: &g)))
        }
        skus = items
        catalog = Catalog(items)
        var customerOutputs: [String: Value] = ["customer.segment": .string(Self.segments.randomElement(using: &g)!)]
        if Bool.random(using: &g) {
            customerOutputs["uplift.score"] = .number(Double.random(in: 0...0.2, using: &g))
            customerOutputs["uplift.propensity"] = .number(Double.random(in: 0.05...0.8, using: &g))
        }
        var itemOutputs: [String: [String: Value]] = [:]
        var customerItems: [String: [String: Value]] = [:]
        for item in items where Int.random(in: 0..<10, using: &g) < 8 {
            itemOutputs[item.sku] = [
                "forecast.days_of_cover": .number(Double.random(in: 0...150, using: &g)),
                "pricing.discount": .percent(Int64.random(in: 0...40, using: &g) * 10_000),
            ]
            customerItems[item.sku] = ["recommend.score": .number(Double.random(in: 0...1, using: &g))]
        }
        models = FixtureModelOutputs(
            customers: ["c-1": customerOutputs], items: itemOutputs, customerItems: ["c-1": customerItems])
        channel = ["web", "app", "store"].randomElement(using: &g)!
        shipping = [0, 8_00, 15_00].randomElement(using: &g)!
        var lines: [CartLine] = []
        for (n, item) in items.shuffled(using: &g).prefix(Int.random(in: 1...8, using: &g)).enumerated() {
            lines.append(
                CartLine(id: "L\(n)", sku: item.sku, quantity: Int.random(in: 1...4, using: &g), unitPrice: item.price))
        }
        self.lines = lines
        var campaigns: [String] = []
        var reordered: [String] = []
        for c in 0..<Int.random(in: 2...7, using: &g) {
            var offers: [String] = []
            for o in 0..<Int.random(in: 1...4, using: &g) { offers.append(Self.offer("c\(c)o\(o)", &g, items)) }
            let group = ["seasonal", "basket", "flat", "perks", nil].randomElement(using: &g)!
            var extra = "priority: \(Int.random(in: 0...3, using: &g))\n"
            if Int.random(in: 0..<5, using: &g) == 0 { extra += "exclusive: true\n" }
            if Bool.random(using: &g) {
                extra +=
                    "budget: { total: \(Int.random(in: 20...400, using: &g)) CNY, per_customer: \(Int.random(in: 1...3, using: &g)) }\n"
            }
            if Bool.random(using: &g) { extra += "weight: \(Double(Int.random(in: 5...20, using: &g)) / 10)\n" }
            campaigns.append(
                RulesFixture.campaign("camp\(c)", group: group, extra: extra, offers: offers.joined(separator: "\n")))
            reordered.append(
                RulesFixture.campaign(
                    "camp\(c)", group: group, extra: extra, offers: offers.reversed().joined(separator: "\n")))
        }
        self.campaigns = campaigns
        self.campaignsReordered = reordered
    }

    static func condition(_ g: inout SplitMix, item: Bool) -> String? {
        let cats = categories.shuffled(using: &g)
        if item {
            return [
                nil, "item.category == \"\(cats[0])\"", "item.category in [\"\(cats[0])\", \"\(cats[1])\"]",
                "item.brand == \"\(brands.randomElement(using: &g)!)\"",
                "forecast.days_of_cover(item) > \(Int.random(in: 10...100, using: &g))",
                "recommend.score(item) >= 0.\(Int.random(in: 1...9, using: &g)) and item.category != \"\(cats[2])\"",
                // An indexed conjunct with others around it (evaluation runs only the others on
                // the lines the index admits).
                "item.category == \"\(cats[0])\" and forecast.days_of_cover(item) > \(Int.random(in: 10...100, using: &g))",
                "recommend.score(item) >= 0.\(Int.random(in: 1...9, using: &g)) and item.category in [\"\(cats[0])\", \"\(cats[1])\"]",
                "item.brand == \"\(brands.randomElement(using: &g)!)\" and item.category == \"\(cats[0])\" and item.sku != \"none\"",
                "item.sku != \"none\" and (recommend.score(item) >= 0.\(Int.random(in: 1...9, using: &g)) and item.brand == \"\(brands.randomElement(using: &g)!)\")",
            ].randomElement(using: &g)!
        }
        return [
            nil, "channel == \"web\"", "channel in [\"app\", \"web\"]",
            "customer.segment in [\"\(segments[0])\", \"\(segments[1])\"]",
            "cart.subtotal >= \(Int.random(in: 10...400, using: &g)) CNY", "uplift.score() > 0.05",
            "count(cart.items, item.category == \"\(cats[0])\") >= 2",
        ].randomElement(using: &g)!
    }

    static func offer(_ id: String, _ g: inout SplitMix, _ items: [CatalogItem]) -> String {
        var fields = ["id: \(id)"]
        let kind = OfferKind.names.randomElement(using: &g)!
        fields.append("kind: \(kind)")
        let cat = categories.randomElement(using: &g)!
        switch kind {
        case "percent_off":
            fields.append(
                Bool.random(using: &g)
                    ? "percent: \(Int.random(in: 5...60, using: &g))%"
                    : "percent: \"clamp(pricing.discount(item), 5%, 30%)\"")
        case "amount_off": fields.append("amount: \(Int.random(in: 1...80, using: &g)) CNY")
        case "fixed_price": fields.append("price: \(Int.random(in: 5...150, using: &g)) CNY")
        case "spend_threshold":
            let a = Int.random(in: 50...300, using: &g)
            fields.append("tiers: [{ spend: \(a) CNY, off: \(a / 8) CNY }, { spend: \(a * 2) CNY, percent: 15% }]")
            fields.append("nudge_within: 60 CNY")
        case "bundle":
            fields.append(
                "items: [{ sku: \"\(items.randomElement(using: &g)!.sku)\" }, { match: item.category == \"\(cat)\", quantity: \(Int.random(in: 1...2, using: &g)) }]"
            )
            fields.append(Bool.random(using: &g) ? "price: \(Int.random(in: 20...200, using: &g)) CNY" : "percent: 20%")
        case "buy_x_get_y":
            fields.append("buy: { match: item.category == \"\(cat)\", quantity: \(Int.random(in: 1...3, using: &g)) }")
            fields.append("get: { quantity: 1, percent: \([50, 100].randomElement(using: &g)!)% }")
            fields.append("cheapest_first: \(Bool.random(using: &g))")
        case "gift": fields.append("sku: \"\(items.randomElement(using: &g)!.sku)\"")
        default: fields.append("max_shipping: \(Int.random(in: 5...20, using: &g)) CNY")
        }
        if ["percent_off", "amount_off", "fixed_price", "spend_threshold"].contains(kind),
            let c = condition(&g, item: true)
        {
            fields.append("applies_to: '\(c)'")
        }
        if let c = condition(&g, item: false) { fields.append("when: '\(c)'") }
        if Int.random(in: 0..<4, using: &g) == 0 {
            fields.append("margin_floor: \(Int.random(in: 5...40, using: &g))%")
        }
        if Int.random(in: 0..<4, using: &g) == 0 {
            fields.append("max_discount: \(Int.random(in: 5...100, using: &g)) CNY")
        }
        if ["percent_off", "amount_off", "fixed_price"].contains(kind), Bool.random(using: &g) {
            fields.append("max_items: \(Int.random(in: 1...3, using: &g))")
        }
        return "  - " + fields.joined(separator: "\n    ")
    }

    public func request(lines: [CartLine]? = nil, id: String = "d-1", customer: String = "c-1") -> DecisionRequest {
        RulesFixture.request(lines ?? self.lines, customer: customer, channel: channel, shipping: shipping, id: id)
    }
}
