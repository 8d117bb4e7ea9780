import Foundation
import GRDB
import Logging
@testable import PuenteExchange
import PuenteStore
import PuenteTestSupport
import Testing

@Suite struct JobCycleTests {
    @Test func networkFileSystemsAreToldFromLocalOnes() {
        #expect(NetworkFileSystem.name(magic: 0x6969) == "NFS")
        #expect(NetworkFileSystem.name(magic: 0x517B) == "SMB")
        #expect(NetworkFileSystem.name(magic: 0xFF53_4D42) == "CIFS")
        #expect(NetworkFileSystem.name(magic: 0xFE53_4D42) == "SMB2")
        // statfs's f_type is signed on some platforms: the CIFS magic read as a negative number.
        #expect(NetworkFileSystem.name(magic: Int64(Int32(bitPattern: 0xFF53_4D42))) == "CIFS")
        #expect(NetworkFileSystem.name(magic: 0xEF53) == nil, "ext4")
        #expect(NetworkFileSystem.name(magic: 0x0102_1994) == nil, "tmpfs")
        #expect(NetworkFileSystem.name(magic: 0x5846_5342) == nil, "xfs")
    }

    @Test func aLocalStoreIsOpenedAndItsFutureFolderIsJudgedByItsParent() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        #expect(NetworkFileSystem.holding(folder.url.appending(path: "not/yet/there/puente.sqlite").path) == nil)
        #expect(throws: Never.self) { try NetworkFileSystem.refuse(store: folder.url.appending(path: "puente.sqlite").path) }
    }

    @Test func aCycleAskedToStopBeforeItBeginsDoesNothingAndSaysSo() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try FileManager.default.createDirectory(at: folder.url.appending(path: "Inbox"), withIntermediateDirectories: true)
        try folder.write("Inbox/a.xml", "<orders version=\"1\"/>")
        let stop = StopRequest()
        let session = try PuenteSession(configuration: Configuration(directory: folder.url), logger: Logger(label: "test"),
                                        stop: stop)
        #expect(stop.request() == 1)
        let report = session.jobCycle().run()
        #expect(report.stopped)
        #expect(report.importReport == nil && report.export == nil && report.mail == nil)
        #expect(report.exitStatus == 0)
        #expect(report.outcome == "stopped")
        #expect(FileManager.default.fileExists(atPath: folder.url.appending(path: "Inbox/a.xml").path), "untouched")
        let runs = try session.store.recentRuns(limit: 10)
        #expect(runs.map(\.outcome) == ["stopped"])
        #expect(runs.first?.summary?.contains("\"stopped\":true") == true)
    }

    @Test func mailLeftQueuedByAStoppedRunWaitsForTheNextRunWithoutAPerson() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try FileManager.default.createDirectory(at: folder.url.appending(path: "Inbox"), withIntermediateDirectories: true)
        let session = try PuenteSession(configuration: Configuration(directory: folder.url), logger: Logger(label: "test"))
        let store = session.store
        // A message made by a run that a signal stopped before its mail step.
        try store.database.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.execute(sql: """
                INSERT INTO mail_queue(history_id, kind, message_id, file_name, message, state, created)
                VALUES (1, 'confirmation', '<1@puente>', 'm.eml', x'00', 'queued', '2026-12-01T10:00:00-03:00')
                """)
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        let stopped = try store.startRun(started: "2026-12-01T10:00:00-03:00", startedUnix: 1_764_594_000, pid: 1)
        try store.finishRun(stopped, finished: "2026-12-01T10:00:01-03:00", outcome: "stopped", exitStatus: 0, summary: "{}")
        var status = try session.status()
        #expect(status.mail.queued == 1)
        #expect(!status.needsAttention, "it waits for the next run: \(status.attention)")
        // Still queued after a run that went through its mail step: refused, a person looks.
        let next = try store.startRun(started: "2026-12-01T10:05:00-03:00", startedUnix: 1_764_594_300, pid: 1)
        try store.finishRun(next, finished: "2026-12-01T10:05:01-03:00", outcome: "done", exitStatus: 0, summary: "{}")
        status = try session.status()
        #expect(status.needsAttention)
        #expect(status.attention.contains { $0.contains("could not be handed over") }, "\(status.attention)")
    }

    @Test func aRunThatNeverEndedIsMarkedInterruptedByTheNext() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let store = try BackOfficeStore(path: folder.url.appending(path: "s.sqlite").path)
        let killed = try store.startRun(started: "2026-12-01T10:00:00-03:00", startedUnix: 1_764_594_000, pid: 999_999)
        let next = try store.startRun(started: "2026-12-01T10:05:00-03:00", startedUnix: 1_764_594_300, pid: 1)
        try store.finishRun(next, finished: "2026-12-01T10:05:01-03:00", outcome: "done", exitStatus: 0, summary: "{}")
        let runs = try store.recentRuns(limit: 10)
        #expect(runs.map(\.id) == [next, killed])
        #expect(runs.map(\.outcome) == ["done", "interrupted"])
        #expect(runs.last?.finished == nil)
    }

    @Test func theRunHistoryKeepsEveryCountButOnlyTheFirstProblemLines() {
        var masters = MasterLoadReport()
        var dump = MasterFileReport(file: "prices.csv", master: .prices)
        dump.errors = (2...51).map { .init(file: "prices.csv", line: $0, message: "unknown product") }
        masters.files = [dump]
        var file = FileImportReport(file: "a.xml", outcome: .processed)
        file.attention = (1...100).map { "a.xml line \($0): rejected" }
        file.attentionNotShown = 7
        var imported = ImportReport(dryRun: false)
        imported.files = [file]
        var report = CycleReport()
        report.masters = masters
        report.importReport = imported

        let kept = report.forHistory
        let errors = kept.masters?.files.first?.errors ?? []
        #expect(errors.count == CycleReport.historyLines + 1)
        #expect(errors.prefix(CycleReport.historyLines).map(\.line) == Array(2...21))
        #expect(errors.last?.message == "… and 30 more")
        #expect(kept.importReport?.files.first?.attention.count == CycleReport.historyLines)
        #expect(kept.importReport?.files.first?.attentionNotShown == 87)
        #expect(kept.needsAttention == report.needsAttention && kept.exitStatus == report.exitStatus)
        #expect(report.masters?.files.first?.errors.count == 50, "the report itself is untouched")
    }

    @Test func theExitStatusIsTheWorstFailedStepsElseWhetherAPersonIsNeeded() {
        var report = CycleReport()
        #expect(report.exitStatus == 0)
        report.failures = [.init(step: "export", message: "x", code: "io")]
        #expect(report.exitStatus == 74)
        report.failures.append(.init(step: "masters", message: "y", code: "configuration"))
        #expect(report.exitStatus == 78)
        report.failures = [.init(step: "history", message: "z", code: "busy")]
        #expect(report.exitStatus == 75)
        #expect(report.outcome == "failed")
    }
}
