import Foundation
import PromoCore
import PromoStore
import Testing

@Suite struct SampleStoreTests {
    static func generate(seed: UInt64, customers: Int = 300) throws -> String {
        let dir = NSTemporaryDirectory() + "promo-sample-\(UUID().uuidString)"
        try SampleStore(customers: customers, skus: 120, months: 12, seed: seed).write(folder: dir)
        return dir
    }

    static func bytes(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for f in try FileManager.default.contentsOfDirectory(atPath: dir) {
            out[f] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + f))
        }
        return out
    }

    @Test func theSameSeedGivesTheSameFiles() throws {
        let a = try Self.generate(seed: 7)
        let b = try Self.generate(seed: 7)
        let c = try Self.generate(seed: 8)
        defer { for d in [a, b, c] { try? FileManager.default.removeItem(atPath: d) } }
        let fa = try Self.bytes(a)
        #expect(
            fa.keys.sorted() == [
                "README.md", "catalog.csv", "customers.csv", "exposures.csv", "orders.csv", "truth_customers.csv",
                "truth_items.csv",
            ])
        #expect(fa == (try Self.bytes(b)))
        #expect(fa["orders.csv"] != (try Self.bytes(c))["orders.csv"])
        let readme = String(decoding: fa["README.md"]!, as: UTF8.self)
        #expect(readme.hasPrefix("# Sample store (SYNTHETIC DATA)"))
    }

    /// The planted behaviours show in the data, so a profiler can be scored against them.
    @Test func thePlantedBehavioursShow() throws {
        let dir = try Self.generate(seed: 42, customers: 600)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try StoreData.load(folder: dir, currency: "CNY")
        #expect(store.catalog.count == 120)
        #expect(store.catalog.prefix(3).map(\.sku) == ["AP-COAT-01", "AP-COAT-02", "AP-SCARF-01"])
        #expect(store.customers.allSatisfy { $0.tags == ["synthetic"] })
        let truthText = try String(contentsOfFile: dir + "/truth_customers.csv", encoding: .utf8)
        var behaviour: [String: String] = [:]
        for line in truthText.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",")
            behaviour[String(f[0])] = String(f[1])
        }
        let end: Int64 = 1_795_824_000
        var lastOrder: [String: Int64] = [:]
        var firstOrder: [String: Int64] = [:]
        var lines: [String: (all: Int, promoted: Int)] = [:]
        for o in store.orders {
            lastOrder[o.customerID] = max(lastOrder[o.customerID] ?? 0, o.time)
            firstOrder[o.customerID] = min(firstOrder[o.customerID] ?? .max, o.time)
            let b = behaviour[o.customerID]!
            lines[b, default: (0, 0)].all += 1
            if o.promotionID != nil { lines[b, default: (0, 0)].promoted += 1 }
        }
        let year: Int64 = 365 * 86_400
        for (c, b) in behaviour {
            if b == "lapsed", let l = lastOrder[c] {
                #expect(l < end - year + year * 66 / 100, "\(c) ordered after lapsing")
            }
            if b == "new", let f = firstOrder[c] { #expect(f >= end - 61 * 86_400, "\(c) ordered before joining") }
        }
        func promotedShare(_ b: String) -> Double { Double(lines[b]!.promoted) / Double(lines[b]!.all) }
        #expect(promotedShare("bargain") > 1.5 * promotedShare("frequent"))
        #expect(promotedShare("high_value") < promotedShare("frequent"))
        // Exposures: treated and control halves, with the planted uplift for bargain hunters.
        var outcome: [Bool: (n: Double, bought: Double)] = [:]
        for e in store.exposures where behaviour[e.customerID] == "bargain" {
            outcome[!e.offer.isEmpty, default: (0, 0)].n += 1
            outcome[!e.offer.isEmpty, default: (0, 0)].bought += e.outcome
        }
        let treated = outcome[true]!.bought / outcome[true]!.n
        let control = outcome[false]!.bought / outcome[false]!.n
        #expect(treated - control > 0.04, "uplift \(treated - control)")
    }
}
