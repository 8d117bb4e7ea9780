import PuenteTestSupport
import Foundation
import GRDB
import PuenteDomain
import PuenteExchange
import PuenteFormats
import PuenteSecurity
import PuenteStore
import Testing

@Suite struct PackageExportTests {
    /// Passwords in `MasterFixture` and in the changes below: none may reach the Outbox.
    static let plainPasswords = ["vende01", "tito2026", "ñandu123", "nuevo-tito", "vende03", "cuatro44"]

    @Test func firstPackageIsFullAndHoldsWhatTheSiteNeeds() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        let report = try fixture.exporter().export()
        #expect(report.sites.map(\.package) == ["9900/puente-9900-000001-full.zip"])
        let package = try PackageReader(fixture.package(9900, "puente-9900-000001-full.zip"))

        let clients = try package.records("clients")
        #expect(clients.map { $0["code"] } == ["C1", "C2", "C3"])
        #expect(clients[0]["password_hash"]?.hasPrefix("$2y$04$") == true)
        #expect(clients[2]["password_hash"] == "", "C3 is exported for its seller, without a hash")
        #expect(clients[0]["name"] == "Almacén Don Tito" && clients[0]["seller"] == "V01")
        #expect(try package.records("sellers").map { $0["code"] } == ["V01"])
        #expect(try package.records("seller_clients").map { "\($0["seller"]!)-\($0["client"]!)" } == ["V01-C1", "V01-C3"])
        let products = try package.records("products")
        #expect(products.map { $0["code"] } == ["P1", "P2"], "P3 is inactive")
        #expect(products.map { $0["tax_rate"] } == ["21.00", "10.50"])
        #expect(products[1]["description"] == "Aceite girasol 1,5 l")
        #expect(try package.records("price_lists").map { $0["code"] } == ["L1", "L2"])
        #expect(try package.records("prices").map { "\($0["price_list"]!):\($0["product"]!)=\($0["price"]!)" }
                == ["L1:P1=1200.50", "L1:P2=899.00", "L2:P1=1300.0001"])
        #expect(try package.records("order_status").isEmpty)
        for (set, _) in PackageReader.keys {
            #expect(try package.records(set).allSatisfy { $0["active"] == nil || $0["active"] == "true" })
        }
        let csv = String(decoding: package.entries["prices.csv"]!, as: UTF8.self)
        #expect(csv.hasPrefix("price_list,product,price,active\nL1,P1,1200.50,true\n"))
        #expect(csv.utf8.first != 0xEF, "machine CSV has no BOM")
    }

    @Test func manifestCountsAndChecksumsMatchTheFiles() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        try fixture.exporter().export()
        let package = try PackageReader(fixture.package(9900, "puente-9900-000001-full.zip"))
        let manifest = package.manifest
        #expect(manifest.package["version"] == "1")
        #expect(manifest.package["pos"] == "9900")
        #expect(manifest.package["sequence"] == "1")
        #expect(manifest.package["kind"] == "full")
        #expect(manifest.package["base"] == "")
        #expect(manifest.files.count == 14)
        #expect(Set(package.entries.keys) == Set(manifest.files.compactMap { $0["name"] } + ["manifest.xml"]))
        for file in manifest.files {
            let name = try #require(file["name"])
            let bytes = try #require(package.entries[name])
            #expect(SHA256.hash(bytes).hexString == file["sha256"], "\(name)")
            let set = String(name.prefix { $0 != "." })
            #expect(try package.records(set).count == Int(file["records"] ?? ""), "\(name)")
            if name.hasSuffix(".xml") {
                let elements = String(decoding: bytes, as: UTF8.self).split(separator: "\n").count - 3
                #expect(elements == Int(file["records"] ?? ""), "\(name): one element per line")
            }
        }
    }

    @Test func everyXMLFileIsValidAgainstItsSchema() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        try insertOrder(fixture, web: "W-1", number: 1)
        try fixture.exporter().export()
        try fixture.load(["clients.csv": MasterFixture.clients.replacingOccurrences(of: ",ñandu123,", with: ",,")])
        try fixture.exporter().export()
        for name in ["puente-9900-000001-full.zip", "puente-9900-000002-delta.zip"] {
            let package = try PackageReader(fixture.package(9900, name))
            #expect(package.entries.count == 15, "every package has all fourteen files and its manifest")
            for (entry, bytes) in package.entries where entry.hasSuffix(".xml") {
                let schemaName = entry == "manifest.xml" ? "manifest" : String(entry.dropLast(4))
                let file = try fixture.folder.write("check/\(name)/\(entry)", bytes: bytes)
                let validator = try XMLSchemaValidator(schemaAt: Schemas.path(schemaName))
                #expect(validator.validate(fileAt: file.path) == [], "\(name) \(entry)")
            }
        }
        // The validator does find problems: a record without its required attribute.
        let broken = try fixture.folder.write("check/broken.xml", "<prices version=\"1\">\n<price price_list=\"L1\" price=\"1.00\" active=\"true\"/>\n</prices>\n")
        #expect(try XMLSchemaValidator(schemaAt: Schemas.path("prices")).validate(fileAt: broken.path).count == 1)
    }

    @Test func noChangeNoPackage() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        try fixture.exporter().export()
        let again = try fixture.exporter().export()
        #expect(again.sites[0].package == nil)
        // Reloading the same dumps changes nothing either.
        try fixture.load(MasterFixture.all)
        #expect(try fixture.exporter().export().sites[0].package == nil)
        // A change that concerns no site (a client that is not exported) moves the counter but
        // makes no package.
        try fixture.load(["clients.csv": MasterFixture.clients + "C9,Sin web,20-1-1,x@example.com,L1,,,1\n"])
        #expect(try fixture.exporter().export().sites[0].package == nil)
        #expect(fixture.outbox(9900) == ["puente-9900-000001-full.zip"])
    }

    @Test func deltaCarriesEachKindOfChangeAndAddsUpToAFullPackage() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        try fixture.exporter().export()
        let hashBefore: String = try #require(try fixture.value("SELECT password_hash FROM clients WHERE code = 'C1'"))

        try fixture.load([
            // V03 added, web-enabled.
            "sellers.csv": MasterFixture.sellers + "V03,Ana Ruiz,ar@example.com,vende03,S\n",
            // C1: password changed. C2: lost web access (and L1 with it, its only client).
            // C3: moved from V01 to V03. C4: added.
            "clients.csv": """
                code,name,tax_id,email,price_list,seller,web_password,active
                C1,Almacén Don Tito,20-12345678-6,tito@example.com,L2,V01,nuevo-tito,S
                C2,Despensa Los Ñandúes,27-23456789-4,nandu@example.com,L1,,,si
                C3,Kiosco El Búho,20-34567890-3,buho@example.com,L2,V03,,1
                C4,Verdulería Cuatro,20-44444444-4,cuatro@example.com,L2,,cuatro44,1

                """,
            // P2 deactivated (missing from the dump).
            "products.csv": "code,description,unit,tax_rate,active\nP1,Yerba mate 1 kg,kg,21,1\nP3,Azúcar 1 kg,kg,10.5,0\n",
            // L2's price of P1 changed; P2 added to L2.
            "prices.csv": "price_list;product;price\nL1;P1;1200,50\nL1;P2;899\nL2;P1;1350\nL2;P2;950\n",
        ])
        let report = try fixture.exporter().export()
        #expect(report.sites[0].package == "9900/puente-9900-000002-delta.zip")
        #expect(report.sites[0].base == 1)
        let delta = try PackageReader(fixture.package(9900, "puente-9900-000002-delta.zip"))
        #expect(delta.manifest.package["kind"] == "delta" && delta.manifest.package["base"] == "1")

        func summary(_ set: String, _ fields: [String]) throws -> [String] {
            try delta.records(set).map { record in fields.map { record[$0] ?? "?" }.joined(separator: " ") }
        }
        let clients = try delta.records("clients")
        #expect(clients.map { "\($0["code"]!) \($0["active"]!)" } == ["C1 true", "C2 false", "C3 true", "C4 true"])
        let newHash = try #require(clients[0]["password_hash"])
        #expect(newHash.hasPrefix("$2y$") && newHash != hashBefore)
        #expect(clients[2]["seller"] == "V03")
        #expect(try summary("sellers", ["code", "active"]) == ["V03 true"])
        #expect(try summary("seller_clients", ["seller", "client", "active"]) == ["V01 C3 false", "V03 C3 true"])
        #expect(try summary("products", ["code", "active"]) == ["P2 false"])
        #expect(try summary("price_lists", ["code", "active"]) == ["L1 false"])
        #expect(try summary("prices", ["price_list", "product", "price", "active"]) == [
            "L1 P1 1200.50 false", "L1 P2 899.00 false", "L2 P1 1350.00 true", "L2 P2 950.00 true",
        ])

        // Full + delta applied in order give what a full package holds now.
        var applied: [String: [String: String]] = [:]
        try PackageReader(fixture.package(9900, "puente-9900-000001-full.zip")).apply(to: &applied)
        try delta.apply(to: &applied)
        try fixture.exporter().export(full: true)
        var full: [String: [String: String]] = [:]
        try PackageReader(fixture.package(9900, "puente-9900-000003-full.zip")).apply(to: &full)
        #expect(applied == full)
        #expect(full.keys.contains("clients:C4") && !full.keys.contains("clients:C2"))
    }

    @Test func deltaPricesAreTheSameFromTheChangeLogOrFromAScan() throws {
        var packages: [[String]] = []
        for useLog in [true, false] {
            let fixture = try MasterFixture()
            defer { fixture.remove() }
            try fixture.load(MasterFixture.all)
            try fixture.exporter().export()
            try fixture.load(["prices.csv": "price_list;product;price\nL1;P1;1201\nL1;P2;899\nL2;P1;1300,0001\nL2;P2;5\n"])
            try fixture.load(["prices.csv": "price_list;product;price\nL1;P1;1202\nL2;P1;1300,0001\nL2;P2;5\n"])
            let logged: Int? = try fixture.value("SELECT count(*) FROM price_changes")
            #expect(logged == 4, "L1:P1 twice, L2:P2 added, L1:P2 deactivated")
            if !useLog {
                // As after a replacement too large to log: the delta must scan prices instead.
                try fixture.store.database.write { db in
                    try db.execute(sql: "UPDATE change_logs SET complete_after = 1000000")
                }
            }
            try fixture.exporter().export()
            packages.append(try PackageReader(fixture.package(9900, "puente-9900-000002-delta.zip")).records("prices")
                .map { "\($0["price_list"]!) \($0["product"]!) \($0["price"]!) \($0["active"]!)" })
            let left: Int? = try fixture.value("SELECT count(*) FROM price_changes")
            #expect(left == 0, "the log is pruned once every site has the changes")
        }
        #expect(packages[0] == ["L1 P1 1202.00 true", "L1 P2 899.00 false", "L2 P2 5.00 true"])
        #expect(packages[0] == packages[1])
    }

    @Test func plainPasswordsNeverReachTheOutbox() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        try fixture.exporter().export()
        try fixture.load(["clients.csv": MasterFixture.clients.replacingOccurrences(of: "tito2026", with: "nuevo-tito")])
        try fixture.exporter().export()
        for name in fixture.outbox(9900) {
            let package = try PackageReader(fixture.package(9900, name))
            for (entry, bytes) in package.entries {
                let text = String(decoding: bytes, as: UTF8.self)
                for password in Self.plainPasswords { #expect(!text.contains(password), "\(name) \(entry)") }
            }
            let raw = String(decoding: try Data(contentsOf: fixture.package(9900, name)), as: UTF8.self)
            for password in Self.plainPasswords { #expect(!raw.contains(password)) }
        }
    }

    @Test func sequencesArePerSite() throws {
        let fixture = try MasterFixture(sites: [.init(pos: 9900, name: "Tienda"), .init(pos: 9901, name: "Mayoristas")])
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        #expect(try fixture.exporter().export().sites.map(\.package)
                == ["9900/puente-9900-000001-full.zip", "9901/puente-9901-000001-full.zip"])
        try fixture.load(["prices.csv": "price_list;product;price\nL1;P1;1201\nL1;P2;899\nL2;P1;1300,0001\n"])
        #expect(try fixture.exporter().export(site: 9901).sites.map(\.package) == ["9901/puente-9901-000002-delta.zip"])
        #expect(try fixture.exporter().export(site: 9901, full: true).sites.map(\.package)
                == ["9901/puente-9901-000003-full.zip"])
        // 9900 missed the change so far: its next package is its own second one, a delta.
        #expect(try fixture.exporter().export().sites.map(\.package) == ["9900/puente-9900-000002-delta.zip", nil])
        #expect { try fixture.exporter().export(site: 1234) } throws: { ($0 as? PuenteError)?.code == .usage }
    }

    @Test func orderStatusCarriesTheSiteOrdersAndTheirChanges() throws {
        let fixture = try MasterFixture(sites: [.init(pos: 9900, name: "Tienda"), .init(pos: 9901, name: "Otra")])
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        try insertOrder(fixture, web: "W-1", number: 1)
        try insertOrder(fixture, web: "W-2", number: 2)
        try fixture.exporter().export()
        let first = try PackageReader(fixture.package(9900, "puente-9900-000001-full.zip")).records("order_status")
        #expect(first.map { "\($0["order"]!) \($0["number"]!) \($0["status"]!)" }
                == ["W-1 9900-00000001 pending", "W-2 9900-00000002 pending"])
        #expect(try PackageReader(fixture.package(9901, "puente-9901-000001-full.zip")).records("order_status").isEmpty)

        let moved = try fixture.store.changeStatus(
            of: try #require(OrderNumber("9900-00000002")), to: .inPreparation,
            at: "2026-11-29T09:30:00-03:00", source: "test")
        #expect(moved == .success(.pending))
        let report = try fixture.exporter().export()
        #expect(report.sites.map(\.package) == ["9900/puente-9900-000002-delta.zip", nil])
        let delta = try PackageReader(fixture.package(9900, "puente-9900-000002-delta.zip")).records("order_status")
        #expect(delta == [["order": "W-2", "number": "9900-00000002", "status": "in_preparation",
                           "changed": "2026-11-29T09:30:00-03:00"]])
    }

    @Test func failureBeforeRecordingLeavesNoPackageAndTheSequenceUnused() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        struct Crash: Error {}
        #expect(throws: Crash.self) {
            try fixture.exporter(fault: { if $0 == .packageWritten { throw Crash() } }).export()
        }
        #expect(!fixture.outbox(9900).contains { $0.hasSuffix(".zip") }, "no final-named file")
        #expect(try fixture.store.packages(pos: 9900).isEmpty)
        let count: Int? = try fixture.value("SELECT count(*) FROM site_records")
        #expect(count == 0)

        let report = try fixture.exporter().export()
        #expect(report.sites[0].package == "9900/puente-9900-000001-full.zip")
        #expect(fixture.outbox(9900) == ["puente-9900-000001-full.zip"], "the temporary file is gone")
        _ = try PackageReader(fixture.package(9900, "puente-9900-000001-full.zip"))
    }

    @Test func crashAfterRecordingIsFinishedByTheNextExport() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        struct Crash: Error {}
        #expect(throws: Crash.self) {
            try fixture.exporter(fault: { if $0 == .recorded { throw Crash() } }).export()
        }
        #expect(fixture.outbox(9900) == [".puente-9900-000001-full.zip.tmp"])
        #expect(try fixture.store.packages(pos: 9900).map(\.sequence) == [1])

        let report = try fixture.exporter().export()
        #expect(report.sites[0].completed == "9900/puente-9900-000001-full.zip")
        #expect(report.sites[0].package == nil, "nothing changed since")
        #expect(fixture.outbox(9900) == ["puente-9900-000001-full.zip"])
        #expect(try PackageReader(fixture.package(9900, "puente-9900-000001-full.zip")).records("clients").count == 3)
    }

    @Test func aPublishCutBetweenItsLinkAndItsUnlinkLeavesNoTemporaryName() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        try fixture.exporter().export()
        // The state a kill between the two halves of the publish leaves: both names, one file.
        let final = fixture.package(9900, "puente-9900-000001-full.zip")
        #expect(link(final.path, fixture.package(9900, ".puente-9900-000001-full.zip.tmp").path) == 0)
        let report = try fixture.exporter().export()
        #expect(report.sites[0].completed == nil && report.sites[0].package == nil)
        #expect(fixture.outbox(9900) == ["puente-9900-000001-full.zip"])
        #expect(try PackageReader(fixture.package(9900, "puente-9900-000001-full.zip")).records("clients").count == 3)
    }

    @Test func publishedPriceIsWhatTheSiteWasShownAtAMoment() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        let beforeAnything = Int64(Date().timeIntervalSince1970) - 60
        #expect(try fixture.store.publishedPrice(pos: 9900, priceList: "L1", product: "P1", atUnix: beforeAnything + 120) == nil)

        try fixture.exporter().export()
        let firstPublished: Int64 = try #require(try fixture.value("SELECT published_unix FROM packages WHERE sequence = 1"))
        try fixture.load(["prices.csv": "price_list;product;price\nL1;P1;1250\nL1;P2;899\nL2;P1;1300,0001\n"])
        // Not exported yet: the site still shows the old price.
        #expect(try fixture.store.publishedPrice(pos: 9900, priceList: "L1", product: "P1", atUnix: firstPublished + 3600) == 1200_5000)
        try fixture.store.database.write { db in
            // Make the first package an hour old, so the next one is clearly later.
            try db.execute(sql: "UPDATE packages SET published_unix = published_unix - 3600")
        }
        try fixture.exporter().export()
        let now = Int64(Date().timeIntervalSince1970)
        #expect(try fixture.store.publishedPrice(pos: 9900, priceList: "L1", product: "P1", atUnix: now) == 1250_0000)
        #expect(try fixture.store.publishedPrice(pos: 9900, priceList: "L1", product: "P1", atUnix: now - 1800) == 1200_5000)
        #expect(try fixture.store.publishedPrice(pos: 9900, priceList: "L1", product: "P1", atUnix: beforeAnything - 3600) == nil)
        #expect(try fixture.store.publishedPrice(pos: 9900, priceList: "L1", product: "P3", atUnix: now) == nil)
    }

    private func insertOrder(_ fixture: MasterFixture, web: String, number: Int) throws {
        try fixture.store.database.write { db in
            try db.execute(sql: """
                INSERT INTO orders(pos, number, web_id, status, order_date, client, total, content_hash,
                                   source_file, source_line, created, change_seq)
                VALUES (9900, ?, ?, 'pending', '2026-11-28T10:00:00-03:00', 'C1', 0, '', 'test.xml', 1,
                        '2026-11-28T10:00:05-03:00', (SELECT value FROM change_counter))
                """, arguments: [number, web])
        }
    }
}

/// The XSDs shipped in the repository.
enum Schemas {
    static func path(_ name: String) -> String {
        URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appending(path: "docs/schemas/\(name).xsd").path
    }
}
