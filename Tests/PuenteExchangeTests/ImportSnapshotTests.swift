import Foundation
import GRDB
import GRDBSQLite
import PuenteDomain
@testable import PuenteStore
import PuenteTestSupport
import Testing

/// The masters' snapshot an import reads instead of the tables (`import_snapshot`, written by
/// `masters load`): it holds what the tables hold, no change to the tables leaves it standing,
/// and a damaged one is not read.
@Suite struct ImportSnapshotTests {
    /// Masters with codes of every shape (long, not ASCII), inactive products, inactive prices
    /// (dropped from a second dump), a list without prices, clients with and without sellers.
    static func variedMasters() -> [String: String] {
        var generator = SplitMix(seed: 7)
        var products = "code,description,unit,tax_rate,active\n"
        var codes: [String] = []
        for index in 0..<300 {
            let code = switch index % 3 {
            case 0: "P\(index)"
            case 1: "PRODUCTO-LARGO-000-\(index)"   // over 16 bytes
            default: "Ñandú-\(index)-€"
            }
            codes.append(code)
            products += "\(code),Producto \(index),u,21,\(generator.next() % 5 == 0 ? 0 : 1)\n"
        }
        var prices = "price_list;product;price\n"
        for list in ["L1", "L2"] {
            for code in codes where generator.next() % 3 != 0 {
                prices += "\(list);\(code);\(generator.next() % 100_000),\(generator.next() % 10_000)\n"
            }
        }
        var clients = "code,name,tax_id,email,price_list,seller,web_password,active\n"
        for index in 0..<40 {
            let seller = ["V01", "V02", ""][index % 3]
            let list = ["L1", "L2", "L3"][index % 3]
            clients += "C\(index),Cliente \(index),20-12345678-6,c\(index)@example.com,\(list),\(seller),\(index % 4 == 0 ? "" : "clave\(index)"),\(index % 7 == 0 ? "N" : "S")\n"
        }
        return ["price_lists.csv": MasterFixture.priceLists + "L3,Sin precios,ARS\n", "sellers.csv": MasterFixture.sellers,
                "products.csv": products, "clients.csv": clients, "prices.csv": prices]
    }

    static func fromTables(_ store: BackOfficeStore) throws -> ImportMastersContent {
        try ImportMastersContent.read(store.readOnlyConnection(), second: { try store.readOnlyConnection() })
    }

    static func fromSnapshot(_ store: BackOfficeStore) throws -> ImportMastersContent? {
        try store.readOnlyConnection().read(ImportMastersContent.snapshot)
    }

    /// The first part in which two readings differ (nil: none): a short failure message
    /// instead of two million prices printed.
    static func difference(_ one: ImportMastersContent?, _ other: ImportMastersContent) -> String? {
        guard let one else { return "no snapshot" }
        if one.lists != other.lists { return "lists: \(one.lists) against \(other.lists)" }
        if let code = Set(one.clients.keys).union(other.clients.keys).sorted().first(where: { one.clients[$0] != other.clients[$0] }) {
            return "client \(code): \(String(describing: one.clients[code])) against \(String(describing: other.clients[code]))"
        }
        if one.sellers != other.sellers { return "sellers: \(one.sellers) against \(other.sellers)" }
        if one.productBytes != other.productBytes || one.productEnds != other.productEnds { return "product codes" }
        if one.productActive != other.productActive { return "products' active flags" }
        if one.prices.count != other.prices.count { return "\(one.prices.count) price tables against \(other.prices.count)" }
        for (key, table) in one.prices.enumerated() where table != other.prices[key] {
            let place = zip(table, other.prices[key]).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            return "list \(one.lists[key]): prices differ (first at product place \(place.map(String.init) ?? "past the end"))"
        }
        return one == other ? nil : "some other field"
    }

    static func snapshots(_ fixture: MasterFixture) throws -> Int {
        try #require(try fixture.value("SELECT count(*) FROM import_snapshot"))
    }

    @Test func theSnapshotHoldsWhatTheTablesHold() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        var masters = Self.variedMasters()
        try fixture.load(masters)
        // Some prices dropped from the dump: deactivated, not on the list any more.
        let prices = masters["prices.csv"]!.split(separator: "\n")
        masters["prices.csv"] = prices.enumerated().filter { $0.offset % 10 != 5 }.map { $0.element + "\n" }.joined()
        #expect(try fixture.load(masters).files.first { $0.master == .prices }?.deactivated ?? 0 > 0)

        let tables = try Self.fromTables(fixture.store)
        let snapshot = try Self.fromSnapshot(fixture.store)
        #expect(Self.difference(snapshot, tables) == nil)
        // Not an empty comparison: every kind of value is there.
        #expect(tables.lists == ["L1", "L2", "L3"] && tables.clients.count == 40 && tables.sellers.count == 2)
        #expect(tables.productEnds.count == 300 && tables.productActive.contains(false))
        #expect(tables.prices.count == 3 && tables.prices[2].allSatisfy { $0 == .min })
        #expect(tables.prices[0].contains(.min) && tables.prices[0].contains { $0 != .min })
        #expect(tables.clients.values.contains { $0.seller == nil } && tables.clients.values.contains { !$0.active })

