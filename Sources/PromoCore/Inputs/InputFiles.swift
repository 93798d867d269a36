import Crypto
import Foundation
import PromoDSL
import PromoYAML

/// A problem in an input file (catalog, customer, cart or model fixture), located like a rules diagnostic.
public struct InputError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(file):\(line):\(column): error: \(message)" }
}

/// Reads the example inputs of `promo decide`: catalogs, customers, carts and model-output fixtures,
/// written in YAML (or JSON) and read with the same strict reader as the rules.
public struct InputFiles: Sendable {
    public var currency: String

    public init(currency: String) { self.currency = currency }

    private struct Reader {
        let file: String
        let currency: String

        func fail(_ node: Node, _ message: String) -> InputError {
            InputError(file: file, line: node.start.line, column: node.start.column, message: message)
        }

        func mapping(_ node: Node, _ what: String) throws(InputError) -> [(String, Node)] {
            guard let pairs = node.mapping else { throw fail(node, "\(what) must be a mapping") }
            return pairs.map { ($0.key.scalar?.value ?? "", $0.value) }
        }

        func fields(_ node: Node, _ what: String, allowed: [String], required: [String] = []) throws(InputError)
            -> [String: Node]
        {
            var result: [String: Node] = [:]
            for (key, value) in try mapping(node, what) {
                guard allowed.contains(key) else {
                    let hint = Suggestions.hint(for: key, in: allowed).map { "; \($0)" } ?? ""
                    throw fail(value, "unknown key '\(key)' in \(what)\(hint)")
                }
                result[key] = value
            }
            for key in required where result[key] == nil { throw fail(node, "\(what) needs '\(key)'") }
            return result
        }

        func text(_ node: Node?, _ what: String) throws(InputError) -> String? {
            guard let node else { return nil }
            guard let s = node.scalar else { throw fail(node, "\(what) must be text") }
            return s.value
        }

        func int(_ node: Node?, _ what: String) throws(InputError) -> Int? {
            guard let node else { return nil }
            guard let s = node.scalar?.value, let v = Int(s) else { throw fail(node, "\(what) must be a whole number") }
            return v
        }

        func money(_ node: Node?, _ what: String) throws(InputError) -> Int64? {
            guard let node else { return nil }
            guard let s = node.scalar?.value else {
                throw fail(node, "\(what) must be money such as 12.50 \(currency)")
            }
            let parts = s.split(separator: " ")
            guard parts.count == 2 else {
                throw fail(node, "\(what) must be money such as 12.50 \(currency), not '\(s)'")
            }
            switch MoneyAmount.parse(amount: String(parts[0]), currency: String(parts[1])) {
            case .success(let m):
                guard m.currency == currency else {
                    throw fail(node, "\(what) is in \(m.currency); the workspace currency is \(currency)")
                }
                return m.minorUnits
            case .failure(let e): throw fail(node, e.message)
            }
        }

        func bool(_ node: Node?, _ what: String) throws(InputError) -> Bool? {
            guard let node else { return nil }
            switch node.scalar?.value {
            case "true": return true
            case "false": return false
            default: throw fail(node, "\(what) must be true or false")
            }
        }

        func time(_ node: Node?, _ what: String) throws(InputError) -> Int64? {
            guard let node else { return nil }
            guard let s = node.scalar?.value, let d = DateTimeValue.parse(s), let t = d.epochSeconds() else {
                throw fail(node, "\(what) must be a date-time with an offset, such as 2026-12-01T10:00+08:00")
            }
            return t
        }

        func strings(_ node: Node?, _ what: String) throws(InputError) -> [String] {
            guard let node else { return [] }
            guard let items = node.sequence else { throw fail(node, "\(what) must be a list") }
            var out: [String] = []
            for i in items { out.append(try text(i, what) ?? "") }
            return out
        }

