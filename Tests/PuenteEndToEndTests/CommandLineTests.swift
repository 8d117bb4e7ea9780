import Foundation
import PuenteTestSupport
import Testing

/// The real binary on a temporary folder: what a scheduled job or an admin sees.
@Suite struct CommandLineTests {
    let prices = "price_list;product;price\r\nL1;P1;1200,50\r\n"

    func dumps(in folder: TemporaryFolder) throws {
        try folder.write("puente.toml", "[security]\nbcrypt_cost = 4\n")
        try folder.write("erp/price_lists.csv", "code,name,currency\nL1,Mayorista,ARS\n")
        try folder.write("erp/products.csv", "code,description,unit,tax_rate,active\nP1,Yerba,kg,21,1\n")
        try folder.write("erp/sellers.csv", "code,name,email,web_password,active\nV1,Martín,m@example.com,secreto-v1,S\n")
        try folder.write("erp/clients.csv", "code,name,tax_id,email,price_list,seller,web_password,active\nC1,Peña,1,p@example.com,L1,V1,secreto-c1,S\n")
        try folder.write("erp/prices.csv", prices)
    }

    @Test func mastersLoadPrintsASummaryAndExitsZero() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try dumps(in: folder)
        let run = try PuenteProcess.run(["masters", "load", "erp"], in: folder.url)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("clients.csv (UTF-8): 1 added, 0 changed, 0 deactivated, 0 unchanged, 0 errors"))
        #expect(run.stdout.contains("prices.csv (UTF-8): 1 added"))
        #expect(FileManager.default.fileExists(atPath: folder.url.appending(path: "puente.sqlite").path))
        #expect(!run.stdout.contains("secreto"))
        #expect(!run.stderr.contains("secreto"))
    }

    @Test func jsonSummaryBeforeOrAfterTheSubcommand() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try dumps(in: folder)
        for arguments in [["--json", "masters", "load", "erp"], ["masters", "load", "erp", "--json"]] {
            let run = try PuenteProcess.run(arguments, in: folder.url)
            #expect(run.status == 0, "\(run.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
            let files = try #require(object?["files"] as? [[String: Any]])
            #expect(files.map { $0["master"] as? String } == ["price_lists", "products", "sellers", "clients", "prices"])
            #expect(object?["needs_attention"] as? Bool == false)
        }
    }

    @Test func unusableRowExitsSixtyFiveAndNamesFileAndLine() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try dumps(in: folder)
        try folder.write("erp/prices.csv", prices + "L9;P1;10\r\n")
        let run = try PuenteProcess.run(["masters", "load", "erp"], in: folder.url)
        #expect(run.status == 65)
        #expect(run.stdout.contains("prices.csv line 3: price_list \"L9\" does not exist"))
    }

    @Test func exitStatusesForUsageIOAndConfiguration() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try dumps(in: folder)
        #expect(try PuenteProcess.run(["masters", "load", "nowhere.csv"], in: folder.url).status == 64)
        #expect(try PuenteProcess.run(["masters", "load", "puente.toml"], in: folder.url).status == 64)
        #expect(try PuenteProcess.run(["masters", "load"], in: folder.url).status == 64)
        #expect(try PuenteProcess.run(["frobnicate"], in: folder.url).status == 64)

        try folder.write("bad.toml", "[inbox]\nsettle_seconds = \"two\"\n")
        let bad = try PuenteProcess.run(["masters", "load", "erp", "--config", "bad.toml"], in: folder.url)
        #expect(bad.status == 78)
        #expect(bad.stderr.contains("inbox.settle_seconds"))
        let fromEnvironment = try PuenteProcess.run(["masters", "load", "erp"], in: folder.url, environment: ["PUENTE_CONFIG": "bad.toml"])
        #expect(fromEnvironment.status == 78)

        // The store's folder is a file: the database cannot be opened.
        try folder.write("blocked", "not a folder")
        try folder.write("io.toml", "database = \"blocked/puente.sqlite\"\n")
        #expect(try PuenteProcess.run(["masters", "load", "erp", "--config", "io.toml"], in: folder.url).status == 74)
    }

    @Test func quietPrintsNothingOnSuccess() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try dumps(in: folder)
        let run = try PuenteProcess.run(["--quiet", "masters", "load", "erp"], in: folder.url)
        #expect(run.status == 0)
        #expect(run.stdout.isEmpty)
    }

    @Test func exportWritesAPackageThenOnlyWhatChanged() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try dumps(in: folder)
        #expect(try PuenteProcess.run(["masters", "load", "erp"], in: folder.url).status == 0)

        let first = try PuenteProcess.run(["export"], in: folder.url)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("site 9900: Outbox/9900/puente-9900-000001-full.zip (full)"))
        #expect(first.stdout.contains("1 clients, 1 sellers, 1 seller_clients, 1 products, 1 price_lists, 1 prices, 0 order_status"))

        let nothing = try PuenteProcess.run(["export"], in: folder.url)
        #expect(nothing.status == 0)
        #expect(nothing.stdout.contains("site 9900: nothing changed since its last package"))

        try folder.write("erp/prices.csv", "price_list;product;price\r\nL1;P1;1250\r\n")
        #expect(try PuenteProcess.run(["masters", "load", "erp/prices.csv"], in: folder.url).status == 0)
        let delta = try PuenteProcess.run(["--json", "export"], in: folder.url)
        #expect(delta.status == 0, "\(delta.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(delta.stdout.utf8)) as? [String: Any]
        let site = try #require((object?["sites"] as? [[String: Any]])?.first)
        #expect(site["package"] as? String == "9900/puente-9900-000002-delta.zip")
        #expect(site["base"] as? Int == 1)
        #expect((site["records"] as? [String: Int])?["prices"] == 1)
        #expect((site["records"] as? [String: Int])?["clients"] == 0)

        let listing = try FileManager.default.contentsOfDirectory(atPath: folder.url.appending(path: "Outbox/9900").path).sorted()
        #expect(listing == ["puente-9900-000001-full.zip", "puente-9900-000002-delta.zip"])
        let bytes = try Data(contentsOf: folder.url.appending(path: "Outbox/9900/puente-9900-000001-full.zip"))
        #expect(bytes.prefix(4) == Data([0x50, 0x4B, 0x03, 0x04]), "a zip file")
        #expect(!String(decoding: bytes, as: UTF8.self).contains("secreto"))
    }

    @Test func exportForAnUnknownSiteIsAUsageError() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let run = try PuenteProcess.run(["export", "--site", "1234"], in: folder.url)
        #expect(run.status == 64)
        #expect(run.stderr.contains("site 1234 is not configured (configured: 9900)"))
    }
}

