import Foundation
import GRDB
import PuenteDomain
@testable import PuenteExchange
import PuenteFormats
import PuenteStore
import PuenteTestSupport
import Testing

/// The import on real folders and a real store, loaded with the repository's samples.
struct ImportFixture {
    let base: MasterFixture

    static let repository = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    init(sites: [PuenteExchange.Configuration.Site]? = nil) throws {
        base = try MasterFixture(sites: sites)
        _ = try base.session.masterLoader().load(paths: [Self.repository.appending(path: "Samples/masters")])
        try FileManager.default.createDirectory(at: inbox, withIntermediateDirectories: true)
    }

    var inbox: URL { base.configuration.inbox.path }
    var outbox: URL { base.configuration.outboxPath }
    var store: BackOfficeStore { base.store }

    /// The moment every import of these tests happens: one second before midnight in Buenos
    /// Aires, so a test that depended on the wall clock's day would show it.
    static let clock = FixedClock(ISO8601DateFormatter().date(from: "2026-11-28T23:59:59-03:00")!)

    func importer(fault: (@Sendable (ImportStep) throws -> Void)? = nil, settle: Double = 0) -> OrderImporter {
        var configuration = base.configuration
        configuration.inbox.settleSeconds = settle
        return OrderImporter(store: store, configuration: configuration, logger: base.session.logger, clock: Self.clock,
                             faultInjection: fault)
    }

    /// Copies a sample order file into the Inbox (under another name if given).
    @discardableResult
    func drop(sample: String, as name: String? = nil) throws -> URL {
        let target = inbox.appending(path: name ?? sample)
        try FileManager.default.copyItem(at: Self.repository.appending(path: "Samples/orders/\(sample)"), to: target)
        return target
    }

    func drop(_ name: String, _ text: String) throws -> URL {
        let target = inbox.appending(path: name)
        try Data(text.utf8).write(to: target)
        return target
    }

    func orders() throws -> [String] {
        try base.rows("SELECT web_id, status, pos, number FROM orders ORDER BY pos, number")
            .map { "\($0["pos"] as Int)-\($0["number"] as Int) \($0["web_id"] as String) \($0["status"] as String)" }
    }

    func files(_ folder: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder.path) else { return [] }
        return (enumerator.allObjects as? [String] ?? []).filter {
            var directory: ObjCBool = false
            FileManager.default.fileExists(atPath: folder.appending(path: $0).path, isDirectory: &directory)
            return !directory.boolValue
        }.sorted()
    }

    func remove() { base.remove() }
}

@Suite struct OrderImportTests {
    /// The day of `ImportFixture.clock`, whatever day the tests run on.
    static let today = "2026-11-28"

    /// An order sent twice in one file, far apart (batches of orders between), is found by the
    /// checker through the poster: the same content a duplicate with the first one's number,
    /// another content a conflicting duplicate; in a dry run across files as well.
    @Test func anOrderRepeatedInTheSameFileIsADuplicate() throws {
        let fixture = try ImportFixture()
        defer { fixture.remove() }
        var rows = ["order,pos,date,client,seller,product,quantity,price,note"]
        func row(_ id: String, quantity: String = "2") -> String {
            "\(id),9900,2026-11-28T10:15:00-03:00,C0001,,P00001,\(quantity),6732.49,"
        }
        rows.append(row("DUP-1"))
        rows.append(row("DUP-2"))
        for index in 0..<600 { rows.append(row("FILL-\(index)")) }
        rows.append(row("DUP-1", quantity: "2.000"))
        rows.append(row("DUP-2", quantity: "3"))
        rows.append(row("DUP-1"))
        _ = try fixture.drop("mismo-archivo.csv", rows.joined(separator: "\n") + "\n")

        let dry = try fixture.importer().run(dryRun: true)
        let report = try fixture.importer().run()
        for run in [dry, report] {
            #expect(run.files[0].outcomes == [.accepted: 602, .duplicate: 2, .rejected: 1])
            #expect(run.files[0].reasons == [.conflictingDuplicate: 1])
        }
        let ack = try String(contentsOf: fixture.outbox.appending(path: "acks/mismo-archivo.csv.ack.xml"), encoding: .utf8)
        let dup1 = ack.components(separatedBy: "\n").filter { $0.contains("id=\"DUP-1\"") }
        #expect(dup1.count == 3)
        #expect(dup1.allSatisfy { $0.contains("number=\"9900-00000001\"") }, "\(dup1)")
        #expect(try fixture.orders().count == 602)
    }

