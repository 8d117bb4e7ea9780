import Foundation
import GRDB
import PuenteDomain
import PuenteExchange
import PuenteFormats
import PuenteStore
import PuenteTestSupport
import Testing

/// Operator accidents and store failures in the middle of an import: nothing is lost, nothing
/// is taken twice, and what was finished is said.
@Suite struct InboxAccidentsTests {
    struct StoreDown: Error {}

    @Test func anInboxThatVanishesAfterTheCommitNeverReimportsTheFile() throws {
        let fixture = try ImportFixture()
        defer { fixture.remove() }
        try fixture.drop(sample: "pedidos-2026-11-28-manana.xml")
        let away = fixture.inbox.deletingLastPathComponent().appending(path: "Inbox-unmounted")
        // The share goes away between the commit and the move.
        let first = try fixture.importer(fault: { step in
            if step == .afterCommit { try FileManager.default.moveItem(at: fixture.inbox, to: away) }
        }).run()
        #expect(first.files.first?.movedTo == nil)
        #expect(first.problems.map(\.entry) == ["pedidos-2026-11-28-manana.xml"])
        #expect(first.problems.first?.problem.contains("is not there") == true)
        #expect(first.needsAttention)
        #expect(try fixture.base.value("SELECT count(*) FROM processed_files WHERE finished = 0") == 1, "not finished")

        // Still away: the next run says so again and changes nothing.
        try FileManager.default.createDirectory(at: fixture.inbox, withIntermediateDirectories: true)
        try FileManager.default.removeItem(at: fixture.inbox)
        #expect(throws: (any Error).self) { try fixture.importer().run() }
        // Back: the file is moved, never read again, no second ack, no duplicate.
        try FileManager.default.moveItem(at: away, to: fixture.inbox)
        let back = try fixture.importer().run()
        #expect(back.files.map(\.outcome) == [.finished])
        #expect(back.files.first?.movedTo == "processed/\(OrderImportTests.today)/pedidos-2026-11-28-manana.xml")
        #expect(fixture.files(fixture.outbox.appending(path: "acks")) == ["pedidos-2026-11-28-manana.xml.ack.xml"])
        let again = try fixture.importer().run()
        #expect(again.files.isEmpty)
        #expect(try fixture.orders().count == 3)
        #expect(try fixture.base.value("SELECT count(*) FROM processed_files") == 1)
    }

    @Test func aFileWhoseMoveFailedIsNotReadAgainWhileItWaits() throws {
        let fixture = try ImportFixture()
        defer { fixture.remove() }
        try fixture.drop(sample: "pedidos-2026-11-28-manana.xml")
        // processed/ cannot be made: a file stands where the folder would be.
        try Data("in the way".utf8).write(to: fixture.inbox.appending(path: "processed"))
        let first = try fixture.importer().run()
        #expect(first.problems.count == 1)
        #expect(first.problems.first?.problem.contains("the next run retries") == true)
        let second = try fixture.importer().run()
        #expect(second.files.isEmpty, "waiting to be moved, never taken as a new file")
        #expect(second.problems.count == 1)
        #expect(try fixture.orders().count == 3)
        try FileManager.default.removeItem(at: fixture.inbox.appending(path: "processed"))
        let third = try fixture.importer().run()
        #expect(third.files.map(\.outcome) == [.finished])
        #expect(third.problems.isEmpty)
        #expect(fixture.files(fixture.inbox) == ["processed/\(OrderImportTests.today)/pedidos-2026-11-28-manana.xml"])
    }

