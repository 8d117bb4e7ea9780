import Foundation
import PuenteTestSupport
import Testing

/// The real binary on a shared folder that a hostile or careless site (or operator) can write:
/// whatever sits in the Inbox or the configuration, Puente ends with a clear outcome, never a
/// crash, a stall, a leak or silent loss.
@Suite struct HostileInboxTests {
    let order = """
        <?xml version="1.0" encoding="UTF-8"?>
        <orders version="1">
          <order id="GOOD-1" pos="9900" date="2026-11-28T10:15:00-03:00" client="C0001">
            <line product="P00001" quantity="1" price="6732.49"/>
          </order>
        </orders>

        """

    func prepared() throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        try folder.write("puente.toml", "[security]\nbcrypt_cost = 4\n\n[inbox]\nsettle_seconds = 0\n")
        let load = try PuenteProcess.run(["masters", "load", DemoTests.samples.appending(path: "masters").path], in: folder.url)
        #expect(load.status == 0, "\(load.stderr)")
        try FileManager.default.createDirectory(at: folder.url.appending(path: "Inbox"), withIntermediateDirectories: true)
        return folder
    }

    func entries(_ folder: URL) -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
    }

    func postedOrders(in folder: TemporaryFolder) throws -> [String] {
        let report = try PuenteProcess.run(["report", "orders", "--format", "json"], in: folder.url)
        let orders = try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [[String: Any]] ?? []
        return orders.compactMap { $0["order"] as? String }
    }

    @Test func theCorpusThroughTheBinaryPrintsNothingOfLibxml2() throws {
        let folder = try prepared()
        defer { folder.remove() }
        let corpus = DemoTests.samples.deletingLastPathComponent().appending(path: "Tests/HostileCorpus/files")
        let names = try FileManager.default.contentsOfDirectory(atPath: corpus.path)
        #expect(names.count >= 50)
        for name in names {
            try FileManager.default.copyItem(at: corpus.appending(path: name), to: folder.url.appending(path: "Inbox/\(name)"))
        }
        let run = try PuenteProcess.run(["import"], in: folder.url)
        #expect(run.status == 65)
        #expect(run.stderr.isEmpty, "libxml2 prints nothing by itself: \(run.stderr)")
        #expect(run.stdout.contains("Total: \(names.count) files"))
        #expect(!run.stdout.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "no raw control character for a person")
        #expect(entries(folder.url.appending(path: "Inbox")) == ["processed", "rejected"])
    }

    @Test func linksFIFOsAndFoldersAreLeftAloneAndReported() throws {
        let folder = try prepared()
        defer { folder.remove() }
        let inbox = folder.url.appending(path: "Inbox")
        try folder.write("elsewhere/orders.xml", order.replacingOccurrences(of: "GOOD-1", with: "ELSEWHERE-1"))
        try folder.write("Inbox/good.xml", order)
        #expect(symlink("/etc/passwd", inbox.appending(path: "p.xml").path) == 0)
        #expect(symlink(folder.url.appending(path: "elsewhere/orders.xml").path, inbox.appending(path: "q.xml").path) == 0)
        #expect(mkfifo(inbox.appending(path: "f.xml").path, 0o644) == 0)
        try FileManager.default.createDirectory(at: inbox.appending(path: "d.csv"), withIntermediateDirectories: true)

        let run = try PuenteProcess.run(["import"], in: folder.url, timeout: 60)
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stdout.contains("good.xml: 1 order: 1 accepted"))
        #expect(run.stdout.contains("p.xml: is a symbolic link, not a regular file; left in the Inbox"))
        #expect(run.stdout.contains("q.xml: is a symbolic link, not a regular file; left in the Inbox"))
        #expect(run.stdout.contains("f.xml: is a FIFO, not a regular file; left in the Inbox"))
        #expect(run.stdout.contains("d.csv: is a folder, not a regular file; left in the Inbox"))
        #expect(try postedOrders(in: folder) == ["GOOD-1"], "nothing read through a link")
        let acks = entries(folder.url.appending(path: "Outbox/acks"))
        #expect(acks == ["good.xml.ack.xml"], "no ack reveals what a link points to")
        #expect(entries(inbox).isSuperset(of: ["p.xml", "q.xml", "f.xml", "d.csv"]))
        #expect(FileManager.default.fileExists(atPath: folder.url.appending(path: "elsewhere/orders.xml").path))

        // Named on the command line, a FIFO or a link is refused at once, never read forever.
        let fifo = try PuenteProcess.run(["import", "Inbox/f.xml"], in: folder.url, timeout: 30)
        #expect(fifo.status == 64)
        #expect(fifo.stderr.contains("is a FIFO, not a regular file"))
        let link = try PuenteProcess.run(["import", "Inbox/p.xml"], in: folder.url, timeout: 30)
        #expect(link.status == 64)
        #expect(link.stderr.contains("is a symbolic link"))
    }

    @Test func aFileThatCannotBeReadDoesNotStallTheInbox() throws {
        let folder = try prepared()
        defer { folder.remove() }
        try folder.write("Inbox/a-locked.xml", order.replacingOccurrences(of: "GOOD-1", with: "LOCKED-1"))
        try folder.write("Inbox/b-good.xml", order)
        // As root every file is readable: run as nobody, in a folder nobody may write.
        let asUser: UInt32? = getuid() == 0 ? 65534 : nil
        if asUser != nil {
            let everything = Process()
            everything.executableURL = URL(filePath: "/bin/chmod")
            everything.arguments = ["-R", "a+rwX", folder.path]
            try everything.run()
            everything.waitUntilExit()
            #expect(chmod(folder.path, 0o777) == 0)
        }
        #expect(chmod(folder.url.appending(path: "Inbox/a-locked.xml").path, 0o000) == 0)
        for _ in 0..<2 {
            let run = try PuenteProcess.run(["import"], in: folder.url, user: asUser)
            #expect(run.status == 65, "\(run.stderr)")
            #expect(run.stdout.contains("a-locked.xml: cannot be read: Permission denied; left in the Inbox"))
            #expect(run.stderr.contains("a-locked.xml"), "logged too")
        }
        #expect(try postedOrders(in: folder) == ["GOOD-1"], "the file after it was imported")
        #expect(entries(folder.url.appending(path: "Inbox")).contains("a-locked.xml"))
        #expect(chmod(folder.url.appending(path: "Inbox/a-locked.xml").path, 0o644) == 0)
        let later = try PuenteProcess.run(["import"], in: folder.url, user: asUser)
        #expect(later.status == 0, "\(later.stdout)\(later.stderr)")
        #expect(Set(try postedOrders(in: folder)) == ["GOOD-1", "LOCKED-1"])
    }

    @Test func namesThatCouldForgeOutputAreShownEscaped() throws {
        let folder = try prepared()
        defer { folder.remove() }
        let inbox = folder.url.appending(path: "Inbox")
        let forged = "x\nTotal: 0 files.xml"
        let colored = "\u{1B}[31mred.xml"
        try folder.write("Inbox/\(forged)", order.replacingOccurrences(of: "GOOD-1", with: "FORGED-1"))
        try folder.write("Inbox/\(colored)", order.replacingOccurrences(of: "GOOD-1", with: "\u{1B}]0;title\u{7}"))
        // A Latin-1 name (0xF1 is ñ) is not UTF-8: reported, not skipped in silence.
        let latin1 = inbox.path + "/pedido-\u{F1}.xml"
        var bytes = Array(inbox.path.utf8) + Array("/pedido-".utf8) + [0xF1] + Array(".xml".utf8) + [0]
        let descriptor = bytes.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT, 0o644) }
        }
        #expect(descriptor >= 0, "\(latin1)")
        _ = order.withCString { write(descriptor, $0, strlen($0)) }
        close(descriptor)

        let run = try PuenteProcess.run(["import"], in: folder.url)
        #expect(run.status == 65)
        #expect(!run.stdout.contains("\u{1B}"), "no escape sequence reaches the terminal")
        #expect(!run.stderr.contains("\u{1B}"))
        #expect(!run.stdout.split(separator: "\n").contains { $0.hasPrefix("Total: 0 files") }, "no forged summary line")
        #expect(run.stdout.contains("x\\x0ATotal: 0 files.xml: 1 order: 1 accepted"))
        #expect(run.stdout.contains("\\x1B[31mred.xml"))
        #expect(run.stdout.contains("pedido-\\xF1.xml: the name is not valid UTF-8; left in the Inbox"))
        #expect(run.stdout.split(separator: "\n").allSatisfy { !$0.contains("\u{7}") })
        // The acks are well-formed: the raw ESC and BEL are written escaped.
        let ack = try String(contentsOf: folder.url.appending(path: "Outbox/acks/\(colored).ack.xml"), encoding: .utf8)
        #expect(ack.contains("file=\"\\x1B[31mred.xml\""))
        #expect(!ack.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
    }

    @Test func linksPlantedInTheSharedFoldersAreNeverWrittenThrough() throws {
        let folder = try prepared()
        defer { folder.remove() }
        // The binary names the folder after its own day: links go into today's and tomorrow's,
        // so a run that crosses midnight is checked as well.
        let days = [Date(), Date().addingTimeInterval(86_400)].map {
            String(ISO8601DateFormatter.string(from: $0, timeZone: TimeZone(identifier: "America/Argentina/Buenos_Aires")!,
                                               formatOptions: [.withFullDate]))
        }
        try folder.write("victim.txt", "keep me\n")
        try FileManager.default.createDirectory(at: folder.url.appending(path: "elsewhere"), withIntermediateDirectories: true)
        // The site replaced Inbox/processed with a link, and planted links where Puente writes.
        #expect(symlink(folder.url.appending(path: "elsewhere").path, folder.url.appending(path: "Inbox/processed").path) == 0)
        try FileManager.default.createDirectory(at: folder.url.appending(path: "Outbox/acks"), withIntermediateDirectories: true)
        #expect(symlink(folder.url.appending(path: "victim.txt").path,
                        folder.url.appending(path: "Outbox/acks/.good.xml.ack.xml.tmp").path) == 0)
        for day in days {
            try FileManager.default.createDirectory(at: folder.url.appending(path: "Inbox/rejected/\(day)"), withIntermediateDirectories: true)
            #expect(symlink(folder.url.appending(path: "victim.txt").path,
                            folder.url.appending(path: "Inbox/rejected/\(day)/bad.xml.reason.txt").path) == 0)
        }
        try folder.write("Inbox/good.xml", order)
        try folder.write("Inbox/bad.xml", "<?xml version=\"1.0\"?>\n<!DOCTYPE orders>\n<orders version=\"1\"/>\n")

        let run = try PuenteProcess.run(["import"], in: folder.url)
        #expect(run.status == 65)
        #expect(try String(contentsOf: folder.url.appending(path: "victim.txt"), encoding: .utf8) == "keep me\n")
        #expect(entries(folder.url.appending(path: "elsewhere")).isEmpty, "nothing moved through the link")
        #expect(run.stdout.contains("good.xml: imported and acknowledged, but not finished"), "\(run.stdout)")
        let used = days.first { entries(folder.url.appending(path: "Inbox/rejected/\($0)")).contains("bad.xml") } ?? days[0]
        #expect(entries(folder.url.appending(path: "Inbox/rejected/\(used)")) == ["bad.xml", "bad.xml.reason.txt"])
        #expect(try postedOrders(in: folder) == ["GOOD-1"])
        // The folder made right again, the next run finishes the move, and reads nothing twice.
        #expect(unlink(folder.url.appending(path: "Inbox/processed").path) == 0)
        let next = try PuenteProcess.run(["import"], in: folder.url)
        #expect(next.status == 0, "\(next.stdout)")
        #expect(next.stdout.contains("good.xml: committed by an interrupted run, finished now"))
        #expect(try postedOrders(in: folder) == ["GOOD-1"])
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/shm")))
    func aFileNamedFromAnotherFileSystemIsMovedAcrossIt() throws {
        let folder = try prepared()
        defer { folder.remove() }
        let outside = URL(filePath: "/dev/shm/puente-\(UUID().uuidString).xml")
        try Data(order.utf8).write(to: outside)
        defer { try? FileManager.default.removeItem(at: outside) }
        let run = try PuenteProcess.run(["import", outside.path], in: folder.url)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: outside.path), "moved, not copied")
        #expect(try postedOrders(in: folder) == ["GOOD-1"])
        let again = try PuenteProcess.run(["import"], in: folder.url)
        #expect(again.stdout.contains("Nothing to import"))
    }

    @Test func aDumpThatIsAFIFOIsRefusedNotReadForever() throws {
        let folder = try prepared()
        defer { folder.remove() }
        try FileManager.default.createDirectory(at: folder.url.appending(path: "erp"), withIntermediateDirectories: true)
        #expect(mkfifo(folder.url.appending(path: "erp/clients.csv").path, 0o644) == 0)
        try FileManager.default.copyItem(at: DemoTests.samples.appending(path: "masters/products.csv"),
                                         to: folder.url.appending(path: "erp/products.csv"))
        let run = try PuenteProcess.run(["masters", "load", "erp"], in: folder.url, timeout: 60)
        #expect(run.status == 65)
        #expect(run.stdout.contains("clients.csv line 1: is a FIFO, not a regular file; nothing of this file was loaded"))
        #expect(run.stdout.contains("products.csv (UTF-8): the same as the dump last loaded, nothing to do (63 unchanged)"))
    }

    @Test func aDryRunWritesNothingAnywhere() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("Inbox/good.xml", order)
        let before = entries(folder.url)
        let dry = try PuenteProcess.run(["import", "--dry-run"], in: folder.url)
        #expect(dry.status == 65, "against an empty back office the client is unknown: \(dry.stdout)")
        #expect(dry.stdout.contains("good.xml: 1 order: 0 accepted, 0 held, 1 rejected"))
        #expect(entries(folder.url) == before, "no store, no Outbox, no lock file")
        #expect(entries(folder.url.appending(path: "Inbox")) == ["good.xml"])

        // With a store, a dry run changes nothing in it, not even a site new in puente.toml.
        let loaded = try prepared()
        defer { loaded.remove() }
        try loaded.write("Inbox/good.xml", order)
        try loaded.write("puente.toml", """
            [security]
            bcrypt_cost = 4
            [inbox]
            settle_seconds = 0
            [[site]]
            pos = 9900
            name = "Otro nombre"
            [[site]]
            pos = 9901
            name = "Sitio nuevo"

            """)
        let store = loaded.url.appending(path: "puente.sqlite")
        let storeBefore = try Data(contentsOf: store)
        let outboxBefore = entries(loaded.url.appending(path: "Outbox"))
        let run = try PuenteProcess.run(["import", "--dry-run"], in: loaded.url)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(try Data(contentsOf: store) == storeBefore)
        #expect(entries(loaded.url.appending(path: "Outbox")) == outboxBefore)
        #expect(entries(loaded.url.appending(path: "Inbox")) == ["good.xml"])
        let sites = try PuenteProcess.run(["export", "--site", "9901"], in: loaded.url)
        #expect(sites.status == 0, "the real run registers the new site")
    }

    @Test func theLockIsTakenBeforeTheStoreIsTouched() throws {
        let folder = try prepared()
        defer { folder.remove() }
        try folder.write("Inbox/good.xml", order)
        // Another run: it holds the lock and a write transaction, as an import in progress does.
        let holder = Process()
        holder.executableURL = URL(filePath: "/usr/bin/env")
        holder.arguments = ["python3", "-c", """
            import fcntl, sqlite3, sys, time
            f = open(sys.argv[1], "a"); fcntl.flock(f, fcntl.LOCK_EX)
            db = sqlite3.connect(sys.argv[1], isolation_level=None); db.execute("BEGIN IMMEDIATE")
            print("locked", flush=True); time.sleep(60)
            """, folder.url.appending(path: "puente.sqlite").path]
        let output = Pipe()
        holder.standardOutput = output
        try holder.run()
        defer {
            kill(holder.processIdentifier, SIGKILL)
            holder.waitUntilExit()
        }
        _ = output.fileHandleForReading.availableData
        // A new site in the configuration would have been registered before the lock.
        try folder.write("puente.toml", "[security]\nbcrypt_cost = 4\n[inbox]\nsettle_seconds = 0\n[[site]]\npos = 9902\n")
        let started = Date()
        let busy = try PuenteProcess.run(["import"], in: folder.url)
        #expect(busy.status == 75, "at once, not after waiting on SQLite (74): \(busy.stderr)")
        #expect(Date().timeIntervalSince(started) < 8)
        #expect(busy.stderr.contains("another puente run is using the store"))
    }

    @Test func aTruncatedOrCROnlyDumpNeverEmptiesAMaster() throws {
        let folder = try prepared()
        defer { folder.remove() }
        let original = try Data(contentsOf: DemoTests.samples.appending(path: "masters/clients.csv"))
        // The same dump with CR-only line ends: every row read, nothing deactivated.
        let crOnly = Data(original.filter { $0 != 0x0A }.map { $0 })
        try folder.write("cr/clients.csv", bytes: Array(crOnly))
        let cr = try PuenteProcess.run(["masters", "load", "cr"], in: folder.url)
        #expect(cr.status == 0, "\(cr.stdout)")
        #expect(cr.stdout.contains("clients.csv (windows-1252): 0 added, 0 changed, 0 deactivated, 27 unchanged"))
        // Only the header: refused, with how many would go.
        let header = original.prefix(while: { $0 != 0x0A }) + Data([0x0A])
        try folder.write("empty/clients.csv", bytes: Array(header))
        let empty = try PuenteProcess.run(["masters", "load", "empty"], in: folder.url)
        #expect(empty.status == 65)
        #expect(empty.stdout.contains("it would deactivate all 25 active clients"))
        // Cut after three rows: more than half would go.
        let lines = original.split(separator: 0x0A, omittingEmptySubsequences: false)
        try folder.write("cut/clients.csv", bytes: Array(lines.prefix(4).joined(separator: [0x0A])) + [0x0A])
        let cut = try PuenteProcess.run(["masters", "load", "cut"], in: folder.url)
        #expect(cut.status == 65)
        #expect(cut.stdout.contains("it would deactivate 22 of the 25 active clients, more than half"))
        let export = try PuenteProcess.run(["export"], in: folder.url)
        #expect(export.stdout.contains("22 clients"), "every web client still goes to the site: \(export.stdout)")
        // The person who means it says so.
        let meant = try PuenteProcess.run(["masters", "load", "cut", "--allow-mass-deactivation"], in: folder.url)
        #expect(meant.status == 0)
        #expect(meant.stdout.contains("22 deactivated"))
    }

    @Test func configurationNumbersAndFoldersAreBounded() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let cases = [
            ("[inbox]\nmax_file_mb = 9223372036854775807\n", "inbox.max_file_mb: must be from 1 to 4096"),
            ("[inbox]\nmax_file_mb = 0\n", "inbox.max_file_mb"),
            ("[inbox]\nsettle_seconds = nan\n", "inbox.settle_seconds"),
            ("[inbox]\nsettle_seconds = inf\n", "inbox.settle_seconds"),
            ("[security]\nbcrypt_cost = 99999999999\n", "security.bcrypt_cost"),
            ("[[site]]\npos = -9223372036854775808\n", "site[1].pos"),
            ("[validation]\nprice_tolerance = \"99999999999999999\"\n", "validation.price_tolerance"),
            ("[inbox]\npath = \"Outbox/in\"\n", "inbox.path: the Inbox"),
            ("[outbox]\npath = \"Inbox\"\n", "the Inbox"),
            ("database = \"Inbox/puente.sqlite\"\n", "database:"),
            ("[masters]\nsource = \"Inbox/erp\"\n", "masters.source:"),
            ("[mail]\nfrom = \"a@b.c\\r\\nBcc: x@y.z\"\n", "mail.from: holds the control character U+000D"),
        ]
        for (text, message) in cases {
            try folder.write("puente.toml", text)
            let run = try PuenteProcess.run(["import", "--dry-run"], in: folder.url)
            #expect(run.status == 78, "\(text)")
            #expect(run.stderr.contains(message), "\(text): \(run.stderr)")
        }
        try folder.write("puente.toml", "")
        let missing = try PuenteProcess.run(["import"], in: folder.url)
        #expect(missing.status == 74)
        #expect(missing.stderr.contains("the Inbox folder does not exist"))
        #expect(!missing.stderr.contains("NSError") && !missing.stderr.contains("Domain="))
    }
}
