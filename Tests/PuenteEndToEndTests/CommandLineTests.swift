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
            #expect(files.map { $0["master"] as? String } == ["price_lists", "products", "sellers", "prices", "clients"])
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
    /// The repository's Samples/, found from this source file.
    static let samples = URL(filePath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appending(path: "Samples")

    @Test func demoLoadsTheSamplesIntoAFreshStoreAndExitsZero() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try FileManager.default.copyItem(at: Self.samples, to: folder.url.appending(path: "Samples"))
        try folder.write("puente.toml", "[security]\nbcrypt_cost = 4\n")
        try folder.write("puente.sqlite", "an old store that the demo must replace")

        let run = try PuenteProcess.run(["demo"], in: folder.url)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("clients.csv (windows-1252): 27 added"))
        #expect(run.stdout.contains("prices.csv (UTF-8): 187 added"))
        #expect(run.stdout.contains("Web-enabled: 19 clients and 3 sellers"))
        #expect(run.stdout.contains("site 9900: Outbox/9900/puente-9900-000001-full.zip (full)"))
        #expect(run.stdout.contains("22 clients, 3 sellers, 14 seller_clients, 59 products, 3 price_lists, 187 prices, 5 order_status"))
        #expect(run.stdout.contains("pedidos-2026-11-28-manana.xml: 8 orders: 1 accepted, 2 held, 5 rejected, 0 duplicate"))
        #expect(run.stdout.contains("pedido-con-doctype.xml: file rejected: doctype-not-allowed"))
        #expect(run.stdout.contains("Total: 3 files (1 rejected); orders: 3 accepted, 2 held, 8 rejected, 1 duplicate"))
        #expect(FileManager.default.fileExists(atPath: folder.url.appending(path: "Outbox/9900/puente-9900-000001-full.zip").path))
        // It ends with the orders report and the admin's page.
        #expect(run.stdout.contains("5. The orders in the back office now"))
        #expect(run.stdout.contains("9900-00000002  W-10046"))
        #expect(run.stdout.contains("Outbox/reports/pedidos-a-revisar.html"))
        let page = try String(contentsOf: folder.url.appending(path: "Outbox/reports/pedidos-a-revisar.html"), encoding: .utf8)
        #expect(page.contains("puente orders release 9900-00000002 --reprice"))
        // A second demo starts over: a fresh store and a fresh first package, nothing overwritten by accident.
        let second = try PuenteProcess.run(["demo"], in: folder.url)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("Outbox/9900/puente-9900-000001-full.zip (full)"))

        let again = try PuenteProcess.run(["masters", "load", "Samples/masters"], in: folder.url)
        #expect(again.status == 0)
        // The same bytes as the last load: not read again, nothing changes.
        #expect(again.stdout.contains("clients.csv (windows-1252): the same as the dump last loaded, nothing to do (27 unchanged)"))
    }

    @Test func demoOutsideTheRepositoryIsAUsageError() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let run = try PuenteProcess.run(["demo"], in: folder.url)
        #expect(run.status == 64)
        #expect(run.stderr.contains("run the demo from the repository root"))
    }
}

