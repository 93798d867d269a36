import Foundation
import PromoTesting
import Testing

@Suite struct DecideCommandTests {
    let at = "2026-12-05T12:00+08:00"

    @Test func winterBasketForAChampion() throws {
        let r = try PromoCommand.run([
            "decide", "--customer", "c-1001", "--cart", "rules/examples/cart-winter.yaml", "--at", at,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            r.stdout.contains(
                "  new-arrivals/knit-personal-price (amount_off) \"Your price on new knitwear\": -40.00 CNY"))
        #expect(
            r.stdout.contains(
                "  spend-and-save/spend-and-save (spend_threshold) \"Spend 300, save 40; spend 500, save 80\": -180.00 CNY"
            ))
        #expect(
            r.stdout.contains(
                "  loyalty-perks/champion-gift (gift) \"A free tote bag for our champions\": gift 1 x AP-TOTE-01"))
        #expect(
            r.stdout.contains("  subtotal 1616.00 CNY, discount -220.00 CNY, shipping 15.00 CNY, total 1411.00 CNY\n"))
        #expect(
            r.stdout.contains(
                "loyalty-perks/loyal-free-shipping (free_shipping): group_already_used: loyalty-perks/champion-gift comes first in group perks"
            ))
    }

    @Test func nudgeBelowTheTierAndJSON() throws {
        let r = try PromoCommand.run([
            "decide", "--customer", "c-2002", "--cart", "rules/examples/cart-near-tier.yaml", "--at", at, "--format",
            "json",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let nudges = try #require(json["nudges"] as? [[String: Any]])
        let nudge = try #require(nudges.first?["nudge"] as? [String: Any])
        #expect(nudge["needed"] as? Int == 23_10)
        #expect(nudge["tierSpend"] as? Int == 300_00)
        let rejected = try #require(json["rejected"] as? [[String: Any]])
        #expect(
            rejected.contains {
                $0["offer"] as? String == "spend-and-save" && $0["reason"] as? String == "not_eligible"
            })
        #expect((json["rulesDigest"] as? String)?.count == 64)
    }

    @Test func breakfastOnASaturday() throws {
        let r = try PromoCommand.run([
            "decide", "--customer", "c-1001", "--cart", "rules/examples/cart-breakfast.yaml", "--at", at,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("grocery-multibuy/"))
    }

    @Test func badInputsExitTwoWithALocation() throws {
        let unknown = try PromoCommand.run([
            "decide", "--customer", "nobody", "--cart", "rules/examples/cart-winter.yaml", "--at", at,
        ])
        #expect(unknown.status == 2)
        #expect(
            unknown.stderr == "promo decide: no customer 'nobody' in rules/examples/customers.yaml, and no such file\n")
        let dir = try PromoCommand.workspace([:])
        let cart = dir.appendingPathComponent("cart.yaml")
        try "lines:\n  - { sku: AP-COAT-01, quantity: many }\n".write(to: cart, atomically: true, encoding: .utf8)
        let bad = try PromoCommand.run(["decide", "--customer", "c-1001", "--cart", cart.path, "--at", at])
        #expect(bad.status == 2)
        #expect(bad.stderr == "promo decide: \(cart.path):2:34: error: quantity must be a whole number\n")
        let time = try PromoCommand.run([
            "decide", "--customer", "c-1001", "--cart", "rules/examples/cart-winter.yaml", "--at", "tomorrow",
        ])
        #expect(time.status == 2)
    }
}