        /// A model output value: money, percent, duration, date-time, number, bool or text.
        func value(_ node: Node) throws(InputError) -> Value {
            guard let s = node.scalar else { throw fail(node, "a model output must be a single value") }
            let v = s.value
            if s.style != .plain { return .string(v) }
            if v == "true" || v == "false" { return .bool(v == "true") }
            if v.hasSuffix("%"), case .success(let p) = PercentValue.parse(String(v.dropLast())) {
                return .percent(p.partsPerMillion)
            }
            if let d = ExactDecimal(v) { return .number(d.doubleValue) }
            if let d = Double(v), d.isFinite { return .number(d) }
            let parts = v.split(separator: " ")
            if parts.count == 2, parts[1].count == 3, parts[1].allSatisfy(\.isUppercase) {
                return .money(try money(node, "a money output")!)
            }
            if let d = DurationValue.parse(v) { return .duration(d.seconds) }
            if let d = DateTimeValue.parse(v), let t = d.epochSeconds() { return .dateTime(t) }
            return .string(v)
        }

        /// `forecast.demand(14d)` -> the engine's key for that call.
        func key(_ raw: String, _ node: Node) throws(InputError) -> String {
            guard let open = raw.firstIndex(of: "("), raw.hasSuffix(")") else { return raw }
            let name = String(raw[..<open])
            let inner = raw[raw.index(after: open)..<raw.index(before: raw.endIndex)]
            var args: [Value] = []
            for a in inner.split(separator: ",") {
                let t = a.trimmingCharacters(in: .whitespaces)
                if let d = DurationValue.parse(t) {
                    args.append(.duration(d.seconds))
                } else if t.hasSuffix("%"), case .success(let p) = PercentValue.parse(String(t.dropLast())) {
                    args.append(.percent(p.partsPerMillion))
                } else if let n = Double(t) {
                    args.append(.number(n))
                } else if t.split(separator: " ").count == 2,
                    case .success(let m) = MoneyAmount.parse(
                        amount: String(t.split(separator: " ")[0]), currency: String(t.split(separator: " ")[1]))
                {
                    args.append(.money(m.minorUnits))
                } else {
                    args.append(.string(t.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))))
                }
            }
            return name + "(" + args.map(Value.literalText).joined(separator: ", ") + ")"
        }
    }

    private func document(_ path: String) throws(InputError) -> (Node, Reader) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(file: path, line: 1, column: 1, message: "cannot read the file")
        }
        let doc: YAMLDocument
        do {
            doc = try YAMLReader().read(bytes: [UInt8](data))
        } catch {
            throw InputError(file: path, line: error.mark.line, column: error.mark.column, message: error.message)
        }
        guard let root = doc.root else {
            throw InputError(file: path, line: 1, column: 1, message: "the file is empty")
        }
        return (root, Reader(file: path, currency: currency))
    }

    /// `items: [{ sku, title, category, brand, price, cost, stock, tags }]`
    public func catalog(_ path: String) throws(InputError) -> Catalog {
        let (root, r) = try document(path)
        let top = try r.fields(root, "the catalog", allowed: ["items"], required: ["items"])
        guard let list = top["items"]?.sequence else { throw r.fail(root, "items must be a list") }
        var items: [CatalogItem] = []
        for node in list {
            let f = try r.fields(
                node, "an item", allowed: ["sku", "title", "category", "brand", "price", "cost", "stock", "tags"],
                required: ["sku", "price"])
            items.append(
                CatalogItem(
                    sku: try r.text(f["sku"], "sku")!, title: try r.text(f["title"], "title") ?? "",
                    category: try r.text(f["category"], "category") ?? "",
                    brand: try r.text(f["brand"], "brand") ?? "", price: try r.money(f["price"], "price")!,
                    cost: try r.money(f["cost"], "cost") ?? 0,
                    stock: try r.int(f["stock"], "stock") ?? 0, tags: try r.strings(f["tags"], "tags")))
        }
        return Catalog(items)
    }

    private func customer(_ node: Node, _ r: Reader) throws(InputError) -> Customer {
        let f = try r.fields(
            node, "a customer",
            allowed: [
                "id", "is_employee", "tier", "country", "tags", "orders", "lifetime_value", "first_order_at",
                "last_order_at",
            ],
            required: ["id"])
        return Customer(
            id: try r.text(f["id"], "id")!, isEmployee: try r.bool(f["is_employee"], "is_employee") ?? false,
            tier: try r.text(f["tier"], "tier") ?? "",
            country: try r.text(f["country"], "country") ?? "", tags: try r.strings(f["tags"], "tags"),
            orders: try r.int(f["orders"], "orders") ?? 0,
            lifetimeValue: try r.money(f["lifetime_value"], "lifetime_value") ?? 0,
            firstOrderAt: try r.time(f["first_order_at"], "first_order_at"),
            lastOrderAt: try r.time(f["last_order_at"], "last_order_at"))
    }

    /// A file holding one customer mapping, or `customers: [...]`.
    public func customers(_ path: String) throws(InputError) -> [Customer] {
        let (root, r) = try document(path)
        if let list = root.mapping?.first(where: { $0.key.scalar?.value == "customers" })?.value {
            guard let items = list.sequence else { throw r.fail(list, "customers must be a list") }
            var out: [Customer] = []
            for i in items { out.append(try customer(i, r)) }
            return out
        }
        return [try customer(root, r)]
    }

    /// `channel`, `shipping`, `lines: [{ id, sku, quantity, unit_price }]`; a missing unit price
    /// is the catalog's.
    public func cart(_ path: String, catalog: Catalog) throws(InputError) -> (cart: Cart, channel: String?) {
        let (root, r) = try document(path)
        let f = try r.fields(root, "a cart", allowed: ["channel", "shipping", "lines"], required: ["lines"])
        guard let list = f["lines"]?.sequence else { throw r.fail(root, "lines must be a list") }
        var lines: [CartLine] = []
        for (n, node) in list.enumerated() {
            let l = try r.fields(
                node, "a cart line", allowed: ["id", "sku", "quantity", "unit_price"], required: ["sku"])
            let sku = try r.text(l["sku"], "sku")!
            guard let price = try r.money(l["unit_price"], "unit_price") ?? catalog[sku]?.price else {
                throw r.fail(node, "sku '\(sku)' is not in the catalog; give its unit_price")
            }
            let quantity = try r.int(l["quantity"], "quantity") ?? 1
            guard (1...Limits.maxQuantity).contains(quantity) else {
                throw r.fail(node, "quantity must be from 1 to \(Limits.maxQuantity)")
            }
            lines.append(
                CartLine(id: try r.text(l["id"], "id") ?? String(n + 1), sku: sku, quantity: quantity, unitPrice: price)
            )
        }
        return (
            Cart(lines: lines, shipping: try r.money(f["shipping"], "shipping") ?? 0),
            try r.text(f["channel"], "channel")
        )
    }

    /// Model outputs: `customers: {id: {function: value}}`, `items: {sku: {...}}`,
    /// `customer_items: {id: {sku: {...}}}`. Keys are functions as rules write them
    /// (`customer.segment`, `forecast.demand(14d)`).
    public func models(_ path: String) throws(InputError) -> FixtureModelOutputs {
        let (root, r) = try document(path)
        let f = try r.fields(root, "model outputs", allowed: ["customers", "items", "customer_items"])
        func table(_ node: Node?) throws(InputError) -> [String: [String: Value]] {
            var out: [String: [String: Value]] = [:]
            guard let node else { return out }
            for (id, values) in try r.mapping(node, "a table of outputs") {
                var row: [String: Value] = [:]
                for (k, v) in try r.mapping(values, "outputs of '\(id)'") { row[try r.key(k, v)] = try r.value(v) }
                out[id] = row
            }
            return out
        }
        var pairs: [String: [String: [String: Value]]] = [:]
        if let node = f["customer_items"] {
            for (id, perItem) in try r.mapping(node, "customer_items") { pairs[id] = try table(perItem) }
        }
        let bytes = FileManager.default.contents(atPath: path).map { [UInt8]($0) } ?? []
        let digest = SHA256.hash(data: bytes).prefix(6).map { String(format: "%02x", $0) }.joined()
        return FixtureModelOutputs(
            customers: try table(f["customers"]), items: try table(f["items"]), customerItems: pairs,
            version: "fixture \((path as NSString).lastPathComponent) \(digest)")
    }
}
