import Foundation
import PromoCore
import PromoStore
import PromoTesting
import Testing

@Suite struct StoreImportTests {
    /// A fresh folder with the given files.
    static func folder(_ files: [String: String]) throws -> String {
        let dir = NSTemporaryDirectory() + "promo-store-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        return dir
    }

    static let example = PromoTesting.rulesDirectory + "/examples/store"

    @Test func importsTheExampleStoreAndReadsItBack() throws {
        let dir = try Self.folder([:])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try StoreDatabase(path: dir + "/store.sqlite", currency: "CNY")
        for t in [StoreTable.catalog, .customers, .orders] {
            try store.importCSV(table: t, file: Self.example + "/\(t.rawValue).csv")
        }
        #expect(try store.counts() == [.catalog: 11, .customers: 40, .orders: 2785, .sales: 0, .exposures: 0])
        let fromFolder = try StoreData.load(folder: Self.example, currency: "CNY")
        let fromSQLite = try store.data()
        #expect(fromSQLite.catalog == fromFolder.catalog.sorted { $0.sku < $1.sku })
        #expect(fromSQLite.customers == fromFolder.customers.sorted { $0.id < $1.id })
        #expect(Set(fromSQLite.orders) == Set(fromFolder.orders))
    }

    @Test func reimportingTheSameFileChangesNothing() throws {
        let dir = try Self.folder([:])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try StoreDatabase(path: dir + "/store.sqlite", currency: "CNY")
        let first = try store.importCSV(table: .orders, file: Self.example + "/orders.csv")
        let before = try store.data()
        let again = try store.importCSV(table: .orders, file: Self.example + "/orders.csv")
        #expect(first.rows == 2785 && first.total == 2785)
        #expect(again.rows == 2785 && again.total == 2785)
        #expect(first.sha256 == again.sha256)
        #expect(try store.data() == before)
    }

