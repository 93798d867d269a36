import Foundation
public import PromoCore
public import PromoDSL

/// How typed values travel in the plugin protocol (docs/plugin-protocol.md, "Values"):
/// numbers as numbers, money as integer minor units, percent as a fraction (`0.1` is 10%),
/// durations as seconds, datetimes as seconds since 1970, items as skus, lists as arrays.
public enum WireValues {
    public static func json(_ v: Value) -> JSON {
        switch v {
        case .bool(let b): .bool(b)
        case .number(let n): .number(n)
        case .money(let m): .number(Double(m))
        case .percent(let p): .number(Double(p) / 1_000_000)
        case .string(let s): .string(s)
        case .dateTime(let t): .number(Double(t))
        case .duration(let d): .number(Double(d))
        case .list(let items): .array(items.map(json))
        case .missing: .null
        }
    }

    /// Reads a value of `type`; throws a `bad_value` fault naming what was found.
    public static func value(_ j: JSON, as type: ValueType) throws(PluginFault) -> Value? {
        if case .null = j { return nil }
        func number() throws(PluginFault) -> Double {
            guard case .number(let n) = j else {
                throw PluginFault(.badValue, "\(j.typeName) where \(type) was expected")
            }
            guard n.isFinite else { throw PluginFault(.badValue, "a non-finite number where \(type) was expected") }
            return n
        }
        func whole(_ n: Double) throws(PluginFault) -> Int64 {
            guard abs(n) < 9.0e15 else { throw PluginFault(.badValue, "\(n) is out of range for \(type)") }
            return Int64(n.rounded())
        }
        switch type {
        case .number: return .number(try number())
        case .money: return .money(try whole(try number()))
        case .percent: return .percent(try whole(try number() * 1_000_000))
        case .duration: return .duration(try whole(try number()))
        case .dateTime: return .dateTime(try whole(try number()))
        case .bool:
            guard case .bool(let b) = j else { throw PluginFault(.badValue, "\(j.typeName) where bool was expected") }
            return .bool(b)
        case .string, .item:
            guard case .string(let s) = j else {
                throw PluginFault(.badValue, "\(j.typeName) where \(type) was expected")
            }
            return .string(s)
        case .list(let inner):
            guard case .array(let items) = j else {
                throw PluginFault(.badValue, "\(j.typeName) where \(type) was expected")
            }
            var out: [Value] = []
            for item in items {
                guard let v = try value(item, as: inner) else {
                    throw PluginFault(.badValue, "null inside a \(type)")
                }
                out.append(v)
            }
            return .list(out)
        case .error: return nil
        }
    }

    /// A column of `rows` values of `type`: an array, or for numbers `{"f64": base64}` where NaN
    /// is a missing value.
    public static func column(_ j: JSON, rows: Int, as type: ValueType) throws(PluginFault) -> [Value?] {
        if let doubles = j.base64Doubles {
            guard doubles.count == rows else {
                throw PluginFault(.badValue, "an f64 column of \(doubles.count) values where \(rows) were asked")
            }
            var out: [Value?] = []
            out.reserveCapacity(rows)
            for d in doubles {
                if d.isNaN {
                    out.append(nil)
                } else {
                    out.append(try value(.number(d), as: type))
                }
            }
            return out
        }
        guard case .array(let items) = j else {
            throw PluginFault(.badValue, "a column is \(j.typeName), not an array")
        }
        guard items.count == rows else {
            throw PluginFault(.badValue, "a column of \(items.count) values where \(rows) were asked")
        }
        var out: [Value?] = []
        out.reserveCapacity(rows)
        for (row, item) in items.enumerated() {
            do {
                out.append(try value(item, as: type))
            } catch {
                throw PluginFault(.badValue, "row \(row): \(error.message)")
            }
        }
        return out
    }

    /// A manifest function as the handshake describes it.
    public static func json(_ f: ModelFunction) -> JSON {
        .object([
            ("name", .string(f.name)),
            (
                "params",
                .array(
                    f.parameters.map { .object([("name", .string($0.name)), ("type", .string($0.type.description))]) })
            ),
            ("result", .string(f.result.description)),
            ("per", .string(f.per.rawValue)),
        ])
    }
}
