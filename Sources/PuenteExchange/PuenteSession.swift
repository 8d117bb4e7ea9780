import Foundation
import PuenteDomain
import Logging
import PuenteSecurity
import PuenteStore

/// The store and helpers one command works with, made from the configuration.
///
/// A session that writes takes the run lock before anything touches the store: a second
/// writer learns at once that it must try later (`RunLockBusy`), never after waiting on SQLite.
public struct PuenteSession: Sendable {
    /// What the command will do with the store.
    public enum Access: Sendable {
        /// Write (import, export, masters load): the run lock, the store created if needed,
        /// the configured sites registered.
        case write
        /// Check everything and write nothing at all (`import --dry-run`): the run lock only
        /// when the store exists (taking it writes nothing); with no store yet, an empty
        /// scratch store in the system's temporary folder, removed when the session ends.
        case dryRun
        /// Only read (reports): no lock; with no store yet, an empty scratch store.
        case read
    }

    public let configuration: Configuration
    public let store: BackOfficeStore
    public let logger: Logger
    /// Where the session's time comes from (the system's, or a fixed one in tests).
    public let clock: any PuenteClock
    /// The run lock the session holds, if any (released when the session is dropped).
    public let lock: RunLock?
    /// Asked to stop (a signal): the session's runs end at their next safe point.
    public let stop: StopRequest
    /// With no store yet, the scratch folder a dry run or report works in.
    private let scratch: ScratchFolder?

    /// Opens the store for `access`.
    public init(configuration: Configuration, logger: Logger, access: Access = .write,
                clock: any PuenteClock = SystemClock(), stop: StopRequest = StopRequest()) throws {
        self.configuration = configuration
        self.stop = stop
        self.logger = logger
        self.clock = clock
        let database = configuration.database
        // Before the lock is taken on it (which would create it there).
        try NetworkFileSystem.refuse(store: database.path)
        let exists = FileManager.default.fileExists(atPath: database.path)
        switch access {
        case .write:
            try FileManager.default.createDirectory(at: database.deletingLastPathComponent(), withIntermediateDirectories: true)
            lock = try RunLock.take(database: database, create: true)
            scratch = nil
            store = try BackOfficeStore(path: database.path)
            try store.registerSites(configuration.sites.map { ($0.pos, $0.name) })
        case .dryRun, .read:
            lock = exists && access == .dryRun ? try RunLock.take(database: database, create: false) : nil
            if exists && (access == .read || lock != nil) {
                scratch = nil
                store = try BackOfficeStore(path: database.path, mode: .single)
            } else {
                let folder = try ScratchFolder()
                scratch = folder
                store = try BackOfficeStore(path: folder.url.appending(path: "scratch.sqlite").path, mode: .single)
                try store.registerSites(configuration.sites.map { ($0.pos, $0.name) })
            }
        }
    }

    /// Whether the session works on an empty scratch store (there was no store yet).
    public var isScratch: Bool { scratch != nil }

    public func packageExporter() -> PackageExporter {
        PackageExporter(store: store, configuration: configuration, logger: logger, clock: clock, stop: stop)
    }

    public func orderImporter() -> OrderImporter {
        OrderImporter(store: store, configuration: configuration, logger: logger, clock: clock, stop: stop)
    }

    /// A person's work on posted orders; `person` names who (the login name at the command line).
    public func orderDesk(person: String) -> OrderDesk {
        OrderDesk(store: store, timezone: configuration.timezone, clock: clock, person: person)
    }

    /// Every posted order (held, pending and later), by number.
    public func orderSummaries() throws -> [OrderSummary] {
        try store.orderSummaries()
    }

    /// The e-mails customers get.
    public func mailer() -> Mailer {
        Mailer(store: store, configuration: configuration, clock: clock, logger: logger, stop: stop)
    }

    /// The reports (orders, prices, rejects), in the configured locale.
    public func reports() -> Reports {
        Reports(store: store, locale: configuration.locale)
    }

    public func masterLoader() throws -> MasterLoader {
        MasterLoader(store: store, hasher: PasswordHasher(cost: configuration.bcryptCost),
                     fingerprint: try PasswordFingerprint.keyFile(for: configuration.database),
                     timezone: configuration.timezone, logger: logger, clock: clock)
    }
}

/// A private folder under the system's temporary directory, removed with the last reference.
final class ScratchFolder: Sendable {
    let url: URL

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/puente-scratch-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw PuenteError.system("make a scratch folder in", NSTemporaryDirectory()) }
        url = URL(filePath: String(cString: made), directoryHint: .isDirectory)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}
