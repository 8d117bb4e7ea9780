import Foundation
import PuenteDomain
@testable import PuenteExchange
import PuenteStore
import PuenteTestSupport
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
