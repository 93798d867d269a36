/// The keys each mapping of the rules files allows, with their shapes. One table serves the
/// readers (unknown and missing keys, "did you mean") and the JSON Schema that `promo schema` prints.
public indirect enum Shape: Sendable, Hashable {
    case text
    case identifier
    case integer
    case number
    case boolean
    case percent
    case money
    case dateTime
    /// An expression of the rules language, written as a scalar.
    case expression
    case enumeration([String])
    /// A mapping described by another vocabulary entry.
    case object(String)
    case list(Shape)
    /// A mapping from free names to values of one shape.
    case dictionary(Shape)
    /// One of several shapes.
    case either([Shape])
}

/// One allowed key.
public struct KeySpec: Sendable, Hashable {
    public var name: String
    public var shape: Shape
    public var required: Bool
    public var summary: String

    init(_ name: String, _ shape: Shape, required: Bool = false, _ summary: String) {
        self.name = name
        self.shape = shape
        self.required = required
        self.summary = summary
    }
}

/// The rules language's vocabulary, by mapping name.
public enum Vocabulary {
    public static let offerKinds = OfferKind.names

    public static let objects: [String: [KeySpec]] = [
        "workspace": [
            KeySpec("promo", .integer, required: true, "language version; 1"),
            KeySpec(
                "currency", .enumeration(Currencies.minorDigits.keys.sorted()), required: true,
                "ISO 4217 currency of every amount"),
            KeySpec(
                "rounding", .enumeration(RoundingMode.allCases.map(\.rawValue)),
                "rounding to the minor unit; default half_up"),
            KeySpec("stacking", .dictionary(.object("group")), "stacking groups by name"),
            KeySpec("arbitration", .object("arbitration"), "how eligible offers are ranked"),
            KeySpec("models", .dictionary(.identifier), "which plugin serves each model role"),
            KeySpec("trace", .object("trace"), "what decision traces may hold"),
        ],
        "trace": [
            KeySpec("salt", .text, "salt of the hashed customer id in traces; set one per workspace"),
            KeySpec(
                "keep", .list(.enumeration(TraceSettings.personalFields)),
                "customer fields traces keep as they are; every other is erased (the id hashed)"),
        ],
        "group": [
            KeySpec(
                "mode", .enumeration(StackingGroup.Mode.allCases.map(\.rawValue)), required: true,
                "best, stack or first"),
            KeySpec(
                "base", .enumeration(StackingGroup.Base.allCases.map(\.rawValue)),
                "original (default) or discounted prices"),
            KeySpec("description", .text, "what the group is for"),
        ],
        "arbitration": [
            KeySpec(
                "objective", .enumeration(Arbitration.Objective.allCases.map(\.rawValue)), "default incremental_profit"),
            KeySpec("max_offers_per_customer", .integer, "offers one decision may give; default 3"),
        ],
        "campaign": [
            KeySpec("promo", .integer, required: true, "language version; 1"),
            KeySpec("campaign", .identifier, required: true, "campaign id, unique in the workspace"),
            KeySpec("description", .text, "what the campaign is for"),
            KeySpec("schedule", .object("schedule"), "when it runs"),
            KeySpec("holdout", .percent, "share of customers kept as a control group, e.g. 5%"),
            KeySpec("budget", .object("budget"), "money and count limits"),
            KeySpec("group", .identifier, "stacking group from promo.yaml"),
            KeySpec("priority", .integer, "higher runs first in stack and first groups; default 0"),
            KeySpec("exclusive", .boolean, "when given, no other offer is; default false"),
            KeySpec("weight", .number, "arbitration lever multiplying expected profit; default 1"),
            KeySpec("let", .dictionary(.expression), "named expressions for the offers"),
            KeySpec("offers", .list(.object("offer")), required: true, "the offers"),
        ],
        "schedule": [
            KeySpec("starts", .dateTime, "first instant, e.g. 2026-12-01T00:00+08:00"),
            KeySpec("ends", .dateTime, "last instant"),
            KeySpec("time_zone", .text, "IANA zone for local times, e.g. Asia/Shanghai"),
            KeySpec("days", .list(.enumeration(ScheduleDays.all)), "days of the week it runs"),
            KeySpec("hours", .text, "local hours it runs, e.g. 18:00-22:00"),
        ],
        "budget": [
            KeySpec("total", .money, "money the campaign may give away"),
            KeySpec("per_customer", .integer, "times one customer may receive it"),
        ],
        "offer": [
            KeySpec("id", .identifier, required: true, "offer id, unique in the workspace"),
            KeySpec("kind", .enumeration(OfferKind.names), required: true, "what the offer does"),
            KeySpec("title", .text, "shown to customers"),
            KeySpec("applies_to", .expression, "which items it covers (item in scope)"),
            KeySpec("when", .expression, "whether this customer and cart qualify"),
            KeySpec("margin_floor", .percent, "never sell a covered item below this margin"),
            KeySpec("max_discount", .money, "cap on the discount per decision"),
            KeySpec("priority", .integer, "order within the campaign; default 0"),
            KeySpec(
                "on_missing", .either([.enumeration(["skip"]), .object("on_missing")]), "when a model output is missing"
            ),
            KeySpec("percent", .expression, "the percentage off, e.g. 10%"),
            KeySpec("amount", .expression, "amount_off: money off each item"),
            KeySpec("price", .either([.expression, .money]), "fixed_price: the price; bundle: the bundle price"),
            KeySpec("max_items", .integer, "units the offer may discount"),
            KeySpec("tiers", .list(.object("tier")), "spend_threshold tiers"),
            KeySpec("nudge_within", .money, "spend_threshold: suggest the next tier within this amount"),
            KeySpec("items", .list(.object("bundle_item")), "bundle components"),
            KeySpec("max_bundles", .integer, "bundle: most bundles per cart"),
            KeySpec("buy", .object("item_set"), "buy_x_get_y: what to buy"),
            KeySpec("get", .object("item_set"), "buy_x_get_y: what is discounted"),
            KeySpec("cheapest_first", .boolean, "buy_x_get_y: discount the cheapest items; default true"),
            KeySpec("max_applications", .integer, "buy_x_get_y: most applications per cart"),
            KeySpec("sku", .text, "gift: the gift's sku"),
            KeySpec("quantity", .integer, "gift: how many"),
            KeySpec("max_shipping", .money, "free_shipping: cap on the waived fee"),
        ],
        "on_missing": [KeySpec("value", .expression, required: true, "value to use instead")],
        "tier": [
            KeySpec("spend", .money, required: true, "matching subtotal to reach"),
            KeySpec("off", .money, "money off at this tier"),
            KeySpec("percent", .percent, "percent off at this tier"),
        ],
        "bundle_item": [
            KeySpec("sku", .text, "a specific sku"),
            KeySpec("match", .expression, "or any item matching this (item in scope)"),
            KeySpec("quantity", .integer, "how many; default 1"),
        ],
        "item_set": [
            KeySpec("match", .expression, "which items count (item in scope)"),
            KeySpec("quantity", .integer, required: true, "how many"),
            KeySpec("percent", .percent, "get: percent off; default 100%"),
        ],
        "manifest": [
            KeySpec("plugin", .integer, required: true, "manifest format version; 1"),
            KeySpec("name", .identifier, required: true, "plugin name, bound in promo.yaml"),
            KeySpec(
                "role", .identifier, required: true, "forecast, recommend, pricing, profile, uplift or a custom role"),
            KeySpec("version", .text, required: true, "plugin version"),
            KeySpec("description", .text, "what it does"),
            KeySpec("namespace", .identifier, "prefix in rules; default the role"),
            KeySpec("functions", .list(.object("function")), required: true, "typed functions it serves"),
            KeySpec("trains_on", .list(.identifier), "store tables it learns from"),
            KeySpec("runtime", .object("runtime"), required: true, "builtin or command"),
            KeySpec("settings", .dictionary(.object("setting")), "typed settings with defaults"),
        ],
        "function": [
            KeySpec("name", .identifier, required: true, "function name"),
            KeySpec("params", .list(.object("param")), "typed parameters"),
            KeySpec("result", .text, required: true, "result type"),
            KeySpec(
                "per", .enumeration(ModelFunction.Scope.allCases.map(\.rawValue)), required: true, "what it varies by"),
            KeySpec("field", .boolean, "read without parentheses, like customer.segment"),
            KeySpec("description", .text, "what it returns"),
        ],
        "param": [
            KeySpec("name", .identifier, required: true, "parameter name"),
            KeySpec("type", .text, required: true, "parameter type"),
        ],
        "runtime": [
            KeySpec("builtin", .text, "Swift type name of an in-process plugin"),
            KeySpec("command", .list(.text), "program and arguments of a stdio plugin"),
            KeySpec("working_directory", .text, "relative to the plugin folder"),
            KeySpec("environment", .dictionary(.text), "extra environment variables"),
            KeySpec("deadline", .text, "per-call deadline, e.g. 50ms"),
            KeySpec("max_batch", .integer, "most rows per predict call"),
        ],
        "setting": [
            KeySpec("type", .text, required: true, "setting type"),
            KeySpec("default", .text, "default value"),
            KeySpec("description", .text, "what it changes"),
        ],
    ]

    /// Keys each offer kind allows besides the common ones.
    public static let kindKeys: [String: [String]] = [
        "percent_off": ["percent", "max_items"],
        "amount_off": ["amount", "max_items"],
        "fixed_price": ["price", "max_items"],
        "spend_threshold": ["tiers", "nudge_within"],
        "bundle": ["items", "price", "percent", "max_bundles"],
        "buy_x_get_y": ["buy", "get", "cheapest_first", "max_applications"],
        "gift": ["sku", "quantity"],
        "free_shipping": ["max_shipping"],
    ]

    /// Keys every offer allows.
    public static let commonOfferKeys = [
        "id", "kind", "title", "applies_to", "when", "margin_floor", "max_discount", "priority", "on_missing",
    ]

    /// Keys each kind requires.
    public static let kindRequired: [String: [String]] = [
        "percent_off": ["percent"], "amount_off": ["amount"], "fixed_price": ["price"], "spend_threshold": ["tiers"],
        "bundle": ["items"], "buy_x_get_y": ["buy", "get"], "gift": ["sku"], "free_shipping": [],
    ]
}

enum ScheduleDays {
    static let all = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
}
