import Foundation
import PuenteDomain
@testable import PuenteExchange
import PuenteStore
import PuenteTestSupport
import Synchronization
import Testing

/// One error type for the library's failures: a code to switch on, a sentence for people,
/// where, and the underlying cause kept (never only its text).
@Suite struct ErrorModelTests {
    @Test func aStoreThatCannotBeOpenedKeepsSQLitesResultCode() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try FileManager.default.createDirectory(at: folder.url.appending(path: "puente.sqlite"), withIntermediateDirectories: true)
        #expect {
            try BackOfficeStore(path: folder.url.appending(path: "puente.sqlite").path)
        } throws: { error in
            guard let error = error as? PuenteError else { return false }
            return error.code == .store && error.path?.hasSuffix("puente.sqlite") == true && error.cause != nil
                && error.message.hasPrefix("could not open the store")
        }
    }

    @Test func aFileErrorKeepsErrno() {
        errno = ENOENT
        let error = PuenteError.system("open", "/nowhere/file")
        #expect(error.code == .io)
        #expect((error.cause as? POSIXError)?.code == .ENOENT)
        #expect(error.description == "could not open /nowhere/file: No such file or directory")
    }

    @Test func configurationErrorsNameFileAndKey() {
        #expect {
            try Configuration.parse("[inbox]\nsettle_seconds = \"x\"\n", file: URL(filePath: "/etc/puente.toml"))
        } throws: { error in
            guard let error = error as? PuenteError else { return false }
            return error.code == .configuration && error.path == "/etc/puente.toml" && error.key == "inbox.settle_seconds"
        }
    }
}

/// What a person watching a long import is shown: the share read, the pace, the time left.
@Suite struct ImportProgressTests {
    @Test func shareRateAndTimeLeft() {
        let halfway = ImportProgress(file: "orders.xml", orders: 50_000, bytesRead: 35_000_000, totalBytes: 70_000_000, elapsed: 2)
        #expect(halfway.share == 0.5)
        #expect(halfway.ordersPerSecond == 25_000)
        #expect(halfway.secondsLeft == 2)
        let starting = ImportProgress(file: "orders.xml", orders: 10, bytesRead: 1_000, totalBytes: 70_000_000, elapsed: 0.1)
        #expect(starting.secondsLeft == nil, "no pace to go by yet")
        let empty = ImportProgress(file: "empty.csv", orders: 0, bytesRead: 0, totalBytes: 0, elapsed: 1)
        #expect(empty.share == 1)
    }

    /// The progress a caller is given comes from the file being read, every thousand orders.
    @Test func anImportReportsItsProgress() throws {
        let fixture = try ImportFixture()
        defer { fixture.remove() }
        var rows = ["order,pos,date,client,seller,product,quantity,price,note"]
        for index in 0..<2_500 { rows.append("P-\(index),9900,2026-11-28T10:15:00-03:00,C0001,,P00001,1,6732.49,") }
        _ = try fixture.drop("muchos.csv", rows.joined(separator: "\n") + "\n")
        let seen = Mutex<[ImportProgress]>([])
        _ = try fixture.importer().run(progress: { state in seen.withLock { $0.append(state) } })
        let states = seen.withLock { $0 }
        #expect(states.map(\.orders) == [1_000, 2_000])
        #expect(states.allSatisfy { $0.file == "muchos.csv" && $0.bytesRead > 0 && $0.bytesRead <= $0.totalBytes })
    }
}