    @Test func aStoreFailureHalfWayCarriesWhatWasFinished() throws {
        let fixture = try ImportFixture()
        defer { fixture.remove() }
        try fixture.drop(sample: "pedidos-2026-11-28-manana.xml")
        try fixture.drop(sample: "pedidos-2026-11-28-tarde.csv")
        final class Commits: @unchecked Sendable {
            // @unchecked: the importer calls its fault hook on one thread.
            var count = 0
        }
        let commits = Commits()
        let error = #expect(throws: ImportInterrupted.self) {
            try fixture.importer(fault: { step in
                guard step == .beforeCommit else { return }
                commits.count += 1
                if commits.count == 2 { throw StoreDown() }
            }).run()
        }
        #expect(error?.report.files.map(\.file) == ["pedidos-2026-11-28-manana.xml"])
        #expect(error?.error is StoreDown)
        let next = try fixture.importer().run()
        #expect(next.files.map(\.file) == ["pedidos-2026-11-28-tarde.csv"])
    }

    @Test func aVeryLongNameStillGetsItsAckAndItsPlace() throws {
        let fixture = try ImportFixture()
        defer { fixture.remove() }
        let name = String(repeating: "ñ", count: 125) + ".xml"  // 254 bytes
        #expect(name.utf8.count == 254)
        try fixture.drop(sample: "pedidos-2026-11-28-manana.xml", as: name)
        let report = try fixture.importer().run()
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.files.first?.outcome == .processed)
        let acks = fixture.files(fixture.outbox.appending(path: "acks"))
        #expect(acks.count == 1 && acks[0].hasSuffix(".ack.xml") && acks[0].utf8.count <= 255)
        let ack = try String(contentsOf: fixture.outbox.appending(path: "acks/\(acks[0])"), encoding: .utf8)
        #expect(ack.contains("file=\"\(name)\""), "the ack names the file in full")
        #expect(fixture.files(fixture.inbox).count == 1)
    }

    @Test func masterRowsXMLCannotCarryAreUnusableRows() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        let clients = MasterFixture.clients.replacingOccurrences(of: "Kiosco El Búho", with: "Kiosco \u{1}El Búho")
            .replacingOccurrences(of: "tito@example.com", with: "tito@example.com\u{FFFF}")
        let report = try fixture.load(["clients.csv": clients])
        #expect(report.files[0].errors.map(\.description) == [
            "clients.csv line 2: email holds the control character U+FFFF",
            "clients.csv line 4: name holds the control character U+0001",
        ])
        // What was refused is not in the store, so no package can carry it; the records keep
        // what they had (a row the back office got wrong never deactivates its record).
        #expect(try fixture.value("SELECT name FROM clients WHERE code = 'C3'") == "Kiosco El Búho")
        #expect(try fixture.value("SELECT email FROM clients WHERE code = 'C1'") == "tito@example.com")
        #expect(try fixture.value("SELECT count(*) FROM clients WHERE active = 1") == 3)
        #expect(try fixture.exporter().export().sites.first?.package != nil)
    }

    @Test func aClientWhoLosesWebAccessLeavesWithoutHisPasswordHash() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        try fixture.exporter().export()
        // C2 loses the web password; V01 is deactivated (so C1 and C3 leave with him).
        try fixture.load(["clients.csv": MasterFixture.clients.replacingOccurrences(of: ",ñandu123,", with: ",,")])
        let report = try fixture.exporter().export()
        let package = try PackageReader(fixture.package(9900, try #require(report.sites.first?.package).components(separatedBy: "/")[1]))
        let leavers = try package.records("clients").filter { $0["active"] == "false" }
        #expect(leavers.map { $0["code"] } == ["C2"])
        #expect(leavers.allSatisfy { $0["password_hash"] == "" })
        let sellers = MasterFixture.sellers.replacingOccurrences(of: "vende01,S", with: "vende01,N")
        try fixture.load(["sellers.csv": sellers], allowMassDeactivation: true)
        let next = try fixture.exporter().export()
        let second = try PackageReader(fixture.package(9900, try #require(next.sites.first?.package).components(separatedBy: "/")[1]))
        let gone = try second.records("sellers").filter { $0["active"] == "false" }
        #expect(gone.map { $0["code"] } == ["V01"])
        #expect(gone.allSatisfy { $0["password_hash"] == "" })
        #expect(try second.records("clients").filter { $0["active"] == "false" }.allSatisfy { $0["password_hash"] == "" })
    }
}
