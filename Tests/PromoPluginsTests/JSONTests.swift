import Foundation
import PromoPlugins
import Testing

@Suite struct JSONTests {
    @Test func readsAndWritesMessages() throws {
        let text = #"{"jsonrpc":"2.0","id":7,"result":{"columns":[[1.5,null,-2e-3,12],["a\"b\n\u00e9"]],"ok":true}}"#
        let v = try JSON.parse(text)
        #expect(v["id"]?.int == 7)
        #expect(v["result"]?["columns"]?.array?[0] == .array([.number(1.5), .null, .number(-0.002), .number(12)]))
        #expect(v["result"]?["columns"]?.array?[1] == .array([.string("a\"b\né")]))
        #expect(try JSON.parse(v.text) == v)
        #expect(
            v.text == #"{"jsonrpc":"2.0","id":7,"result":{"columns":[[1.5,null,-0.002,12],["a\"b\né"]],"ok":true}}"#)
    }

    @Test func numbersReadBackExactly() throws {
        var g = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let d = Double(bitPattern: g.next() & 0x7FEF_FFFF_FFFF_FFFF) * (Bool.random() ? 1 : -1)
            let back = try JSON.parse(JSON.number(d).text)
            #expect(back == .number(d), "\(d)")
        }
        for text in ["0.1", "123456789012345678901234567890", "1e300", "4.9e-324", "0.30000000000000004", "-0"] {
            #expect(try JSON.parse(text).number == Double(text))
        }
    }

    @Test func refusesWhatIsNotJSON() {
        func error(_ text: String) -> String {
            do {
                _ = try JSON.parse(text)
                return "parsed"
            } catch { return error.description }
        }
        #expect(
            error("[1, NaN]").hasPrefix(
                "non-finite number (JSON has no NaN or Infinity; send null for a missing value) at byte 4"))
        #expect(error("[-Infinity]").hasPrefix("non-finite number"))
        #expect(error(#"{"a":1,}"#) == "expected a member name at byte 7")
        #expect(error("[1 2]") == "expected ',' or ']' at byte 3")
        #expect(error(String(repeating: "[", count: 100)) == "nested deeper than 64 levels at byte 64")
        #expect(error("1e999") == "number out of range at byte 0")
        #expect(error(#""abc"#) == "unterminated string at byte 4")
    }

    @Test func doublesTravelAsBase64() throws {
        let values: [Double] = [0, -1.25, .pi, 1e-300, .nan]
        let column = JSON.doubles(values)
        let back = try #require(try JSON.parse(column.text).base64Doubles)
        #expect(back.count == 5)
        #expect(Array(back.prefix(4)) == Array(values.prefix(4)))
        #expect(back[4].isNaN)
        #expect(JSON.object([("f64", .string("abc"))]).base64Doubles == nil)
    }
}