    /// XML is read with the plain-shape check first. A file it hands back after hundreds of
    /// orders were checked, numbered, acknowledged and posted (a namespace declared on its last
    /// order: the schema allows it) is undone and read again with the schema: every order once,
    /// numbers without gaps, each in the ack once. One the schema refuses there leaves nothing,
    /// with libxml2's own word and line.
    @Test func aFileHandedBackLateIsReadAgainWithTheSchema() throws {
        let fixture = try ImportFixture()
        defer { fixture.remove() }
        func order(_ id: String, _ extra: String = "") -> String {
            "<order id=\"\(id)\" pos=\"9900\" date=\"2026-11-28T10:15:00-03:00\" client=\"C0001\"\(extra)>"
                + "<line product=\"P00001\" quantity=\"2\" price=\"6732.49\"/></order>\n"
        }
        func file(_ prefix: String, last: String) -> String {
            "<orders version=\"1\">\n" + (0..<700).map { order("\(prefix)-\($0)") }.joined() + last + "</orders>\n"
        }
        _ = try fixture.drop("tarde-ns.xml", file("NS", last: order("NS-LAST", " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"")))
        let report = try fixture.importer().run()
        #expect(report.files.map(\.outcome) == [.processed])
        #expect(report.files.first?.outcomes == [.accepted: 701])
        let posted = try fixture.orders()
        #expect(posted.count == 701)
        #expect(posted.first == "9900-1 NS-0 pending" && posted.last == "9900-701 NS-LAST pending", "\(posted.suffix(2))")
        let ack = try String(contentsOf: fixture.outbox.appending(path: "acks/tarde-ns.xml.ack.xml"), encoding: .utf8)
        #expect(ack.components(separatedBy: "<order ").count - 1 == 701)
        #expect(ack.contains("id=\"NS-LAST\" pos=\"9900\" outcome=\"accepted\" number=\"9900-00000701\""))

        _ = try fixture.drop("tarde-mal.xml", file("MAL", last: order("MAL-LAST", " total=\"1\"")))
        let refused = try fixture.importer().run()
        #expect(refused.files.map(\.outcome) == [.rejected])
        #expect(refused.files.first?.reason == .schemaViolation)
        let message = refused.files.first?.message ?? ""
        #expect(message.contains("line 702") && message.contains("'total'"), "\(message)")
        #expect(try fixture.orders().count == 701)
    }

    @Test func theSamplesGiveEveryOutcomeTheirREADMEPromises() throws {
        let fixture = try ImportFixture()
        defer { fixture.remove() }
        for sample in ["pedidos-2026-11-28-manana.xml", "pedidos-2026-11-28-tarde.csv", "pedido-con-doctype.xml"] {
            try fixture.drop(sample: sample)
        }
        let report = try fixture.importer().run()
        #expect(report.files.map(\.file) == ["pedido-con-doctype.xml", "pedidos-2026-11-28-manana.xml", "pedidos-2026-11-28-tarde.csv"])
        #expect(report.files[0].outcome == .rejected && report.files[0].reason == .doctypeNotAllowed)
        let morning = report.files[1]
        #expect(morning.outcomes == [.accepted: 1, .held: 2, .rejected: 5])
        let afternoon = report.files[2]
        #expect(afternoon.outcomes == [.accepted: 2, .rejected: 3, .duplicate: 1])
        #expect(report.needsAttention)
        #expect(try fixture.orders() == [
            "9900-1 W-10045 pending", "9900-2 W-10046 held", "9900-3 W-10050 held",
            "9900-4 W-10053 pending", "9900-5 W-10054 pending",
        ])
        let rejected = try fixture.base.rows("SELECT web_id, reasons FROM rejected_orders ORDER BY id")
        #expect(rejected.map { $0["web_id"] as String } == ["W-10047", "W-10048", "W-10049", "W-10051", "W-10052",
                                                            "W-10055", "W-10046", "W-10056"])
        #expect((rejected[6]["reasons"] as String).contains("\"code\":\"conflicting-duplicate\""))
        #expect(morning.attention.contains(
            "pedidos-2026-11-28-manana.xml line 10, order W-10046: held: line 12 price-mismatch for P00020 (list 1376.50, got 1.00)"))

        #expect(fixture.files(fixture.inbox) == [
            "processed/\(Self.today)/pedidos-2026-11-28-manana.xml", "processed/\(Self.today)/pedidos-2026-11-28-tarde.csv",
            "rejected/\(Self.today)/pedido-con-doctype.xml", "rejected/\(Self.today)/pedido-con-doctype.xml.reason.txt",
        ])
        #expect(fixture.files(fixture.outbox.appending(path: "acks")) == [
            "pedido-con-doctype.xml.ack.xml", "pedidos-2026-11-28-manana.xml.ack.xml", "pedidos-2026-11-28-tarde.csv.ack.xml",
        ])
        let ack = try String(contentsOf: fixture.outbox.appending(path: "acks/pedidos-2026-11-28-tarde.csv.ack.xml"), encoding: .utf8)
        #expect(ack.contains("<order id=\"W-10045\" pos=\"9900\" outcome=\"duplicate\" number=\"9900-00000001\"/>"))
        #expect(ack.contains("<order id=\"W-10053\" pos=\"9900\" outcome=\"accepted\" number=\"9900-00000004\"/>"))
        let rejectedAck = try String(contentsOf: fixture.outbox.appending(path: "acks/pedido-con-doctype.xml.ack.xml"), encoding: .utf8)
        #expect(rejectedAck.contains("outcome=\"rejected\""))
        #expect(rejectedAck.contains("<reason code=\"doctype-not-allowed\" line=\"2\""))
        #expect(!rejectedAck.contains("root:"), "nothing of /etc/passwd")
        for name in fixture.files(fixture.outbox.appending(path: "acks")) {
            let file = fixture.outbox.appending(path: "acks/\(name)")
            #expect(try XMLSchemaValidator(schemaAt: Schemas.path("ack")).validate(fileAt: file.path) == [], "\(name)")
        }
        // Nothing left to take.
        #expect(try fixture.importer().run().files.isEmpty)
    }

    @Test func theSameFileAgainChangesNothing() throws {
        let fixture = try ImportFixture()
        defer { fixture.remove() }
        try fixture.drop(sample: "pedidos-2026-11-28-manana.xml")
        try fixture.importer().run()
        try fixture.drop(sample: "pedidos-2026-11-28-manana.xml")
        let again = try fixture.importer().run()
        #expect(again.files[0].outcomes == [.duplicate: 3, .rejected: 5])
        #expect(try fixture.orders().count == 3)
        // The second file of the same name gets its own ack and its own place.
        #expect(fixture.files(fixture.outbox.appending(path: "acks")) == [
            "pedidos-2026-11-28-manana.xml.2.ack.xml", "pedidos-2026-11-28-manana.xml.ack.xml",
        ])
        #expect(fixture.files(fixture.inbox) == [
            "processed/\(Self.today)/pedidos-2026-11-28-manana-2.xml", "processed/\(Self.today)/pedidos-2026-11-28-manana.xml",
        ])
    }

    @Test func eachPOSNumbersItsOwnOrders() throws {
        let fixture = try ImportFixture(sites: [.init(pos: 9900, name: "Tienda"), .init(pos: 9901, name: "Mayoristas")])
        defer { fixture.remove() }
        let order = { (id: String, pos: Int) in
            "<order id=\"\(id)\" pos=\"\(pos)\" date=\"2026-11-28T10:00:00-03:00\" client=\"C0001\"><line product=\"P00001\" quantity=\"1\" price=\"6732.49\"/></order>"
        }
        try fixture.drop("a.xml", "<orders version=\"1\">\(order("A", 9900))\(order("B", 9901))\(order("C", 9901))\(order("A", 9901))</orders>")
        try fixture.importer().run()
        #expect(try fixture.orders() == ["9900-1 A pending", "9901-1 B pending", "9901-2 C pending", "9901-3 A pending"])
    }

    @Test func aPriceTheSiteWasShownIsAcceptedAfterTheListMoved() throws {
        let fixture = try ImportFixture()
        defer { fixture.remove() }
        try fixture.base.exporter().export()
        // The back office raises C0001's list price of P00001 (L2: 6732.49) after the package.
        let prices = try String(contentsOf: ImportFixture.repository.appending(path: "Samples/masters/prices.csv"), encoding: .utf8)
        #expect(prices.contains("L2;P00001;6732,49"))
        _ = try fixture.base.load(["prices.csv": prices.replacingOccurrences(of: "L2;P00001;6732,49", with: "L2;P00001;7000")])
        let order = { (id: String, price: String, date: String) in
            "<order id=\"\(id)\" pos=\"9900\" date=\"\(date)\" client=\"C0001\"><line product=\"P00001\" quantity=\"1\" price=\"\(price)\"/></order>"
        }
        try fixture.drop("p.xml", "<orders version=\"1\">"
            + order("OLD-AFTER-PACKAGE", "6732.49", "2030-01-01T10:00:00-03:00")
            + order("OLD-BEFORE-PACKAGE", "6732.49", "2020-01-01T10:00:00-03:00")
            + order("NEW", "7000", "2020-01-01T10:00:00-03:00")
            + "</orders>")
        let report = try fixture.importer().run()
        #expect(report.files[0].outcomes == [.accepted: 2, .held: 1])
        #expect(try fixture.orders() == ["9900-1 OLD-AFTER-PACKAGE pending", "9900-2 OLD-BEFORE-PACKAGE held", "9900-3 NEW pending"])
    }

    @Test func policiesComeFromTheConfiguration() throws {
        let fixture = try ImportFixture()
        defer { fixture.remove() }
        var configuration = fixture.base.configuration
        configuration.validation.priceMismatch = .reject
        configuration.inbox.settleSeconds = 0
        try fixture.drop(sample: "pedidos-2026-11-28-manana.xml")
        let report = try OrderImporter(store: fixture.store, configuration: configuration, logger: fixture.base.session.logger,
                                   clock: ImportFixture.clock).run()
        #expect(report.files[0].outcomes == [.accepted: 1, .held: 1, .rejected: 6])
    }

    // MARK: Exactly once

    struct Crash: Error {}

    @Test(arguments: [ImportStep.beforeCommit, .afterCommit, .afterAck])
    func aCrashAtAnyStepIsFinishedByTheNextRunWithoutDuplicates(step: ImportStep) throws {
        let fixture = try ImportFixture()
        defer { fixture.remove() }
        try fixture.drop(sample: "pedidos-2026-11-28-manana.xml")
        try fixture.drop(sample: "pedido-con-doctype.xml")
        #expect(throws: Crash.self) {
            try fixture.importer(fault: { if $0 == step { throw Crash() } }).run()
        }
        let next = try fixture.importer().run()
        if step == .beforeCommit {
            #expect(next.files.map(\.outcome) == [.rejected, .processed], "read again from the start")
        } else {
            #expect(next.files.map(\.outcome).first == .finished)
        }
        #expect(try fixture.orders() == ["9900-1 W-10045 pending", "9900-2 W-10046 held", "9900-3 W-10050 held"])
        let rejected: Int? = try fixture.base.value("SELECT count(*) FROM rejected_orders")
        #expect(rejected == 5)
        let recorded: Int? = try fixture.base.value("SELECT count(*) FROM processed_files")
        #expect(recorded == 2)
        let unfinished: Int? = try fixture.base.value("SELECT count(*) FROM processed_files WHERE finished = 0")
        #expect(unfinished == 0)
        #expect(fixture.files(fixture.outbox.appending(path: "acks")) == [
            "pedido-con-doctype.xml.ack.xml", "pedidos-2026-11-28-manana.xml.ack.xml",
        ])
        #expect(fixture.files(fixture.inbox) == [
            "processed/\(Self.today)/pedidos-2026-11-28-manana.xml",
            "rejected/\(Self.today)/pedido-con-doctype.xml", "rejected/\(Self.today)/pedido-con-doctype.xml.reason.txt",
        ])
        #expect(try fixture.importer().run().files.isEmpty)
    }

    @Test func anAckPublishCutBetweenItsLinkAndItsUnlinkIsFinishedByTheNextRun() throws {
        let fixture = try ImportFixture()
        defer { fixture.remove() }
        try fixture.drop(sample: "pedidos-2026-11-28-manana.xml")
        #expect(throws: Crash.self) {
            try fixture.importer(fault: { if $0 == .afterAck { throw Crash() } }).run()
        }
        // As a kill between the two halves of the ack's publish leaves it: both names, one file.
        let acks = fixture.outbox.appending(path: "acks")
        let ack = acks.appending(path: "pedidos-2026-11-28-manana.xml.ack.xml")
        #expect(link(ack.path, acks.appending(path: ".pedidos-2026-11-28-manana.xml.ack.xml.tmp").path) == 0)
        let next = try fixture.importer().run()
        #expect(next.files.map(\.outcome) == [.finished])
        #expect(fixture.files(acks) == ["pedidos-2026-11-28-manana.xml.ack.xml"])
        #expect(try fixture.orders().count == 3)
    }

    @Test func aDryRunChangesNothing() throws {
        let fixture = try ImportFixture()
        defer { fixture.remove() }
        for sample in ["pedidos-2026-11-28-manana.xml", "pedidos-2026-11-28-tarde.csv", "pedido-con-doctype.xml"] {
            try fixture.drop(sample: sample)
        }
        func snapshot() throws -> [String] {
            let tables = try fixture.base.rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .map { $0["name"] as String }
            var lines = try tables.map { table in "\(table): \(try fixture.base.rows("SELECT * FROM \(table)").map(\.description))" }
            lines += fixture.files(fixture.base.folder.url).filter { !$0.hasPrefix("puente.sqlite") }
            return lines
        }
        let before = try snapshot()
        let dry = try fixture.importer().run(dryRun: true)
        #expect(dry.dryRun)
        #expect(dry.files.map(\.outcome) == [.rejected, .processed, .processed])
        #expect(dry.files[1].outcomes == [.accepted: 1, .held: 2, .rejected: 5])
        #expect(dry.files[2].outcomes == [.accepted: 2, .rejected: 3, .duplicate: 1], "sees its own file's orders")
        #expect(try snapshot() == before)
        // The real run does what the dry run said.
        let real = try fixture.importer().run()
        #expect(real.files.map(\.outcomes) == dry.files.map(\.outcomes))
    }

    // MARK: The Inbox as a shared folder

    @Test func takesOnlyStableFilesWithAcceptedNames() throws {
        let fixture = try ImportFixture()
        defer { fixture.remove() }
        let order = "<orders version=\"1\"><order id=\"W-1\" pos=\"9900\" date=\"2026-11-28T10:00:00-03:00\" client=\"C0001\"><line product=\"P00001\" quantity=\"1\" price=\"6732.49\"/></order></orders>"
        for name in ["ok.XML", ".hidden.xml", "upload.xml.tmp", "a.xml.part", "b.partial", "c.xml.filepart",
                     "d.xml.crdownload", "notes.txt"] {
            try fixture.drop(name, order)
        }
        let growing = try fixture.drop("growing.xml", "<orders version=\"1\">")
        let scanner = InboxScanner(folder: fixture.inbox, settleSeconds: 2, doneMarkers: false, wait: { seconds in
            #expect(seconds == 2)
            // The site is still writing this one between the two looks.
            if let handle = try? FileHandle(forWritingTo: growing) {
                handle.seekToEndOfFile()
                handle.write(Data("<order".utf8))
                try? handle.close()
            }
        })
        #expect(try scanner.readyFiles().map(\.lastPathComponent) == ["ok.XML"])
        let names = ["espacio y acentos ñandú.xml", "Cafe\u{301} NFD.csv"]
        for name in names { try fixture.drop(name, "x") }
        let stable = InboxScanner(folder: fixture.inbox, settleSeconds: 0, doneMarkers: false, wait: { _ in })
        #expect(Set(try stable.readyFiles().map(\.lastPathComponent)) == Set(["ok.XML", "growing.xml"] + names))
    }

    @Test func doneMarkersGateFiles() throws {
        let fixture = try ImportFixture()
        defer { fixture.remove() }
        try fixture.drop(sample: "pedidos-2026-11-28-manana.xml")
        try fixture.drop(sample: "pedidos-2026-11-28-tarde.csv")
        try fixture.drop("pedidos-2026-11-28-tarde.csv.done", "")
        var configuration = fixture.base.configuration
        configuration.inbox.doneMarkers = true
        configuration.inbox.settleSeconds = 0
        let importer = OrderImporter(store: fixture.store, configuration: configuration, logger: fixture.base.session.logger,
                                   clock: ImportFixture.clock)
        #expect(try importer.run().files.map(\.file) == ["pedidos-2026-11-28-tarde.csv"])
        #expect(fixture.files(fixture.inbox) == ["pedidos-2026-11-28-manana.xml", "processed/\(Self.today)/pedidos-2026-11-28-tarde.csv"])
    }

    @Test func oddNamesGoThroughWhole() throws {
        let fixture = try ImportFixture()
        defer { fixture.remove() }
        let name = "Pedidos de la tarde, Peñalolén\u{301} (2).xml"
        try fixture.drop(sample: "pedidos-2026-11-28-manana.xml", as: name)
        let report = try fixture.importer().run()
        #expect(report.files.map(\.file) == [name])
        #expect(fixture.files(fixture.outbox.appending(path: "acks")) == ["\(name).ack.xml"])
        #expect(fixture.files(fixture.inbox) == ["processed/\(Self.today)/\(name)"])
    }

    @Test func aSecondRunWaitsForTheLockAndAKilledRunNeverHoldsIt() throws {
        let fixture = try ImportFixture()
        defer { fixture.remove() }
        // The fixture's writing session holds the lock; a second writer is refused at once.
        let held = try #require(fixture.base.session.lock)
        #expect {
            try RunLock.take(database: fixture.base.configuration.database, create: true)
        } throws: { ($0 as? PuenteError)?.code == .busy }
        #expect {
            try PuenteSession(configuration: fixture.base.configuration, logger: fixture.base.session.logger)
        } throws: { ($0 as? PuenteError)?.code == .busy }
        held.release()
        let again = try RunLock.take(database: fixture.base.configuration.database, create: true)
        #expect(again != nil, "released, the lock can be taken again")
        again?.release()
    }
}
