import GRDB
import GRDBSQLite
import PuenteDomain

/// Rows of one table waiting to be inserted, sent to SQLite many to a statement
/// (`INSERT … VALUES (…), (…), …`): a statement's preparation, its cursors and its seeks are
/// paid once for up to `rowsPerStatement` rows instead of once a row (measured in
/// Benchmarks/README.md). Text values are copied into one buffer and bound without a copy of
/// SQLite's own; nothing is written before `flush()`.
struct RowBatch {
    /// A value of a row: an integer, text held in the batch's buffer, or NULL.
    private enum Cell {
        case integer(Int64)
        case text(start: Int, count: Int)
        case null
    }

    private let db: Database
    private let head: String
    private let row: String
    private let columns: Int
    private let rowsPerStatement: Int
    private var cells: [Cell] = []
    private var bytes: [UInt8] = []
    /// Prepared statements by their number of rows (a full one, and the last of a flush).
    private var statements: [Int: Statement] = [:]

    /// `head`: `INSERT INTO t(a, b, c) VALUES `; `row`: one row's values, `(?, ?, 'x', ?)`,
    /// with `columns` parameters.
    init(_ db: Database, head: String, row: String, columns: Int, rowsPerStatement: Int) {
        self.db = db
        self.head = head
        self.row = row
        self.columns = columns
        self.rowsPerStatement = rowsPerStatement
        cells.reserveCapacity(columns * rowsPerStatement * 4)
    }

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

    /// Inserts the rows appended so far; `operation` names them in an error.
    mutating func flush(_ operation: @autoclosure () -> String) throws {
        precondition(cells.count % columns == 0, "a row has \(columns) values")
        var rowsLeft = cells.count / columns
        var first = 0
        while rowsLeft > 0 {
            let rows = min(rowsLeft, rowsPerStatement)
            let statement = try self.statement(rows: rows).sqliteStatement
            let code: Int32 = bytes.withUnsafeBufferPointer { buffer in
                for index in 0..<(rows * columns) {
                    let position = Int32(index + 1)
                    switch cells[first + index] {
                    case .integer(let value):
                        sqlite3_bind_int64(statement, position, value)
                    case .text(let start, let count):
                        // SQLITE_STATIC: the buffer outlives the step; empty text is still
                        // text, never NULL, so SQLite gets a valid pointer.
                        let pointer = count == 0 ? UnsafeRawPointer(bitPattern: 1)! : UnsafeRawPointer(buffer.baseAddress! + start)
                        sqlite3_bind_text(statement, position, pointer.assumingMemoryBound(to: CChar.self), Int32(count), nil)
                    case .null:
                        sqlite3_bind_null(statement, position)
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
        cells.removeAll(keepingCapacity: true)
        bytes.removeAll(keepingCapacity: true)
    }

    private mutating func statement(rows: Int) throws -> Statement {
        if let statement = statements[rows] { return statement }
        let sql = head + repeatElement(row, count: rows).joined(separator: ", ")
        let statement = try db.makeStatement(sql: sql)
        statements[rows] = statement
        return statement
    }
}
