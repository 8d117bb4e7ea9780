import CPosix
import Foundation
import GRDB
import GRDBSQLite
import PuenteDomain

/// The back-office store: one SQLite file in WAL mode, opened through GRDB.
///
/// Every master record carries `change_seq`, the value of a store-wide counter at the moment
/// the record last changed; an export asks "what changed since N" with one indexed range scan.
public final class BackOfficeStore: Sendable {
    /// How a store is opened.
    public enum Mode: Sendable {
        /// A GRDB pool (WAL: readers never block the writer): every command that writes.
        case pool
        /// One connection, for a dry run or a report: it writes nothing to the file unless
        /// asked (a pool always does, to make sure its WAL file exists).
        case single
    }

    /// The connection pool, or the single connection (`Mode.single`).
    public let database: any DatabaseWriter
    public let path: String
    /// SQLite's page cache for a writing connection, in KiB: 16 MiB (measured: see docs/decisions.md).
    public static let pageCacheSize = 16384

    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    public init(path: String, mode: Mode = .pool) throws {
        self.path = path
        try NetworkFileSystem.refuse(store: path)
        var configuration = Self.configuration()
        configuration.foreignKeysEnabled = true
        do {
            switch mode {
            case .pool: database = try DatabasePool(path: path, configuration: configuration)
            case .single: database = try DatabaseQueue(path: path, configuration: configuration)
            }
            // An up-to-date store is not written to (a dry run writes nothing).
            if try !database.read(Self.migrator.hasCompletedMigrations) {
                try Self.migrator.migrate(database)
            }
        } catch let error as DatabaseError {
            throw PuenteError.store("open the store", path: path, error)
        }
    }

    /// SQLite set up once, before the process's first connection (`puente_sqlite_configure`:
    /// no mutex per call, no memory statistics; measured in docs/decisions.md).
    private static let sqliteConfigured: Int32 = puente_sqlite_configure()

    static func configuration(readonly: Bool = false, pageCacheKiB: Int = BackOfficeStore.pageCacheSize) -> Configuration {
        _ = sqliteConfigured
        var configuration = Configuration()
        configuration.readonly = readonly
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // 16 MiB for a writer (the default is 2 MiB): bulk writes in key order need no
            // more; it is only used as far as needed.
            try BackOfficeStore.setPageCache(kibibytes: pageCacheKiB, in: db)
            if !readonly { try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        }
        return configuration
    }

    /// Gives back what the writing connection cached and the allocator holds free: between
    /// the dumps of a masters load, so that one dump's pages and buffers (a million prices')
    /// are not resident under the next one's.
    public func releaseMemory() {
        try? database.writeWithoutTransaction { $0.releaseMemory() }
        puente_release_free_memory()
    }

    /// A read-only connection of its own to the store's committed state, for a thread that
    /// reads while another one holds the store's connection in a transaction.
    /// `pageCacheKiB`: its page cache; a connection that scans once or looks up a few rows
    /// wants no more than SQLite's default 2 MiB (memory an import keeps flat).
    public func readOnlyConnection(pageCacheKiB: Int = 2048) throws -> DatabaseQueue {
        do {
            return try DatabaseQueue(path: path, configuration: Self.configuration(readonly: true, pageCacheKiB: pageCacheKiB))
        } catch let error as DatabaseError {
            throw PuenteError.store("open the store for reading", path: path, error)
        }
    }
}

/// A write transaction of the store, open while an operation's work runs inside it: what the
/// store's functions that write as part of a larger whole (an Inbox file, a package) are given.
/// Only the store opens, commits and rolls back; the callers never see SQL or GRDB.
public struct StoreTransaction {
    let db: Database
}

/// How a unit of work inside a transaction ends.
public enum TransactionEnd: Sendable {
    case commit
    case rollback
}

extension BackOfficeStore {
    /// Runs `body` in one immediate write transaction (the write lock taken at once, so a
    /// writer never fails midway on a busy store), committed or rolled back as `body` says;
    /// an error rolls it back and is rethrown.
    public func writeTransaction<T>(_ body: (StoreTransaction) throws -> (T, TransactionEnd)) throws -> T {
        var result: T?
        try database.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                let (value, end) = try body(StoreTransaction(db: db))
                result = value
                return end == .commit ? .commit : .rollback
            }
        }
        return result!
    }

    /// Runs `body` in a savepoint of `transaction`: its writes kept or undone as it says (an
    /// error undoes them and is rethrown), the rest of the transaction untouched.
    public func savepoint(in transaction: StoreTransaction, _ body: () throws -> TransactionEnd) throws {
        try transaction.db.inSavepoint { try body() == .commit ? .commit : .rollback }
    }
}

