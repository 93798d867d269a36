/// A field of the decision context that rules can read, such as `cart.subtotal`.
public struct ContextField: Sendable, Hashable {
    /// `customer`, `item`, `cart`, or empty for top-level names (`now`, `channel`).
    public var namespace: String
    public var name: String
    public var type: ValueType
    public var summary: String

    public var path: String { namespace.isEmpty ? name : "\(namespace).\(name)" }
    /// Whether the field reads the item in scope (`applies_to`, value expressions, predicates).
    public var needsItem: Bool { namespace == "item" }
}

/// The fields the engine supplies for every decision. Plugins add more through their manifests
/// (for example the profile plugin's `customer.segment`).
public enum ContextSchema {
    public static let fields: [ContextField] = [
        ContextField(namespace: "", name: "now", type: .dateTime, summary: "the decision's time"),
        ContextField(namespace: "", name: "channel", type: .string, summary: "sales channel: web, app, store, ..."),
        ContextField(namespace: "customer", name: "id", type: .string, summary: "customer id"),
        ContextField(namespace: "customer", name: "is_employee", type: .bool, summary: "staff account"),
        ContextField(namespace: "customer", name: "tier", type: .string, summary: "loyalty tier"),
        ContextField(namespace: "customer", name: "country", type: .string, summary: "ISO country code"),
        ContextField(namespace: "customer", name: "tags", type: .list(.string), summary: "CRM tags"),
        ContextField(namespace: "customer", name: "orders", type: .number, summary: "number of past orders"),
        ContextField(namespace: "customer", name: "lifetime_value", type: .money, summary: "total spend to date"),
        ContextField(namespace: "customer", name: "first_order_at", type: .dateTime, summary: "first order time"),
        ContextField(namespace: "customer", name: "last_order_at", type: .dateTime, summary: "latest order time"),
        ContextField(namespace: "item", name: "sku", type: .string, summary: "stock-keeping unit"),
        ContextField(namespace: "item", name: "title", type: .string, summary: "product title"),
        ContextField(namespace: "item", name: "category", type: .string, summary: "catalog category"),
        ContextField(namespace: "item", name: "brand", type: .string, summary: "brand"),
        ContextField(namespace: "item", name: "price", type: .money, summary: "unit list price"),
        ContextField(namespace: "item", name: "cost", type: .money, summary: "unit cost"),
        ContextField(namespace: "item", name: "margin", type: .percent, summary: "(price - cost) / price"),
        ContextField(namespace: "item", name: "stock", type: .number, summary: "units in stock"),
        ContextField(namespace: "item", name: "quantity", type: .number, summary: "units of it in the cart"),
        ContextField(namespace: "item", name: "tags", type: .list(.string), summary: "catalog tags"),
        ContextField(namespace: "cart", name: "subtotal", type: .money, summary: "sum of line totals"),
        ContextField(namespace: "cart", name: "items", type: .list(.item), summary: "the cart's lines"),
        ContextField(namespace: "cart", name: "quantity", type: .number, summary: "units in the cart"),
        ContextField(namespace: "cart", name: "lines", type: .number, summary: "number of lines"),
        ContextField(namespace: "cart", name: "shipping", type: .money, summary: "shipping fee before offers"),
        ContextField(namespace: "cart", name: "skus", type: .list(.string), summary: "skus in the cart"),
        ContextField(namespace: "cart", name: "categories", type: .list(.string), summary: "categories in the cart"),
    ]

    static let byPath: [String: ContextField] = Dictionary(uniqueKeysWithValues: fields.map { ($0.path, $0) })
    static let namespaces: Set<String> = Set(fields.map(\.namespace)).subtracting([""])
}
