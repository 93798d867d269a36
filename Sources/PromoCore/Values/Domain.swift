/// A product of the catalog.
public struct CatalogItem: Sendable, Hashable, Codable {
    public var sku: String
    public var title: String
    public var category: String
    public var brand: String
    /// Unit list price, minor units of the workspace currency.
    public var price: Int64
    /// Unit cost, minor units.
    public var cost: Int64
    public var stock: Int
    public var tags: [String]
    public var attributes: [String: String]

    public init(
        sku: String, title: String = "", category: String = "", brand: String = "", price: Int64, cost: Int64 = 0,
        stock: Int = 0, tags: [String] = [], attributes: [String: String] = [:]
    ) {
        self.sku = sku
        self.title = title.isEmpty ? sku : title
        self.category = category
        self.brand = brand
        self.price = price
        self.cost = cost
        self.stock = stock
        self.tags = tags
        self.attributes = attributes
    }
}

/// The catalog, by sku. Each item also has an ordinal, its position in `items`, which the engine
/// and table-backed model outputs use instead of hashing the sku again.
public struct Catalog: Sendable {
    final class Storage: Sendable {
        let items: [CatalogItem]
        let ordinals: StringIndex

        init(_ items: [CatalogItem]) {
            var kept: [CatalogItem] = []
            var seen: Set<String> = []
            kept.reserveCapacity(items.count)
            seen.reserveCapacity(items.count)
            for item in items where seen.insert(item.sku).inserted { kept.append(item) }
            self.items = kept
            self.ordinals = StringIndex(kept.map(\.sku))
        }
    }

    let storage: Storage

    /// Builds the catalog; of two items with one sku the first is kept.
    public init(_ items: [CatalogItem]) {
        storage = Storage(items)
    }

    public subscript(sku: String) -> CatalogItem? {
        guard let i = storage.ordinals[sku] else { return nil }
        return storage.items[Int(i)]
    }

    /// The item's position in `items`, or nil when the sku is not in the catalog.
    public func ordinal(of sku: String) -> Int? { storage.ordinals[sku].map(Int.init) }

    /// Every item, in ordinal order (the order given, duplicates left out).
    public var items: [CatalogItem] { storage.items }

    public var count: Int { storage.items.count }
}

/// A customer and the attributes rules may read (`customer.*`).
public struct Customer: Sendable, Hashable, Codable {
    public var id: String
    public var isEmployee: Bool
    public var tier: String
    public var country: String
    public var tags: [String]
    public var orders: Int
    /// Minor units.
    public var lifetimeValue: Int64
    /// Seconds since 1970, when known.
    public var firstOrderAt: Int64?
    public var lastOrderAt: Int64?

    public init(
        id: String, isEmployee: Bool = false, tier: String = "", country: String = "", tags: [String] = [],
        orders: Int = 0, lifetimeValue: Int64 = 0, firstOrderAt: Int64? = nil, lastOrderAt: Int64? = nil
    ) {
        self.id = id
        self.isEmployee = isEmployee
        self.tier = tier
        self.country = country
        self.tags = tags
        self.orders = orders
        self.lifetimeValue = lifetimeValue
        self.firstOrderAt = firstOrderAt
        self.lastOrderAt = lastOrderAt
    }
}

/// One line of a cart.
public struct CartLine: Sendable, Hashable, Codable {
    /// Stable line id; ties in allocation break by it.
    public var id: String
    public var sku: String
    public var quantity: Int
    /// Minor units per unit, as the cart prices it.
    public var unitPrice: Int64

    public init(id: String, sku: String, quantity: Int, unitPrice: Int64) {
        self.id = id
        self.sku = sku
        self.quantity = quantity
        self.unitPrice = unitPrice
    }
}

/// A cart: lines and the shipping fee before offers.
public struct Cart: Sendable, Hashable, Codable {
    public var lines: [CartLine]
    public var shipping: Int64

    public init(lines: [CartLine], shipping: Int64 = 0) {
        self.lines = lines
        self.shipping = shipping
    }
}

/// What the engine decides on: a customer, a cart, a channel and a time.
public struct DecisionRequest: Sendable, Hashable {
    /// Idempotency key for budget reservations and the trace.
    public var decisionID: String
    public var customer: Customer
    public var cart: Cart
    public var channel: String
    /// Seconds since 1970.
    public var time: Int64

    public init(decisionID: String, customer: Customer, cart: Cart, channel: String, time: Int64) {
        self.decisionID = decisionID
        self.customer = customer
        self.cart = cart
        self.channel = channel
        self.time = time
    }
}
