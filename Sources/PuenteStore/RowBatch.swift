import GRDB
import GRDBSQLite
import PuenteDomain

/// Rows of one table waiting to be inserted, as plain values: built on one thread (the
/// import's checking thread), written on another by a `RowBatch`. Text values are copied into
/// one buffer, which SQLite binds without a copy of its own.
struct RowBuffer: Sendable {
    /// A value of a row: an integer, text held in the buffer, NULL, or the change sequence of
    /// the transaction that writes it (known only there).
    fileprivate enum Cell: Sendable {
        case integer(Int64)
        case text(start: Int, count: Int)
        case null
        case changeSequence
    }

    let columns: Int
    fileprivate var cells: [Cell] = []
    fileprivate var bytes: [UInt8] = []

    init(columns: Int) { self.columns = columns }

    var isEmpty: Bool { cells.isEmpty }

    mutating func append(_ value: Int64) { cells.append(.integer(value)) }

    mutating func append(_ value: Int) { cells.append(.integer(Int64(value))) }

    mutating func append(_ value: Int64?) { cells.append(value.map(Cell.integer) ?? .null) }

    mutating func append(_ value: String?) {
        guard let value else {
            cells.append(.null)
            return
        }
        let start = bytes.count
        bytes.append(contentsOf: value.utf8)
        cells.append(.text(start: start, count: bytes.count - start))
    }

    /// The change sequence the writing transaction gives the file (`RowBatch.write`).
    mutating func appendChangeSequence() { cells.append(.changeSequence) }

    /// Empties the buffer, keeping its capacity when no copy of it is held elsewhere.
    mutating func removeAll() {
        cells.removeAll(keepingCapacity: true)
        bytes.removeAll(keepingCapacity: true)
    }
}

/// Writes `RowBuffer`s of one table, many rows to a statement (`INSERT … VALUES (…), (…), …`):
/// a statement's preparation, its cursors and its seeks are paid once for up to
/// `rowsPerStatement` rows instead of once a row (measured in Benchmarks/README.md).
struct RowBatch {
    private let db: Database
    private let head: String
    private let row: String
    private let columns: Int
    private let rowsPerStatement: Int
    /// Prepared statements by their number of rows (a full one, and the last of a write).
    private var statements: [Int: Statement] = [:]

    /// `head`: `INSERT INTO t(a, b, c) VALUES `; `row`: one row's values, `(?, ?, 'x', ?)`,
    /// with `columns` parameters.
    init(_ db: Database, head: String, row: String, columns: Int, rowsPerStatement: Int) {
        self.db = db
        self.head = head
        self.row = row
        self.columns = columns
        self.rowsPerStatement = rowsPerStatement
    }

    /// Inserts the rows of `buffer`; `changeSequence` is bound where the buffer asks for it;
    /// `operation` names the rows in an error.
    mutating func write(_ buffer: RowBuffer, changeSequence: Int64, _ operation: @autoclosure () -> String) throws {
        precondition(buffer.columns == columns && buffer.cells.count % columns == 0, "a row has \(columns) values")
        var rowsLeft = buffer.cells.count / columns
        var first = 0
        while rowsLeft > 0 {
            let rows = min(rowsLeft, rowsPerStatement)
            let statement = try self.statement(rows: rows).sqliteStatement
            let code: Int32 = buffer.bytes.withUnsafeBufferPointer { bytes in
                for index in 0..<(rows * columns) {
                    let position = Int32(index + 1)
                    switch buffer.cells[first + index] {
                    case .integer(let value):
                        sqlite3_bind_int64(statement, position, value)
                    case .text(let start, let count):
                        // SQLITE_STATIC: the buffer outlives the step; empty text is still
                        // text, never NULL, so SQLite gets a valid pointer.
                        let pointer = count == 0 ? UnsafeRawPointer(bitPattern: 1)! : UnsafeRawPointer(bytes.baseAddress! + start)
                        sqlite3_bind_text(statement, position, pointer.assumingMemoryBound(to: CChar.self), Int32(count), nil)
                    case .null:
                        sqlite3_bind_null(statement, position)
                    case .changeSequence:
                        sqlite3_bind_int64(statement, position, changeSequence)
                    }
                }
                let code = sqlite3_step(statement)
                sqlite3_reset(statement)
                return code
            }
            guard code == SQLITE_DONE else { throw PuenteError.sqlite(operation(), db.sqliteConnection) }
            first += rows * columns
            rowsLeft -= rows
        }
    }

    private mutating func statement(rows: Int) throws -> Statement {
        if let statement = statements[rows] { return statement }
        let sql = head + repeatElement(row, count: rows).joined(separator: ", ")
        let statement = try db.makeStatement(sql: sql)
        statements[rows] = statement
        return statement
    }
}
