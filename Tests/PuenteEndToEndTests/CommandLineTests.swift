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