    /// A bad row anywhere aborts the whole import with file:line and the column named, and the
    /// store keeps what it had.
    @Test(arguments: [
        ("o-3,c-1,2026-11-02T10:00:00Z,A,two,1.00\n", "orders.csv:4:5: error: quantity: 'two' is not a whole number"),
        (
            "o-3,c-1,yesterday,A,1,1.00\n",
            "orders.csv:4:3: error: time: 'yesterday' is not a time such as 2026-11-02T10:15:00Z"
        ),
        (
            "o-3,c-1,2026-11-02T10:00:00Z,A,1,1.005\n",
            "orders.csv:4:6: error: unit_price: '1.005' is not an amount such as 18.90"
        ),
        (
            "o-1,c-1,2026-11-02T10:00:00Z,A,1,1.00\n",
            "orders.csv:4:1: error: duplicate key (order_id, sku) = (o-1, A), first on line 2"
        ),
        ("o-3,c-1,2026-11-02T10:00:00Z,A,1\n", "orders.csv:4:1: error: the row has 5 fields; the header has 6"),
        ("o-3,,2026-11-02T10:00:00Z,A,1,1.00\n", "orders.csv:4:2: error: customer_id: is empty"),
    ])
    func aBadRowAbortsTheImport(_ row: String, _ expected: String) throws {
        let header = "order_id,customer_id,time,sku,quantity,unit_price\n"
        let good = "o-1,c-1,2026-11-01T10:00:00Z,A,1,1.00\no-2,c-2,2026-11-01T11:00:00Z,B,2,3.50\n"
        let dir = try Self.folder([
            "orders.csv": header + good + row, "first.csv": header + "o-0,c-9,1796000000,Z,1,9.99\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try StoreDatabase(path: dir + "/store.sqlite", currency: "CNY")
        try store.importCSV(table: .orders, file: dir + "/first.csv")
        #expect {
            try store.importCSV(table: .orders, file: dir + "/orders.csv")
        } throws: { error in
            "\(error)" == dir + "/" + expected
        }
        #expect(try store.data().orders.map(\.orderID) == ["o-0"])
    }

    @Test func aMappingRenamesColumnsAndReadsTimesInItsFormat() throws {
        let dir = try Self.folder([
            "online-retail.csv": """
            InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID,Currency
            536365,85123A,6,12/01/2010 08:26,2.55,17850,CNY
            536365,71053,6,12/01/2010 08:26,3.39,17850,CNY
            536366,22633,6,12/01/2010 08:28,1.85,17850,GBP

            """,
            "map.yaml": """
            columns: { order_id: InvoiceNo, sku: StockCode, customer_id: CustomerID, time: InvoiceDate,
                       quantity: Quantity, unit_price: UnitPrice }
            time_format: "MM/dd/yyyy HH:mm"
            currency_column: Currency
            """,
            "typo.yaml": "columns: { order_idd: InvoiceNo }\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try StoreDatabase(path: dir + "/store.sqlite", currency: "CNY")
        let mapping = try ColumnMapping.load(dir + "/map.yaml", table: .orders)
        #expect {
            try store.importCSV(table: .orders, file: dir + "/online-retail.csv", mapping: mapping)
        } throws: { error in
            "\(error)" == dir + "/online-retail.csv:4:7: error: Currency: the amounts are in GBP; the store holds CNY"
        }
        #expect(try store.counts()[.orders] == 0)
        #expect {
            try ColumnMapping.load(dir + "/typo.yaml", table: .orders)
        } throws: { error in
            "\(error)".hasPrefix(
                dir + "/typo.yaml:1:12: error: 'order_idd' is not a column of orders; did you mean 'order_id'?")
        }

        let fixed = dir + "/fixed.csv"
        try String(contentsOfFile: dir + "/online-retail.csv", encoding: .utf8).replacingOccurrences(
            of: "GBP", with: "CNY"
        )
        .write(toFile: fixed, atomically: true, encoding: .utf8)
        let summary = try store.importCSV(table: .orders, file: fixed, mapping: mapping)
        #expect(summary.rows == 3)
        let orders = try store.data().orders
        let first = try #require(orders.first { $0.sku == "85123A" })
        #expect(first.time == Int64(1_291_191_960))  // 2010-12-01T08:26Z
        #expect(first.orderID == "536365" && first.customerID == "17850" && first.quantity == 6)
        #expect(orders.map(\.unitPrice).sorted() == [185, 255, 339])
    }

    @Test func aStoreKeepsItsCurrency() throws {
        let dir = try Self.folder([:])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try StoreDatabase(path: dir + "/store.sqlite", currency: "CNY")
        #expect {
            try StoreDatabase(path: dir + "/store.sqlite", currency: "USD")
        } throws: { error in
            "\(error)" == dir + "/store.sqlite holds amounts in CNY, not USD"
        }
    }
}

@Suite struct TimeParsingTests {
    @Test func isoTimesAgreeWithFoundation() throws {
        let f = ISO8601DateFormatter()
        for text in [
            "2026-11-02T10:15:00Z", "1999-12-31T23:59:59+08:00", "2024-02-29T00:00:00-05:30", "1970-01-01T00:00:00Z",
            "1960-03-01T12:00:00Z", "2100-02-28T08:00:00+01:00",
        ] {
            let row = CSVRow(file: "f", line: 1, index: ["t": 0], fields: [text])
            #expect(try row.time("t") == Int64(try #require(f.date(from: text)).timeIntervalSince1970), "\(text)")
        }
        let row = { (t: String) in CSVRow(file: "f", line: 1, index: ["t": 0], fields: [t]) }
        #expect(try row("2026-11-02").time("t") == 1_793_577_600)
        #expect(try row("2026-11-02T10:15+0800").time("t") == 1_793_577_600 + 2 * 3600 + 15 * 60)
        #expect(try row("2026-11-02T10:15:00.250Z").time("t") == 1_793_577_600 + 10 * 3600 + 15 * 60)
        for bad in ["2026-11-02T10:15", "2026-13-02", "2026-11-02T25:00Z", "02/11/2026", "2026-11-02T10:15Zx"] {
            #expect(throws: InputError.self, "\(bad)") { try row(bad).time("t") }
        }
    }
}
