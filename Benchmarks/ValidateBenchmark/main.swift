// Loads and checks a generated workspace of 100 campaigns x 100 offers (every offer kind,
// realistic expressions), then times the rejection of each hostile YAML case.
// Run: swift run -c release promo-bench-validate
import Foundation
import PromoDSL
import PromoTesting
import PromoYAML

func peakResidentMiB() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024  // Linux reports KiB
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func offer(_ c: Int, _ o: Int) -> String {
    let id = "c\(c)-o\(o)"
    let categories = ["outerwear", "knitwear", "scarves", "juice", "snacks", "dairy", "cereal", "coffee"]
    let cat = categories[(c + o) % categories.count]
    let when =
        "customer.segment in [\"loyal\", \"champions\", \"bargain\"] and cart.subtotal >= \(100 + o) CNY and channel != \"store\""
    switch o % 8 {
    case 0:
        return """
              - id: \(id)
                kind: percent_off
                applies_to: item.category == "\(cat)" and overstocked and forecast.demand(item, 7d) > \(o % 40)
                percent: clamp(pricing.discount(item), 5%, 30%)
                when: \(when)
                margin_floor: 15%
            """
    case 1:
        return """
              - id: \(id)
                kind: amount_off
                applies_to: item.category == "\(cat)" and recommend.score(item) >= 0.5
                amount: min(item.price * 10%, 40 CNY)
                max_items: 3
                when: \(when)
            """
    case 2:
        return """
              - id: \(id)
                kind: fixed_price
                applies_to: item.sku in ["SKU-\(o)", "SKU-\(o + 1)", "SKU-\(o + 2)"]
                price: \(19 + o) CNY
            """
    case 3:
        return """
              - id: \(id)
                kind: spend_threshold
                tiers: [{ spend: 300 CNY, off: 40 CNY }, { spend: 500 CNY, off: 80 CNY }]
                nudge_within: 50 CNY
                when: not customer.is_employee and uplift.score() > 0.01
            """
    case 4:
        return """
              - id: \(id)
                kind: bundle
                items: [{ sku: "SKU-\(o)", quantity: 1 }, { match: item.category == "\(cat)", quantity: 2 }]
                price: 99 CNY
                max_bundles: 2
            """
    case 5:
        return """
              - id: \(id)
                kind: buy_x_get_y
                buy: { match: item.category == "\(cat)", quantity: 2 }
                get: { match: item.category == "\(cat)", quantity: 1, percent: 50% }
                max_applications: 3
                when: count(cart.items, item.category == "\(cat)") >= 3
            """
    case 6:
        return """
              - id: \(id)
                kind: gift
                sku: "GIFT-\(o)"
                when: customer.segment == "champions" and sum(cart.items, item.price * item.quantity) >= 200 CNY
            """
    default:
        return """
              - id: \(id)
                kind: free_shipping
                max_shipping: 25 CNY
                when: customer.tier == "gold" or days_since(customer.last_order_at) > 60
            """
    }
}

func campaign(_ c: Int) -> String {
    """
    promo: 1
    campaign: campaign-\(c)
    description: Generated campaign \(c)
    schedule: { starts: 2026-12-01T00:00+08:00, ends: 2027-12-31T23:59+08:00 }
    holdout: 5%
    budget: { total: 50000 CNY, per_customer: 2 }
    group: \(["seasonal", "basket", "perks"][c % 3])
    let:
      overstocked: forecast.days_of_cover(item) > 60
    offers:
    \((0..<100).map { offer(c, $0) + "\n" }.joined())
    """
}

let manifests = try RulesFixture.manifests()
let workspace = Array(try Data(contentsOf: URL(fileURLWithPath: PromoTesting.rulesDirectory + "/promo.yaml")))
let campaigns = (0..<100).map { c in
    ("rules/campaign-\(c).yaml", Array(campaign(c).utf8))
}
let bytes = campaigns.reduce(0) { $0 + $1.1.count }

print("promo-bench-validate (release build recommended)")
print("workspace: 100 campaigns x 100 offers = 10,000 offers, \(bytes / 1024) KiB of YAML")
var rules: LoadedRules?
var times: [Double] = []
for _ in 0..<5 {
    times.append(
        seconds {
            rules = RulesLoader(now: PromoTesting.fixedNow).load(
                workspace: ("rules/promo.yaml", workspace), campaigns: campaigns, manifests: manifests)
        })
}
let loaded = rules!
let offers = loaded.campaigns.reduce(0) { $0 + $1.offers.count }
precondition(offers == 10_000, "expected 10,000 offers, got \(offers)")
let errors = loaded.diagnostics.filter { $0.severity == .error }
precondition(errors.isEmpty, "generated workspace has errors: \(errors.prefix(3).map(\.message))")
times.sort()
print(String(format: "load + check: best %.3f s, median %.3f s of 5 runs (target < 1 s)", times[0], times[2]))
print(String(format: "peak resident memory: %.1f MiB (target < 200 MiB)", peakResidentMiB()))
print("diagnostics: \(loaded.errors) errors, \(loaded.warnings) warnings")

// Hostile inputs: time to reject each (target < 100 ms each).
var laughs = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
for i in 1..<names.count {
    laughs +=
        "\(names[i]): &\(names[i]) [" + Array(repeating: "*\(names[i - 1])", count: 9).joined(separator: ",") + "]\n"
}
let hostile: [(String, [UInt8])] = [
    ("billion laughs", Array(laughs.utf8)),
    (
        "10,000-deep nesting",
        Array((String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)).utf8)
    ),
    ("50 MiB file", [UInt8](repeating: UInt8(ascii: "a"), count: 50 << 20)),
    ("4 MiB of valid YAML, then a NUL", Array((String(repeating: "k: value\n", count: 460_000)).utf8) + [0]),
    ("invalid UTF-8", Array("a: ok\nb: ".utf8) + [0xC3, 0x28]),
    ("NUL byte", Array("a: x\u{0}y\n".utf8)),
    ("tab indentation", Array("a:\n\t- 1\n".utf8)),
    ("duplicate keys", Array("a: 1\na: 2\n".utf8)),
    ("two documents", Array("a: 1\n---\nb: 2\n".utf8)),
    ("!!python/object tag", Array("a: !!python/object/apply:os.system [\"ls\"]\n".utf8)),
    ("200,000 nodes", Array(("[" + Array(repeating: "1", count: 200_000).joined(separator: ",") + "]").utf8)),
]
print("hostile inputs (target < 100 ms each):")
for (name, input) in hostile {
    var outcome = ""
    let t = seconds {
        do throws(YAMLError) {
            _ = try YAMLReader().read(bytes: input)
            outcome = "accepted?!"
        } catch {
            outcome = "\(DiagnosticCode(error.kind).rawValue) at \(error.mark)"
        }
    }
    let label = name.padding(toLength: 34, withPad: " ", startingAt: 0)
    print("  \(label)" + String(format: "%8.2f ms  ", t * 1000) + outcome)
}