@Suite struct DemoTests {
    /// The repository's Samples/masters, found from this source file.
    static let samples = URL(filePath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appending(path: "Samples/masters")

    @Test func demoLoadsTheSamplesIntoAFreshStoreAndExitsZero() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try FileManager.default.createDirectory(at: folder.url.appending(path: "Samples"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.samples, to: folder.url.appending(path: "Samples/masters"))
        try folder.write("puente.toml", "[security]\nbcrypt_cost = 4\n")
        try folder.write("puente.sqlite", "an old store that the demo must replace")

        let run = try PuenteProcess.run(["demo"], in: folder.url)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("clients.csv (windows-1252): 27 added"))
        #expect(run.stdout.contains("prices.csv (UTF-8): 187 added"))
        #expect(run.stdout.contains("Web-enabled: 19 clients and 3 sellers"))
        #expect(run.stdout.contains("site 9900: Outbox/9900/puente-9900-000001-full.zip (full)"))
        #expect(run.stdout.contains("22 clients, 3 sellers, 14 seller_clients, 59 products, 3 price_lists, 187 prices"))
        #expect(FileManager.default.fileExists(atPath: folder.url.appending(path: "Outbox/9900/puente-9900-000001-full.zip").path))
        // A second demo starts over: a fresh store and a fresh first package, nothing overwritten by accident.
        let second = try PuenteProcess.run(["demo"], in: folder.url)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("Outbox/9900/puente-9900-000001-full.zip (full)"))

        let again = try PuenteProcess.run(["masters", "load", "Samples/masters"], in: folder.url)
        #expect(again.status == 0)
        #expect(again.stdout.contains("clients.csv (windows-1252): 0 added, 0 changed, 0 deactivated, 27 unchanged"))
    }

    @Test func demoOutsideTheRepositoryIsAUsageError() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let run = try PuenteProcess.run(["demo"], in: folder.url)
        #expect(run.status == 64)
        #expect(run.stderr.contains("run the demo from the repository root"))
    }
}