        // And the import's view through it: a price as the table has it.
        let masters2 = try ImportMasters(store: fixture.store, sites: [9900])
        let client = try #require(masters2.client("C1"))   // list L2
        let row = try #require(try fixture.rows("SELECT product, price FROM prices WHERE price_list = 'L2' AND active = 1 AND product LIKE 'Ñ%' LIMIT 1").first)
        let code: String = row[0]
        let stored: Int64 = row[1]
        #expect(masters2.listPrice(client, try #require(masters2.product(code))) == Money(units: stored))
    }

    /// Every way a master table can change (a row added, changed, removed; by the loader or
    /// by hand) deletes the snapshot in the same transaction: an import then reads the tables.
    @Test func anyChangeToTheMastersDeletesTheSnapshot() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        #expect(try Self.snapshots(fixture) == 1)
        let changes = [
            "INSERT INTO price_lists VALUES ('L9', 'Nueva', 'ARS', 1, 1)",
            "UPDATE price_lists SET name = 'Otra' WHERE code = 'L9'",
            "DELETE FROM price_lists WHERE code = 'L9'",
            "INSERT INTO products VALUES ('P9', 'Nuevo', 'u', 2100, 1, 1)",
            "UPDATE products SET active = 0 WHERE code = 'P9'",
            "DELETE FROM products WHERE code = 'P9'",
            "INSERT INTO sellers VALUES ('V09', 'Nuevo', '', '', '', 1, 1)",
            "UPDATE sellers SET active = 0 WHERE code = 'V09'",
            "DELETE FROM sellers WHERE code = 'V09'",
            "INSERT INTO clients VALUES ('C9', 'Nuevo', '', '', 'L1', NULL, '', '', 1, 1)",
            "UPDATE clients SET price_list = 'L2' WHERE code = 'C9'",
            "DELETE FROM clients WHERE code = 'C9'",
            "INSERT INTO prices VALUES ('L1', 'P3', 5000000, 1, 1)",
            "UPDATE prices SET price = 7770000 WHERE price_list = 'L1' AND product = 'P1'",
            "DELETE FROM prices WHERE price_list = 'L1' AND product = 'P3'",
        ]
        for (index, change) in changes.enumerated() {
            // The load wrote the first; the change before each other one deleted it.
            #expect(try fixture.store.refreshImportSnapshot() == (index > 0), "written again before: \(change)")
            try fixture.store.database.write { try $0.execute(sql: change) }
            #expect(try Self.snapshots(fixture) == 0, "left standing by: \(change)")
        }
        // The import sees the price changed by hand (read from the tables).
        let masters = try ImportMasters(store: fixture.store, sites: [9900])
        let client = try #require(masters.client("C2"))   // list L1
        #expect(masters.listPrice(client, try #require(masters.product("P1"))) == Money("777.00"))
        // The next masters load, though its dumps are unchanged, writes it again.
        let again = try fixture.load(MasterFixture.all)
        #expect(again.files.allSatisfy { $0.sameAsLastLoad || $0.master == .orderStatus })
        #expect(try Self.snapshots(fixture) == 1)
        #expect(try Self.difference(Self.fromSnapshot(fixture.store), Self.fromTables(fixture.store)) == nil)
    }

    /// A snapshot cut short or with changed bytes is read as no snapshot, or as masters of a
    /// consistent shape (a price's bytes changed read as another price): never out of bounds.
    @Test func aDamagedSnapshotIsNotTrusted() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(Self.variedMasters())
        let whole: Data = try #require(try fixture.value("SELECT data FROM import_snapshot"))
        let tables = try Self.fromTables(fixture.store)
        func store(_ bytes: Data) throws {
            try fixture.store.database.write { try $0.execute(sql: "UPDATE import_snapshot SET data = ?", arguments: [bytes]) }
        }
        var generator = SplitMix(seed: 11)
        var refused = 0
        for round in 0..<400 {
            var bytes = whole
            switch round % 4 {
            case 0: bytes = bytes.prefix(Int(generator.next() % UInt64(bytes.count)))
            case 1: bytes.append(UInt8(truncatingIfNeeded: generator.next()))
            default:
                // Mostly in the part before the prices, where the counts and lengths are.
                let span = round % 4 == 2 ? min(bytes.count, 6000) : bytes.count
                let at = Int(generator.next() % UInt64(span))
                bytes[at] ^= UInt8(1 << (generator.next() % 8))
            }
            try store(bytes)
            guard let content = try Self.fromSnapshot(fixture.store) else {
                refused += 1
                continue
            }
            #expect(round % 4 >= 2, "a snapshot cut short or lengthened was read")
            #expect(content.prices.count == content.lists.count)
            #expect(content.prices.allSatisfy { $0.count == content.productEnds.count })
            #expect(content.productEnds.count == content.productActive.count && content.productEnds.last ?? 0 == content.productBytes.count)
            #expect(content.clients.values.allSatisfy { $0.priceListKey >= -1 && $0.priceListKey < content.lists.count })
        }
        #expect(refused >= 200)
        // A damaged one is replaced by the next load; the import meanwhile reads the tables.
        try store(whole.prefix(100))
        #expect(try Self.fromSnapshot(fixture.store) == nil)
        #expect(try ImportMasters(store: fixture.store, sites: [9900]).client("C1") == tables.clients["C1"])
        #expect(try fixture.store.refreshImportSnapshot())
        #expect(try Self.difference(Self.fromSnapshot(fixture.store), tables) == nil)
    }

    /// Masters too large for one SQLite value get no snapshot (the load does not fail): the
    /// import reads the tables.
    @Test func mastersTooLargeForOneValueGetNone() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.store.database.writeWithoutTransaction { db in
            _ = sqlite3_limit(db.sqliteConnection, SQLITE_LIMIT_LENGTH, 1000)
        }
        let report = try fixture.load(Self.variedMasters())
        #expect(!report.needsAttention)
        #expect(try Self.snapshots(fixture) == 0)
        #expect(try !fixture.store.refreshImportSnapshot())
        let masters = try ImportMasters(store: fixture.store, sites: [9900])
        #expect(masters.client("C1") == (try Self.fromTables(fixture.store)).clients["C1"])
    }
}
