import Foundation
import GRDB
import PuenteDomain

/// One cycle of the scheduled job, as the store remembers it.
public struct RunRecord: Sendable, Equatable {
    public var id: Int64
    public var started: String
    public var startedUnix: Int64
    public var pid: Int32
    /// Nil while it runs, and for a run that never ended (killed, or the machine stopped).
    public var finished: String?
    /// `done`, `attention`, `failed`, `stopped` (by a signal, between two files or packages),
    /// `interrupted` (it never ended: marked so by the next run); nil while it runs.
    public var outcome: String?
    public var exitStatus: Int32?
    /// What each step did, its warnings and its errors (JSON of the cycle's report).
    public var summary: String?
}

/// A held order waiting for a person.
public struct HeldOrder: Sendable, Equatable {
    public var number: OrderNumber
    public var client: String
    /// When it was posted (held), ISO 8601, and as Unix seconds.
    public var since: String
    public var sinceUnix: Int64
}

extension BackOfficeStore {
    /// How many runs the history keeps (a `--watch` every minute makes 1,440 a day).
    public static let keptRuns = 5000

    /// Records that a run starts now; runs before it that never ended are marked `interrupted`
    /// (only one run at a time holds the run lock, so none of them is still going).
    public func startRun(started: String, startedUnix: Int64, pid: Int32) throws -> Int64 {
        try write("record the run's start") { db in
            try db.execute(sql: "UPDATE runs SET outcome = 'interrupted' WHERE finished IS NULL AND outcome IS NULL")
            try db.execute(sql: "INSERT INTO runs (started, started_unix, pid) VALUES (?, ?, ?)",
                           arguments: [started, startedUnix, pid])
            let id = db.lastInsertedRowID
            try db.execute(sql: "DELETE FROM runs WHERE id <= ?", arguments: [id - Int64(Self.keptRuns)])
            return id
        }
    }

    /// Records how run `id` ended.
    public func finishRun(_ id: Int64, finished: String, outcome: String, exitStatus: Int32, summary: String) throws {
        try write("record the run's end") { db in
            try db.execute(sql: "UPDATE runs SET finished = ?, outcome = ?, exit_status = ?, summary = ? WHERE id = ?",
                           arguments: [finished, outcome, exitStatus, summary, id])
        }
    }

    /// The last `limit` runs, newest first.
    public func recentRuns(limit: Int) throws -> [RunRecord] {
        try read("read the run history") { db in
            try Row.fetchAll(db, sql: """
                SELECT id, started, started_unix, pid, finished, outcome, exit_status, summary
                FROM runs ORDER BY id DESC LIMIT ?
                """, arguments: [limit]).map { row in
                RunRecord(id: row["id"], started: row["started"], startedUnix: row["started_unix"], pid: row["pid"],
                          finished: row["finished"], outcome: row["outcome"], exitStatus: row["exit_status"],
                          summary: row["summary"])
            }
        }
    }

    /// The orders held for a person, oldest first.
    public func heldOrders() throws -> [HeldOrder] {
        try read("read the held orders") { db in
            try Row.fetchAll(db, sql: """
                SELECT pos, number, client, created, CAST(strftime('%s', created) AS INTEGER) AS since_unix
                FROM orders WHERE status = 'held' ORDER BY created, id
                """).map { row in
                HeldOrder(number: OrderNumber(pos: row["pos"], sequence: row["number"]), client: row["client"],
                          since: row["created"], sinceUnix: row["since_unix"] ?? 0)
            }
        }
    }

    /// The last package published to `pos`, if any.
    public func lastPackage(pos: Int) throws -> PackageRecord? {
        try read("read the packages") { db in try Self.lastPackage(pos: pos, in: StoreTransaction(db: db)) }
    }

    /// How many e-mails are in each state (`queued`, `handing`, `handed`, `written`, `no-address`).
    public func mailCounts() throws -> [String: Int] {
        try read("read the mail queue") { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM mail_queue GROUP BY state") {
                counts[row["state"]] = row["n"]
            }
            return counts
        }
    }

    private func read<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do { return try database.read(body) } catch let error as DatabaseError {
            throw PuenteError.store(operation, path: path, error)
        }
    }

    private func write<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do { return try database.write(body) } catch let error as DatabaseError {
            throw PuenteError.store(operation, path: path, error)
        }
    }
}
