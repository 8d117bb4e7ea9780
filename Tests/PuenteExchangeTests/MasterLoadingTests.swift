import Foundation
import GRDB
import PuenteDomain
import PuenteExchange
import PuenteStore
import Testing

@Suite struct MasterLoadingTests {
    @Test func loadsEveryMasterFromAFolderInDependencyOrder() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        let report = try fixture.load(MasterFixture.all)
        #expect(report.files.map(\.master) == [.priceLists, .products, .sellers, .prices, .clients])
        #expect(report.files.map(\.added) == [2, 3, 2, 3, 3])
        #expect(!report.needsAttention)
        let client = try #require(try fixture.rows("SELECT * FROM clients WHERE code = 'C1'").first)
        #expect(client["name"] as String == "Almacén Don Tito")
        #expect(client["price_list"] as String == "L2")
        #expect(client["seller"] as String? == "V01")
        let unassigned: String? = try fixture.value("SELECT seller FROM clients WHERE code = 'C2'")
        #expect(unassigned == nil)
        let rate: Int64? = try fixture.value("SELECT tax_rate FROM products WHERE code = 'P2'")
        #expect(rate == 1_050)
        let inactive: Int? = try fixture.value("SELECT active FROM products WHERE code = 'P3'")
        #expect(inactive == 0)
    }

    /// The same bytes as the last load are not read again and change nothing; one byte more,
    /// or a last load that left a row unusable, and the dump is read as any other.
    @Test func theSameDumpAgainIsNotReadAgain() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        let sequence: Int64? = try fixture.value("SELECT value FROM change_counter")
        let again = try fixture.load(MasterFixture.all)
        #expect(again.files.filter(\.sameAsLastLoad).count == again.files.count)
        #expect(again.files.map(\.unchanged) == [2, 3, 2, 3, 3])
        let after: Int64? = try fixture.value("SELECT value FROM change_counter")
        #expect(after == sequence, "nothing was written")

        var products = MasterFixture.all
        products["products.csv"] = products["products.csv"]! + "P9,Yerba nueva,kg,21,1\n"
        let changed = try fixture.load(products)
        let product = try #require(changed.files.first { $0.master == .products })
        #expect(!product.sameAsLastLoad)
        #expect(product.added == 1 && product.unchanged == 3)

        // A row refused: the next load of the same bytes reports it again.
        let bad = ["price_lists.csv": "code,name,currency\nL1,Lista 1,ARS\nL2,Lista 2,ARS\n,Sin código,ARS\n"]
        #expect(try fixture.load(bad).files[0].errors.count == 1)
        let badAgain = try fixture.load(bad)
        #expect(!badAgain.files[0].sameAsLastLoad)
        #expect(badAgain.files[0].errors.count == 1)
    }

    /// A dump in key order is merged as it is read (chunks of stored records beside the rows,
    /// inserts between them); one out of order is merged in memory. Both give the same records
    /// and the same report, across many chunks, with repeated keys and refused rows.
    @Test func aSortedDumpStreamedAndAnUnsortedOneGiveTheSameRecords() throws {
        func products(_ codes: [Int], price: (Int) -> String = { "\($0 % 50).5" }) -> String {
            "code,description,unit,tax_rate,active\n" + codes.map { "P\(String(format: "%05d", $0)),Producto \($0),u,\(price($0)),1\n" }.joined()
        }
        var results: [[String]] = []
        var reports: [[String]] = []
        for shuffled in [false, true] {
            let fixture = try MasterFixture()
            defer { fixture.remove() }
            // Stored: every other code; then a dump of all of them but the multiples of 7, one
            // repeated, one refused (its record must stay as it was), tax rates changed on some.
            try fixture.load(["products.csv": products(Array(stride(from: 0, to: 12_000, by: 2)))])
            var codes = Array(0..<12_000).filter { $0 % 7 != 0 }
            codes.insert(codes[500], at: 501)
            var text = products(codes, price: { $0 % 3 == 0 ? "\($0 % 50).5" : "\($0 % 40)" })
            text = text.replacingOccurrences(of: "P00010,Producto 10,u,10,1", with: "P00010,Producto 10,u,abc,1")
            if shuffled {
                var lines = text.split(separator: "\n").map(String.init)
                let header = lines.removeFirst()
                var generator = SystemRandomNumberGenerator()
                lines.shuffle(using: &generator)
                text = ([header] + lines).joined(separator: "\n") + "\n"
            }
            let report = try fixture.load(["products.csv": text], allowMassDeactivation: true)
            let file = report.files[0]
            reports.append(["\(file.added) \(file.changed) \(file.deactivated) \(file.unchanged)",
                            "\(file.errors.count) errors"])
            results.append(try fixture.rows("SELECT code, tax_rate, active, description FROM products ORDER BY code")
                .map { "\($0["code"] as String) \($0["tax_rate"] as Int64) \($0["active"] as Int64)" })
            let kept: Int64? = try fixture.value("SELECT active FROM products WHERE code = 'P00010'")
            #expect(kept == 1, "a refused row keeps its record")
        }
        #expect(reports[0] == reports[1])
        #expect(results[0] == results[1])
        // Every code but the odd multiples of 7 (never stored, not in the dump).
        #expect(results[0].count == 12_000 - 857)
        #expect(reports[0][0].hasSuffix(" 858 " + reports[0][0].split(separator: " ")[3]), "the even multiples of 7 deactivated")
    }

    /// Rows sorted in runs spilled to a temporary file and merged back give what one sort in
    /// memory gives: the same records, the same repeated key reported, for runs of any size.
    @Test func sortedRunsMergeAsOneSort() throws {
        var generator = SystemRandomNumberGenerator()
        var rows = (0..<500).map { index in (line: index + 2, code: "P\(String(format: "%04d", index % 450))", rate: index % 30) }
        rows.shuffle(using: &generator)
        var outcomes: [String] = []
        for runSize in [65_536, 1, 7, 64] {
            let fixture = try MasterFixture()
            defer { fixture.remove() }
            let result = try fixture.store.replaceMaster(.products, sortRunSize: runSize) { staging in
                for row in rows {
                    try staging.stage(line: row.line, values: [.text(row.code), .text("Producto"), .text("u"),
                                                               .integer(Int64(row.rate)), .integer(1)])
                }
            }
            let stored = try fixture.rows("SELECT code, tax_rate FROM products ORDER BY code")
                .map { "\($0["code"] as String)=\($0["tax_rate"] as Int64)" }
            outcomes.append("\(result.added) \(result.rowErrors.map(\.line)) \(stored)")
        }
        #expect(outcomes.allSatisfy { $0 == outcomes[0] })
        #expect(outcomes[0].hasPrefix("450 "), "450 codes, 50 of them repeated")
    }

    @Test func semicolonDumpsUseDecimalCommas() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        let prices = try fixture.rows("SELECT price_list, product, price FROM prices ORDER BY 1, 2")
        #expect(prices.map { Money(units: $0["price"]).description } == ["1200.50", "899.00", "1300.0001"])
        // A point in a semicolon dump is refused, never guessed.
        let report = try fixture.load(["prices.csv": "price_list;product;price\nL1;P1;1.234\n"], allowMassDeactivation: true)
        #expect(report.files[0].errors.map(\.description) == [
            "prices.csv line 2: price \"1.234\" is not an amount (like 1234,50, at most 4 decimals)",
        ])
    }

    @Test func windows1252AndBOMDumpsAreDecoded() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(["price_lists.csv": MasterFixture.priceLists])
        let clients = "code,name,tax_id,email,price_list,seller,web_password,active\r\nC9,Peña Güemes,1,a@b.c,L1,,,S\r\n"
        let windows1252 = Array(clients.data(using: .windowsCP1252)!)
        #expect(windows1252.contains(0xF1))
        let report = try fixture.load(bytes: ["clients.csv": windows1252])
        #expect(report.files[0].encoding == "windows-1252")
        #expect(try fixture.value("SELECT name FROM clients WHERE code = 'C9'") == "Peña Güemes")

        let withBOM = [0xEF, 0xBB, 0xBF] + Array("CODE,Name,Currency\nL7,Lista 7,ARS\n".utf8)
        let bomReport = try fixture.load(bytes: ["price_lists.csv": withBOM], allowMassDeactivation: true)
        #expect(bomReport.files[0].added == 1)
        #expect(try fixture.value("SELECT name FROM price_lists WHERE code = 'L7'") == "Lista 7")
    }

    @Test func missingRecordsBecomeInactiveAndAreNeverDeleted() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        let report = try fixture.load(["products.csv": "code,description,unit,tax_rate,active\nP1,Yerba mate 1 kg,kg,21,1\n"])
        #expect(report.files[0].deactivated == 1)  // P2 (P3 was inactive already)
        #expect(report.files[0].unchanged == 1)
        let products = try fixture.rows("SELECT code, active FROM products ORDER BY code")
        #expect(products.map { $0["code"] as String } == ["P1", "P2", "P3"])
        #expect(products.map { $0["active"] as Int } == [1, 0, 0])
    }

    @Test func unchangedRecordsKeepTheirChangeSequence() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        let before = try fixture.rows("SELECT code, change_seq, password_hash FROM clients ORDER BY code")
        let counter = try fixture.store.currentChangeSequence()

        let again = try fixture.load(MasterFixture.all)
        #expect(again.files.allSatisfy { $0.added + $0.changed + $0.deactivated == 0 })
        #expect(again.files.map(\.unchanged) == [2, 3, 2, 3, 3])
        #expect(try fixture.rows("SELECT code, change_seq, password_hash FROM clients ORDER BY code") == before)
        #expect(try fixture.store.currentChangeSequence() == counter)

        // One client changes its e-mail: only that record moves.
        let changed = MasterFixture.clients.replacingOccurrences(of: "buho@example.com", with: "elbuho@example.com")
        let report = try fixture.load(["clients.csv": changed])
        #expect(report.files[0].changed == 1)
        #expect(report.files[0].unchanged == 2)
        let after = try fixture.rows("SELECT code, change_seq FROM clients ORDER BY code")
        #expect(after[0]["change_seq"] as Int64 == before[0]["change_seq"] as Int64)
        #expect(after[2]["change_seq"] as Int64 > before[2]["change_seq"] as Int64)
    }

    @Test func unusableRowsAreReportedWithFileAndLineAndTheRestLoads() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        let clients = """
            code,name,tax_id,email,price_list,seller,web_password,active
            C1,Almacén Don Tito,20-12345678-6,tito@example.com,L2,V01,tito2026,S
            C4,Sin lista,1,x@example.com,L9,,,S
            C5,Vendedor inexistente,1,y@example.com,L1,V77,,S
            C6,Activo raro,1,z@example.com,L1,,,quizás
            ,Sin código,1,w@example.com,L1,,,S
            C1,Repetido,1,r@example.com,L1,,,S
            C7,Bien,1,ok@example.com,L1,,,N

            """
        let report = try fixture.load(["clients.csv": clients], allowMassDeactivation: true)
        #expect(report.needsAttention)
        #expect(report.files[0].errors.map(\.description) == [
            "clients.csv line 3: price_list \"L9\" does not exist",
            "clients.csv line 4: seller \"V77\" does not exist",
            "clients.csv line 5: active \"quizás\" is not one of 1/0, true/false, S/N, si/no",
            "clients.csv line 6: code is empty",
            "clients.csv line 7: code \"C1\" appears again (first row wins)",
        ])
        #expect(report.files[0].added == 1)  // C7
        #expect(try fixture.value("SELECT active FROM clients WHERE code = 'C7'") == 0)
        #expect(try fixture.value("SELECT name FROM clients WHERE code = 'C1'") == "Almacén Don Tito")
        #expect(try fixture.value("SELECT count(*) FROM clients WHERE code IN ('C4', 'C5', 'C6')") == 0)
    }

    @Test func aClientWithoutPriceListIsRefusedAndSellersLoadAlongside() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        let report = try fixture.load([
            "sellers.csv": MasterFixture.sellers,
            "clients.csv": MasterFixture.clients + "C8,Sin lista,1,s@example.com,,V01,clave8,S\n",
        ])
        #expect(report.files.map(\.master) == [.sellers, .clients])
        #expect(report.files[0].unchanged == 2)
        #expect(report.files[1].errors.map(\.description) == ["clients.csv line 5: price_list is empty"])
        #expect(report.files[1].unchanged == 3)
    }

    @Test func aFileThatCannotBeReadLoadsNothing() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        let missingColumn = try fixture.load(["products.csv": "code,description\nP9,Nuevo\n"])
        #expect(missingColumn.files[0].fileRejected)
        #expect(missingColumn.files[0].errors.first?.description.contains("the header lacks \"unit\", \"tax_rate\"") == true)
        let brokenQuote = try fixture.load(["products.csv": "code,description,unit,tax_rate,active\nP9,\"Nuevo,u,21,1\n"])
        #expect(brokenQuote.files[0].fileRejected)
        #expect(brokenQuote.files[0].errors.first?.line == 2)
        #expect(try fixture.value("SELECT count(*) FROM products WHERE active = 1") == 2)
        #expect(try fixture.value("SELECT count(*) FROM products WHERE code = 'P9'") == 0)
    }

    @Test func orderStatusRowsFollowTheLifecycle() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        try fixture.store.database.write { db in
            try db.execute(sql: """
                INSERT INTO orders(pos, number, web_id, status, order_date, client, total, content_hash,
                                   source_file, source_line, created, change_seq)
                VALUES (9900, 1, 'W-1', 'pending', '2026-11-28T10:15:00-03:00', 'C1', 0, '', 'x.xml', 2, '', 0),
                       (9900, 2, 'W-2', 'pending', '2026-11-28T10:15:00-03:00', 'C1', 0, '', 'x.xml', 5, '', 0)
                """)
        }
        let report = try fixture.load(["order_status.csv": """
            number,status
            9900-00000001,in_preparation
            9900-00000001,dispatched
            9900-00000002,invoiced
            9900-00000099,cancelled
            9900-1,pending

            """])
        #expect(report.files[0].applied == 2)
        #expect(report.files[0].errors.map(\.description) == [
            "order_status.csv line 4: order 9900-00000002: cannot change an order from pending to invoiced: from pending only cancelled or in_preparation is allowed",
            "order_status.csv line 5: order 9900-00000099 does not exist",
            "order_status.csv line 6: number \"9900-1\" is not an order number like 9900-00000001",
        ])
        #expect(try fixture.value("SELECT status FROM orders WHERE number = 1") == "dispatched")
        let history = try fixture.rows("SELECT from_status, to_status FROM order_status_history ORDER BY id")
        #expect(history.map { "\($0["from_status"] as String)→\($0["to_status"] as String)" } == ["pending→in_preparation", "in_preparation→dispatched"])
    }
}