extension BackOfficeStore {
    /// Steps through the rows of `statement` (its arguments set), raw: no value is copied unless
    /// `body` copies it. A failure is a store error for `operation`; the statement is reset.
    static func forEachRow(of statement: Statement, _ operation: String, in db: Database,
                           _ body: (SQLiteStatement) throws -> Void) throws {
        // The Statement owns the SQLite statement: it must live while its pointer is used.
        try withExtendedLifetime(statement) {
            let raw = statement.sqliteStatement
            defer { sqlite3_reset(raw) }
            while true {
                let code = sqlite3_step(raw)
                if code == SQLITE_DONE { return }
                guard code == SQLITE_ROW else { throw PuenteError.sqlite(operation, db.sqliteConnection) }
                try body(raw)
            }
        }
    }
}

extension PuenteError {
    /// A store operation failed: `could not OPERATION (PATH): SQLite's message`, with SQLite's
    /// result code as the cause.
    static func store(_ operation: String, path: String = "", message: String, resultCode: Int32? = nil,
                      cause: (any Error)? = nil) -> PuenteError {
        PuenteError(.store, path.isEmpty ? "could not \(operation): \(message)" : "could not \(operation) (\(path)): \(message)",
                    path: path.isEmpty ? nil : path, cause: cause ?? resultCode.map(SQLiteResultCode.init))
    }

    /// The last failure of `connection`: its message and extended result code.
    static func sqlite(_ operation: String, _ connection: SQLiteConnection?) -> PuenteError {
        guard let connection else { return store(operation, message: "no connection") }
        return store(operation, message: String(cString: sqlite3_errmsg(connection)),
                     resultCode: sqlite3_extended_errcode(connection))
    }

    /// A GRDB error, its message and result code kept.
    static func store(_ operation: String, path: String, _ error: DatabaseError) -> PuenteError {
        store(operation, path: path, message: error.message ?? "\(error.resultCode)", cause: error)
    }
}

extension BackOfficeStore {
    /// Allocates the next value of the store-wide change counter. Call inside a write.
    static func nextChangeSequence(_ db: Database) throws -> Int64 {
        try db.execute(sql: "UPDATE change_counter SET value = value + 1 WHERE id = 1")
        return try Int64.fetchOne(db, sql: "SELECT value FROM change_counter WHERE id = 1") ?? 0
    }

    /// The last value handed out by the change counter.
    public func currentChangeSequence() throws -> Int64 {
        try database.read { db in try Self.currentChangeSequence(in: StoreTransaction(db: db)) }
    }

    /// As `currentChangeSequence()`, inside a transaction already open.
    public static func currentChangeSequence(in transaction: StoreTransaction) throws -> Int64 {
        let db = transaction.db
        return try Int64.fetchOne(db, sql: "SELECT value FROM change_counter WHERE id = 1") ?? 0
    }

    /// Sets the writing connection's page cache, in KiB, for what follows (`pageCacheSize`
    /// is the usual one).
    public func setWriterPageCache(kibibytes: Int) throws {
        try database.writeWithoutTransaction { try Self.setPageCache(kibibytes: kibibytes, in: $0) }
    }

    /// Sets this connection's page cache, in KiB (`pageCacheSize` is the usual one).
    public static func setPageCache(kibibytes: Int, in db: Database) throws {
        try db.execute(sql: "PRAGMA cache_size = \(-kibibytes)")
    }

    /// Makes the configured sites known to the store (new ones added, names updated).
    public func registerSites(_ sites: [(pos: Int, name: String)]) throws {
        try database.write { db in try Self.registerSites(sites, in: StoreTransaction(db: db)) }
    }

    /// As `registerSites(_:)`, inside a write already open.
    public static func registerSites(_ sites: [(pos: Int, name: String)], in transaction: StoreTransaction) throws {
        let db = transaction.db
        for site in sites {
            try db.execute(
                sql: """
                    INSERT INTO sites(pos, name) VALUES (?, ?)
                    ON CONFLICT(pos) DO UPDATE SET name = excluded.name WHERE name IS NOT excluded.name
                    """,
                arguments: [site.pos, site.name])
        }
    }
}
