import Foundation
import PuenteTestSupport
import Testing

/// `puente run --watch`, signals, the run history and `puente status`, through the real binary.
@Suite struct RunWatchTests {
    /// A folder with the sample masters as `masters.source`, loaded by a first run.
    func prepared(_ extra: String = "") throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        try FileManager.default.copyItem(at: DemoTests.samples.appending(path: "masters"), to: folder.url.appending(path: "erp"))
        try folder.write("puente.toml", """
            [security]
            bcrypt_cost = 4

            [inbox]
            settle_seconds = 0.5
            \(extra)

            [masters]
            source = "erp"
            """)
        try FileManager.default.createDirectory(at: folder.url.appending(path: "Inbox"), withIntermediateDirectories: true)
        let first = try PuenteProcess.run(["run"], in: folder.url)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        return folder
    }

    /// An order file of `count` valid orders (client C0001 at its list price).
    static func orders(_ prefix: String, count: Int) -> String {
        var text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<orders version=\"1\">\n"
        for order in 1...count {
            text += "<order id=\"\(prefix)-\(order)\" pos=\"9900\" date=\"2026-11-28T10:00:00-03:00\" client=\"C0001\">"
            text += "<line product=\"P00001\" quantity=\"\(order % 7 + 1)\" price=\"6732.49\"/></order>\n"
        }
        return text + "</orders>\n"
    }

    static func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }

    func exists(_ folder: TemporaryFolder, _ path: String) -> Bool {
        FileManager.default.fileExists(atPath: folder.url.appending(path: path).path)
    }

    /// The posted orders' web ids and numbers, from the orders report.
    func postedOrders(_ folder: TemporaryFolder) throws -> (ids: [String], numbers: [String]) {
        let orders = try PuenteProcess.run(["report", "orders", "--format", "json"], in: folder.url)
        let list = try #require(try JSONSerialization.jsonObject(with: Data(orders.stdout.utf8)) as? [[String: Any]])
        return (list.compactMap { $0["order"] as? String }, list.compactMap { $0["number"] as? String })
    }

    @Test func watchTakesAFileDroppedWhileItWaitsAndStopsOnSIGTERM() throws {
        let folder = try prepared()
        defer { folder.remove() }
        // A long interval: only the Inbox's file event can start the next cycle this soon.
        let watch = try PuenteProcess.start(["--json", "run", "--watch", "--interval", "600"], in: folder.url)
        usleep(800_000)
        try folder.write("Inbox/written.xml", Self.orders("A", count: 3))
        #expect(Self.waitFor(30) { exists(folder, "Outbox/acks/written.xml.ack.xml") }, "taken early: the file event woke the watch")
        watch.send(SIGTERM)
        let ended = watch.wait(timeout: 60)
        #expect(ended.status == 0, "a clean stop: \(ended.stderr)")
        #expect(ended.stderr.contains("SIGTERM: stopping after the current file or package"))
        #expect(ended.stderr.contains("run: stopped as asked"))
        // One JSON line per cycle.
        let cycles = ended.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(cycles.count >= 2, "\(ended.stdout)")
        #expect(cycles.contains { (($0["import_report"] as? [String: Any])?["files"] as? [Any])?.count == 1 })

        // Polling works where no event comes (a share): a hard link makes no close or move event.
        let polling = try PuenteProcess.start(["run", "--watch", "--interval", "2"], in: folder.url)
        usleep(800_000)
        try folder.write("elsewhere.xml", Self.orders("B", count: 2))
        #expect(link(folder.url.appending(path: "elsewhere.xml").path, folder.url.appending(path: "Inbox/linked.xml").path) == 0)
        #expect(Self.waitFor(30) { exists(folder, "Outbox/acks/linked.xml.ack.xml") }, "taken by the next poll")
        polling.send(SIGINT)
        let stopped = polling.wait(timeout: 60)
        #expect(stopped.status == 0, "\(stopped.stderr)")
        #expect(stopped.stdout.contains("linked.xml: 2 orders: 2 accepted"))

        let posted = try postedOrders(folder)
        #expect(posted.ids.sorted() == ["A-1", "A-2", "A-3", "B-1", "B-2"])

        // Every cycle is in the history; nothing needs a person.
        let status = try PuenteProcess.run(["--json", "status"], in: folder.url)
        #expect(status.status == 0, "\(status.stdout)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let runs = try #require(object["runs"] as? [[String: Any]])
        #expect(runs.count == 5, "the five last runs of at least five")
        // A signal that came while a cycle worked makes that one `stopped`.
        #expect(runs.allSatisfy { ["done", "stopped"].contains($0["outcome"] as? String) }, "\(runs)")
        #expect(runs.contains { ($0["did"] as? String)?.contains("import: 1 file, 2 orders (2 accepted") == true })
    }

    @Test func sigtermDuringALargeImportStopsBetweenFilesAndLosesNothing() throws {
        let folder = try prepared("")
        defer { folder.remove() }
        try FileManager.default.createDirectory(at: folder.url.appending(path: "Inbox"), withIntermediateDirectories: true)
        // Enough files that the signal, sent after the first one's ack and a status, still finds
        // the cycle importing (4,000 orders take a tenth of a second in a release build).
        let files = 12
        let perFile = 4_000
        var texts: [String: String] = [:]
        for file in 1...files {
            texts["big-\(file).xml"] = Self.orders("S\(file)", count: perFile)
            try folder.write("Inbox/big-\(file).xml", texts["big-\(file).xml"]!)
        }
        let watch = try PuenteProcess.start(["--json", "run", "--watch", "--interval", "600"], in: folder.url)
        #expect(Self.waitFor(120) { exists(folder, "Outbox/acks/big-1.xml.ack.xml") })
        // Meanwhile status reads (it takes no lock) and shows the cycle running.
        let during = try PuenteProcess.run(["--json", "status"], in: folder.url)
        let now = try #require(try JSONSerialization.jsonObject(with: Data(during.stdout.utf8)) as? [String: Any])
        #expect((now["runs"] as? [[String: Any]])?.first?["outcome"] as? String == "running", "\(during.stdout)")
        watch.send(SIGTERM)
        let ended = watch.wait(timeout: 120)
        #expect(ended.status == 0, "\(ended.stderr)")
        let first = try #require(ended.stdout.split(separator: "\n").first.flatMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        })
        #expect(first["stopped"] as? Bool == true, "the cycle says it was stopped")
        #expect(first["outcome"] as? String == "stopped")

        // Each file is either done whole (posted, acknowledged, moved) or untouched in the Inbox.
        let acks = try FileManager.default.contentsOfDirectory(atPath: folder.url.appending(path: "Outbox/acks").path)
        let done = acks.filter { $0.hasPrefix("big-") }.map { String($0.dropLast(".ack.xml".count)) }
        #expect(done.count < files, "stopped before the last file: \(done)")
        for name in texts.keys.sorted() where !done.contains(name) {
            #expect(try String(contentsOf: folder.url.appending(path: "Inbox/\(name)"), encoding: .utf8) == texts[name], "\(name) untouched")
        }
        #expect(try postedOrders(folder).ids.count == done.count * perFile, "exactly the finished files' orders")

        // The next run does the rest: every order once, numbers without gaps.
        let rest = try PuenteProcess.run(["run"], in: folder.url, timeout: 300)
        #expect(rest.status == 0, "\(rest.stderr)")
        let posted = try postedOrders(folder)
        #expect(posted.ids.count == files * perFile)
        #expect(Set(posted.ids).count == files * perFile)
        #expect(posted.numbers == (1...(files * perFile)).map { OrderNumberText.text(9900, $0) })
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.appending(path: "Inbox").path) == ["processed"])
    }

    @Test func aSecondSignalStopsAtOnceAndTheNextRunCompletesTheWork() throws {
        let folder = try prepared()
        defer { folder.remove() }
        for file in 1...3 { try folder.write("Inbox/big-\(file).xml", Self.orders("T\(file)", count: 12_000)) }
        let watch = try PuenteProcess.start(["run", "--watch"], in: folder.url)
        #expect(Self.waitFor(120) { exists(folder, "Outbox/acks/big-1.xml.ack.xml") })
        // While the cycle works on big-2 (12,000 orders), both signals: the second ends the
        // process wherever it is.
        watch.send(SIGTERM)
        usleep(20_000)
        watch.send(SIGTERM)
        let ended = watch.wait(timeout: 60)
        #expect(ended.status == 128 + SIGTERM, "\(ended.stderr)")
        #expect(ended.stderr.contains("SIGTERM again: stopping at once"), "\(ended.stderr)")

        // The history shows the run that never ended, and status says so.
        let status = try PuenteProcess.run(["status"], in: folder.url)
        #expect(status.stdout.contains("interrupted"), "\(status.stdout)")
        let rest = try PuenteProcess.run(["run"], in: folder.url, timeout: 300)
        #expect(rest.status == 0, "\(rest.stderr)")
        let posted = try postedOrders(folder)
        #expect(posted.ids.count == 36_000)
        #expect(Set(posted.ids).count == 36_000)
        #expect(posted.numbers == (1...36_000).map { OrderNumberText.text(9900, $0) })
        let acks = try FileManager.default.contentsOfDirectory(atPath: folder.url.appending(path: "Outbox/acks").path).sorted()
        #expect(acks == ["big-1.xml.ack.xml", "big-2.xml.ack.xml", "big-3.xml.ack.xml"])
    }

    @Test func statusTellsOfMailThatCouldNotBeHandedOver() throws {
        let folder = try prepared("")
        defer { folder.remove() }
        try folder.write("puente.toml", try String(contentsOf: folder.url.appending(path: "puente.toml"), encoding: .utf8)
            + "\n[mail]\nsendmail = \"/bin/false\"\n")
        try folder.write("Inbox/one.xml", Self.orders("E", count: 1))
        let run = try PuenteProcess.run(["run"], in: folder.url)
        #expect(run.status == 65, "mail refused needs a person: \(run.stdout)\(run.stderr)")
        let status = try PuenteProcess.run(["status"], in: folder.url)
        #expect(status.status == 65)
        #expect(status.stdout.contains("Mail: 1 waiting to be handed over (the next run)"), "\(status.stdout)")
        #expect(status.stdout.contains("1 e-mail could not be handed over (mail.sendmail refused it): the next run tries again"))
        #expect(status.stdout.contains("attention (exit 65): masters unchanged · import: 1 file, 1 order (1 accepted"))
    }

    @Test func statusTellsWhatWaitsAndWhatNeedsAPerson() throws {
        let folder = try prepared("done_markers = true")
        defer { folder.remove() }
        // Nothing waits: exit 0.
        let calm = try PuenteProcess.run(["status"], in: folder.url)
        #expect(calm.status == 0, "\(calm.stdout)")
        #expect(calm.stdout.contains("Inbox: empty"))
        #expect(calm.stdout.contains("9900 Tienda web: last package puente-9900-000001-full.zip"))
        #expect(calm.stdout.contains("not taken yet"))
        #expect(calm.stdout.contains("Nothing needs a person."))

        // The site takes its package: status sees it gone from the Outbox.
        try FileManager.default.removeItem(at: folder.url.appending(path: "Outbox/9900/puente-9900-000001-full.zip"))
        #expect(try PuenteProcess.run(["status"], in: folder.url).stdout.contains("puente-9900-000001-full.zip (") )
        #expect(try PuenteProcess.run(["status"], in: folder.url).stdout.contains("taken by the site"))

        // Files in every state.
        try folder.write("Inbox/no-marker.xml", Self.orders("M", count: 1))
        try folder.write("Inbox/half.xml.part", "<orders")
        #expect(mkfifo(folder.url.appending(path: "Inbox/pipe.xml").path, 0o644) == 0)
        try folder.write("Inbox/growing.csv", "pos,order,date\n")
        try folder.write("Inbox/growing.csv.done", "")
        let writer = Thread {
            for _ in 0..<40 {
                if let handle = FileHandle(forWritingAtPath: folder.url.appending(path: "Inbox/growing.csv").path) {
                    handle.seekToEndOfFile()
                    handle.write(Data("9900,X,2026-11-28\n".utf8))
                    try? handle.close()
                }
                usleep(50_000)
            }
        }
        writer.start()
        let busy = try PuenteProcess.run(["--json", "status"], in: folder.url)
        #expect(busy.status == 65, "a FIFO needs a person")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(busy.stdout.utf8)) as? [String: Any])
        let inbox = try #require(object["inbox"] as? [[String: Any]])
        let states = Dictionary(uniqueKeysWithValues: inbox.map { ($0["name"] as! String, $0["state"] as! String) })
        #expect(states == ["growing.csv": "unstable", "half.xml.part": "temporary-name", "no-marker.xml": "waiting-for-marker",
                           "pipe.xml": "not-regular-file"])
        #expect(object["needs_attention"] as? Bool == true)
        let attention = try #require(object["attention"] as? [String])
        #expect(attention == ["Inbox: pipe.xml is a FIFO, not a regular file: never taken"])
        usleep(2_500_000)

        // A run with a held order, then one that could not export: both in the history, and said.
        try FileManager.default.removeItem(at: folder.url.appending(path: "Inbox/pipe.xml"))
        try FileManager.default.removeItem(at: folder.url.appending(path: "Inbox/growing.csv"))
        try FileManager.default.removeItem(at: folder.url.appending(path: "Inbox/growing.csv.done"))
        try folder.write("Inbox/held.xml", """
            <?xml version="1.0" encoding="UTF-8"?>
            <orders version="1"><order id="H-1" pos="9900" date="2026-11-28T10:00:00-03:00" client="C0001">\
            <line product="P00001" quantity="1" price="1.00"/></order></orders>
            """)
        try folder.write("Inbox/held.xml.done", "")
        try FileManager.default.removeItem(at: folder.url.appending(path: "Outbox/9900"))
        try folder.write("Outbox/9900", "not a folder")
        let failing = try PuenteProcess.run(["run"], in: folder.url)
        #expect(failing.status == 74, "\(failing.stdout)\(failing.stderr)")
        #expect(failing.stdout.contains("held.xml: 1 order: 0 accepted, 1 held"), "the import's work is kept")
        let status = try PuenteProcess.run(["status"], in: folder.url)
        #expect(status.status == 65)
        #expect(status.stdout.contains("Held orders: 1\n  9900-00000001  client C0001  held since"))
        #expect(status.stdout.contains("failed (exit 74): masters unchanged · import: 1 file, 1 order (0 accepted, 1 held"))
        #expect(status.stdout.contains("export: could not use the folder"))
        #expect(status.stdout.contains("1 held order waits for a person (the oldest, 9900-00000001, for "))
        #expect(status.stdout.contains("no-marker.xml  waiting for no-marker.xml.done"))
        #expect(status.stdout.contains("the last run (2,"), "run 1 was the first; status runs nothing")
    }
}

/// The unit files in `deploy/systemd/`, checked by systemd itself (where it is installed).
@Suite struct SystemdUnitTests {
    static let deploy = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appending(path: "deploy/systemd")

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
    func theUnitFilesPassSystemdAnalyzeVerify() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var units: [String] = []
        for name in ["puente.service", "puente.timer", "puente-watch.service"] {
            // The binary where the test built it, instead of /usr/local/bin/puente.
            let text = try String(contentsOf: Self.deploy.appending(path: name), encoding: .utf8)
                .replacingOccurrences(of: "/usr/local/bin/puente", with: PuenteProcess.binary.path)
            try folder.write(name, text)
            units.append(folder.url.appending(path: name).path)
        }
        let process = Process()
        process.executableURL = URL(filePath: "/usr/bin/systemd-analyze")
        process.arguments = ["verify"] + units
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = errors
        try process.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.isEmpty, "no warnings: \(output)")
    }
}
