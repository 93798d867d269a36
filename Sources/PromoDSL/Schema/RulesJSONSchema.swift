/// The JSON Schema (draft 2020-12) of rules files and plugin manifests, generated from the same
/// `Vocabulary` the readers use, so editors and the checker agree on keys.
public enum RulesJSONSchema {
    /// A JSON value with deterministic printing (keys in insertion order).
    indirect enum JSON {
        case string(String)
        case int(Int)
        case bool(Bool)
        case array([JSON])
        case object([(String, JSON)])

        func render(_ indent: String = "") -> String {
            let inner = indent + "  "
            switch self {
            case .string(let s): return JSONText.quote(s)
            case .int(let i): return String(i)
            case .bool(let b): return b ? "true" : "false"
            case .array(let items):
                if items.allSatisfy({ if case .string = $0 { true } else { false } }) {
                    return "[" + items.map { $0.render() }.joined(separator: ", ") + "]"
                }
                return "[\n" + items.map { inner + $0.render(inner) }.joined(separator: ",\n") + "\n\(indent)]"
            case .object(let pairs):
                if pairs.isEmpty { return "{}" }
                return "{\n"
                    + pairs.map { "\(inner)\(JSONText.quote($0.0)): \($0.1.render(inner))" }.joined(separator: ",\n")
                    + "\n\(indent)}"
            }
        }
    }

    static func shape(_ s: Shape) -> JSON {
        switch s {
        case .text: .object([("type", .string("string"))])
        case .identifier: .object([("type", .string("string")), ("pattern", .string("^[A-Za-z0-9_][A-Za-z0-9_.-]*$"))])
        case .integer: .object([("type", .string("integer"))])
        case .number: .object([("type", .string("number"))])
        case .boolean: .object([("type", .string("boolean"))])
        case .percent: .object([("type", .string("string")), ("pattern", .string("^ *[0-9]+(\\.[0-9]+)?% *$"))])
        case .money: .object([("type", .string("string")), ("pattern", .string("^ *[0-9]+(\\.[0-9]+)? +[A-Z]{3} *$"))])
        case .dateTime:
            .object([
                ("type", .string("string")),
                (
                    "pattern",
                    .string(
                        "^[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt][0-9]{2}:[0-9]{2}(:[0-9]{2})?([Zz]|[+-][0-9]{2}:[0-9]{2})?)?$")
                ),
            ])
        case .expression:
            .object([
                ("type", .array([.string("string"), .string("boolean"), .string("number")])),
                ("description", .string("an expression of the rules language")),
            ])
        case .enumeration(let cases): .object([("enum", .array(cases.map(JSON.string)))])
        case .object(let name): .object([("$ref", .string("#/$defs/\(name)"))])
        case .list(let inner): .object([("type", .string("array")), ("items", shape(inner))])
        case .dictionary(let inner): .object([("type", .string("object")), ("additionalProperties", shape(inner))])
        case .either(let shapes): .object([("anyOf", .array(shapes.map(shape)))])
        }
    }

    static func definition(_ name: String) -> JSON {
        let specs = Vocabulary.objects[name] ?? []
        var pairs: [(String, JSON)] = [("type", .string("object"))]
        pairs.append(
            (
                "properties",
                .object(
                    specs.map { spec in
                        guard case .object(var fields) = shape(spec.shape) else {
                            return (spec.name, shape(spec.shape))
                        }
                        if !fields.contains(where: { $0.0 == "description" }) {
                            fields.append(("description", .string(spec.summary)))
                        }
                        return (spec.name, .object(fields))
                    })
            ))
        let required = specs.filter(\.required).map(\.name)
        if !required.isEmpty { pairs.append(("required", .array(required.map(JSON.string)))) }
        pairs.append(("additionalProperties", .bool(false)))
        if name == "offer" {
            let rules: [JSON] = OfferKind.names.map { kind in
                let allowed = Vocabulary.commonOfferKeys + (Vocabulary.kindKeys[kind] ?? [])
                return .object([
                    ("if", .object([("properties", .object([("kind", .object([("const", .string(kind))]))]))])),
                    (
                        "then",
                        .object([
                            (
                                "required",
                                .array((["id", "kind"] + (Vocabulary.kindRequired[kind] ?? [])).map(JSON.string))
                            ),
                            ("propertyNames", .object([("enum", .array(allowed.map(JSON.string)))])),
                        ])
                    ),
                ])
            }
            pairs.append(("allOf", .array(rules)))
        }
        return .object(pairs)
    }

    static var document: JSON {
        let names = Vocabulary.objects.keys.sorted()
        return .object([
            ("$schema", .string("https://json-schema.org/draft/2020-12/schema")),
            ("$id", .string("https://promoengine.dev/schema/rules-1.json")),
            ("title", .string("PromoEngine rules, language version 1")),
            (
                "description",
                .string("rules/promo.yaml (workspace), campaign files, and plugins/*/plugin.yaml manifests")
            ),
            ("if", .object([("required", .array([.string("campaign")]))])),
            ("then", .object([("$ref", .string("#/$defs/campaign"))])),
            (
                "else",
                .object([
                    ("if", .object([("required", .array([.string("plugin")]))])),
                    ("then", .object([("$ref", .string("#/$defs/manifest"))])),
                    ("else", .object([("$ref", .string("#/$defs/workspace"))])),
                ])
            ),
            ("$defs", .object(names.map { ($0, definition($0)) })),
        ])
    }

    /// The schema as pretty-printed JSON, ending in a newline.
    public static var text: String { document.render() + "\n" }
}