/// `puente import` and `puente report orders` as the scheduled job and the admin run them.
@Suite struct ImportCommandTests {
    func prepared() throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        try folder.write("puente.toml", "[security]\nbcrypt_cost = 4\n\n[inbox]\nsettle_seconds = 0\n")
        let load = try PuenteProcess.run(["masters", "load", DemoTests.samples.appending(path: "masters").path], in: folder.url)
        #expect(load.status == 0, "\(load.stderr)")
        return folder
    }

    func drop(_ sample: String, into folder: TemporaryFolder) throws {
        try FileManager.default.createDirectory(at: folder.url.appending(path: "Inbox"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: DemoTests.samples.appending(path: "orders/\(sample)"),
                                         to: folder.url.appending(path: "Inbox/\(sample)"))
    }

    @Test func importSummarizesExitsSixtyFiveAndReportsTheOrders() throws {
        let folder = try prepared()
        defer { folder.remove() }
        try drop("pedidos-2026-11-28-manana.xml", into: folder)
        let dry = try PuenteProcess.run(["import", "--dry-run"], in: folder.url)
        #expect(dry.status == 65, "a dry run exits as the real run would")
        #expect(dry.stdout.contains("Dry run: nothing was posted, moved or acknowledged."))
        #expect(FileManager.default.fileExists(atPath: folder.url.appending(path: "Inbox/pedidos-2026-11-28-manana.xml").path))

        let run = try PuenteProcess.run(["--json", "import"], in: folder.url)
        #expect(run.status == 65, "\(run.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect(object?["needs_attention"] as? Bool == true)
        #expect(object?["outcomes"] as? [String: Int] == ["accepted": 1, "held": 2, "rejected": 5])
        let file = try #require((object?["files"] as? [[String: Any]])?.first)
        #expect(file["ack"] as? String == "acks/pedidos-2026-11-28-manana.xml.ack.xml")
        #expect((file["attention"] as? [String])?.count == 7)

        let report = try PuenteProcess.run(["report", "orders", "--format", "json"], in: folder.url)
        #expect(report.status == 0)
        let orders = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [[String: Any]])
        #expect(orders.map { $0["number"] as? String } == ["9900-00000001", "9900-00000002", "9900-00000003"])
        let first = orders[0]
        #expect(first["order"] as? String == "W-10045")
        #expect(first["pos"] as? Int == 9900)
        #expect(first["client"] as? String == "C0001")
        #expect(first["client_name"] as? String == "Almacén Don Tito")
        #expect(first["status"] as? String == "pending")
        #expect(first["lines"] as? Int == 2)
        #expect(first["total"] as? String == "40549.52")
        #expect(first["date"] as? String == "2026-11-28T10:15:00-03:00")
        let table = try PuenteProcess.run(["report", "orders"], in: folder.url)
        #expect(table.stdout.contains("9900-00000002  W-10046"))
        #expect(table.stdout.contains("3 orders"))

        let nothing = try PuenteProcess.run(["import"], in: folder.url)
        #expect(nothing.status == 0)
        #expect(nothing.stdout.contains("Nothing to import"))
    }

    @Test func aSecondRunExitsSeventyFiveWhileTheLockIsHeld() throws {
        let folder = try prepared()
        defer { folder.remove() }
        try drop("pedidos-2026-11-28-manana.xml", into: folder)
        // Another process holds the lock, as a run in progress would.
        let holder = Process()
        holder.executableURL = URL(filePath: "/usr/bin/env")
        holder.arguments = ["python3", "-c", """
            import fcntl, sys, time
            f = open(sys.argv[1], "a"); fcntl.flock(f, fcntl.LOCK_EX); print("locked", flush=True); time.sleep(30)
            """, folder.url.appending(path: "puente.sqlite").path]
        let output = Pipe()
        holder.standardOutput = output
        try holder.run()
        _ = output.fileHandleForReading.availableData  // "locked"
        let busy = try PuenteProcess.run(["import"], in: folder.url)
        #expect(busy.status == 75)
        #expect(busy.stderr.contains("another puente run is using the store"))
        #expect(try PuenteProcess.run(["export"], in: folder.url).status == 75, "an export waits its turn too")
        #expect(try PuenteProcess.run(["masters", "load", DemoTests.samples.appending(path: "masters").path], in: folder.url).status == 75)
        #expect(try PuenteProcess.run(["import", "--dry-run"], in: folder.url).status == 75,
                "a dry run waits its turn too (taking the lock writes nothing)")
        // Killed, it holds nothing: the next run goes through.
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        let next = try PuenteProcess.run(["import"], in: folder.url)
        #expect(next.status == 65, "\(next.stderr)")
        #expect(next.stdout.contains("8 orders"))
    }

    @Test func killedAnywhereTheImportLosesAndDoublesNothing() throws {
        let folder = try prepared()
        defer { folder.remove() }
        try FileManager.default.createDirectory(at: folder.url.appending(path: "Inbox"), withIntermediateDirectories: true)
        // Three files of 1,500 valid orders each.
        for file in 1...3 {
            var text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<orders version=\"1\">\n"
            for order in 1...1_500 {
                text += "<order id=\"K\(file)-\(order)\" pos=\"9900\" date=\"2026-11-28T10:00:00-03:00\" client=\"C0001\">"
                text += "<line product=\"P00001\" quantity=\"\(order % 7 + 1)\" price=\"6732.49\"/></order>\n"
            }
            try folder.write("Inbox/kill-\(file).xml", text + "</orders>\n")
        }
        var killed = 0
        for attempt in 0..<12 {
            let process = Process()
            process.executableURL = PuenteProcess.binary
            process.arguments = ["--quiet", "import"]
            process.currentDirectoryURL = folder.url
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(useconds_t(30_000 + (attempt * 37_000) % 400_000))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killed += 1
            }
            process.waitUntilExit()
        }
        let last = try PuenteProcess.run(["--json", "import"], in: folder.url)
        #expect(last.status == 0, "\(last.stderr)")
        #expect(killed > 0, "the loop must actually kill runs")

        let orders = try PuenteProcess.run(["report", "orders", "--format", "json"], in: folder.url)
        let list = try #require(try JSONSerialization.jsonObject(with: Data(orders.stdout.utf8)) as? [[String: Any]])
        let ids = list.compactMap { $0["order"] as? String }
        #expect(ids.count == 4_500, "every order posted")
        #expect(Set(ids).count == 4_500, "none twice")
        let numbers = list.compactMap { $0["number"] as? String }
        #expect(numbers == (1...4_500).map { OrderNumberText.text(9900, $0) }, "numbers without gaps or repeats")
        let acks = try FileManager.default.contentsOfDirectory(atPath: folder.url.appending(path: "Outbox/acks").path).sorted()
        #expect(acks == ["kill-1.xml.ack.xml", "kill-2.xml.ack.xml", "kill-3.xml.ack.xml"])
        let inbox = try FileManager.default.contentsOfDirectory(atPath: folder.url.appending(path: "Inbox").path)
        #expect(inbox == ["processed"])
    }
}

enum OrderNumberText {
    static func text(_ pos: Int, _ number: Int) -> String {
        let digits = String(number)
        return "\(pos)-" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}
