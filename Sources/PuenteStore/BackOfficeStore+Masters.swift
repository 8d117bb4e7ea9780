import Foundation
import GRDB
import GRDBSQLite
import PuenteDomain

/// Collects the rows of one master dump for `BackOfficeStore.replaceMaster`.
///
/// A row is checked as it comes (unknown reference, control characters in a code) and kept in
/// comparison form: one key string and one value string (text as is, integers in decimal,
/// joined by U+001F). Most keys and many values are small strings, stored inline, so a million
/// prices cost no allocation per row.
public struct MasterStaging: ~Copyable {
    fileprivate struct Row {
        let key: String
        let value: String
        let line: Int32
    }

    fileprivate let table: MasterTable
    fileprivate let referenceCodes: [(column: Int, name: String, codes: Set<String>)]
    /// The rows, sorted by key in bounded memory (runs spilled to a temporary file).
    fileprivate var rows: SortedRuns
    fileprivate var staged = 0
    fileprivate var errors: [MasterRowError] = []
    /// Keys (comparison form) of refused rows: their records keep what they had.
    fileprivate var kept: Set<String> = []

    /// Reports a row that cannot be used. Its record, when `key` names one, keeps what it
    /// had: a row the back office got wrong never deactivates (or changes) its record.
    public mutating func refuse(line: Int, key: [String], message: String) {
        errors.append(MasterRowError(line: line, message: message))
        if key.count == table.keyColumns.count, !key.contains(where: \.isEmpty) {
            kept.insert(Self.joined(key.map { MasterValue.text($0) }[...]))
        }
    }

    /// Stages one row; `values` follow `table.stagedColumns`. A row naming an unknown
    /// reference is refused and reported against `line`. Throws what writing it threw (a
    /// streamed replacement writes as it goes).
    public mutating func stage(line: Int, values: [MasterValue]) throws {
        precondition(values.count == table.stagedColumns.count, "staged row does not match \(table.name)")
        let keyCount = table.keyColumns.count
        for (index, value) in values.enumerated() {
            guard case .text(var text) = value else { continue }
            // Codes may hold no control character at all (they order the merge); other text
            // nothing that XML 1.0 does not allow (it goes into the packages' XML), which
            // includes the separator of the comparison form.
            let refused: Unicode.Scalar? = index < keyCount
                ? text.withUTF8 { bytes in bytes.first { $0 < 0x20 }.map { Unicode.Scalar($0) } }
                : SafeText.firstNonXMLCharacter(in: text)
            if let refused {
                let message = "\(table.stagedColumns[index]) holds the control character \(SafeText.codePoint(refused))"
                if index < keyCount {
                    errors.append(MasterRowError(line: line, message: message))
                } else {
                    refuse(line: line, key: values[..<keyCount].map(\.text), message: message)
                }
                return
            }
        }
        for reference in referenceCodes {
            guard case .text(let code) = values[reference.column] else { continue }
            if code.isEmpty, table.nullWhenEmpty.contains(reference.name) { continue }
            if !reference.codes.contains(code) {
                refuse(line: line, key: values[..<keyCount].map(\.text), message: "\(reference.name) \"\(code)\" does not exist")
                return
            }
        }
        let row = Row(key: Self.joined(values[..<keyCount]), value: Self.joined(values[keyCount...]), line: Int32(clamping: line))
        staged += 1
        try rows.append(row)
    }

    fileprivate static let separatorByte: UInt8 = 0x1F
    fileprivate static let separator = "\u{1F}"

    fileprivate static func joined(_ values: ArraySlice<MasterValue>) -> String {
        var text = ""
        var first = true
        for value in values {
            if !first { text.append(separator) }
            first = false
            switch value {
            case .text(let string): text += string
            case .integer(let number): text += String(number)
            }
        }
        return text
    }
}

extension BackOfficeStore {
    /// Replaces a whole master with the rows `stageRows` stages, in one transaction.
    ///
    /// A sort-merge of the staged rows with the stored records, both in key order (byte order
    /// of UTF-8, SQLite's BINARY collation): records missing from the dump become inactive
    /// (never deleted); records whose values did not change are not written and keep their
    /// `change_seq`; all records that changed share one new change sequence. A key staged twice
    /// keeps its first row. If `stageRows` throws, nothing of the replacement is kept.
    ///
    /// Unless `allowMassDeactivation`, a replacement that has no data rows at all, or that
    /// would deactivate more than half of the master's active records, is almost always a
    /// truncated or wrong dump: it throws `MassDeactivationRefused` and changes nothing.
    /// `sortRunSize`: rows sorted in memory at a time (tests make it small to spill runs).
    public func replaceMaster(
        _ table: MasterTable, allowMassDeactivation: Bool = false, sortRunSize: Int = 65_536,
        stageRows: (inout MasterStaging) throws -> Void
    ) throws -> MasterReplacementResult {
        try database.write { db in
            try Self.replaceMaster(table, allowMassDeactivation: allowMassDeactivation, sortRunSize: sortRunSize, in: db,
                                   stageRows: stageRows)
        }
    }

    /// Stages the dump's rows (sorted by key in bounded memory: any order comes in), then
    /// merges them with the stored records in one pass (`StreamingMerge`).
    static func replaceMaster(
        _ table: MasterTable, allowMassDeactivation: Bool, sortRunSize: Int, in db: Database,
        stageRows: (inout MasterStaging) throws -> Void
    ) throws -> MasterReplacementResult {
        var references: [(column: Int, name: String, codes: Set<String>)] = []
        for reference in table.references {
            let codes = Set(try String.fetchAll(db, sql: "SELECT code FROM \(reference.table)"))
            references.append((table.stagedColumns.firstIndex(of: reference.column)!, reference.column, codes))
        }
        var staging = MasterStaging(table: table, referenceCodes: references, rows: SortedRuns(runSize: sortRunSize))
        try stageRows(&staging)
        let merge = try StreamingMerge(table: table, db: db)
        try staging.rows.forEachInOrder { row in try merge.feed(row) }
        return try merge.finish(staging: staging, allowMassDeactivation: allowMassDeactivation)
    }

    /// The report of a key that appears again in a dump.
    static func repeated(_ key: String, in table: MasterTable) -> String {
        let shown = key.utf8.split(separator: MasterStaging.separatorByte).map { String(Substring($0)) }.joined(separator: "/")
        return "\(table.keyColumns.joined(separator: "/")) \"\(shown)\" appears again (first row wins)"
    }

    /// Byte equality: Swift's `==` on strings is canonical equivalence, which would call an
    /// NFD name unchanged from its NFC form and disagree with SQLite's byte order.
    static func sameBytes(_ left: String, _ right: String) -> Bool {
        byteOrder(left, right) == 0
    }

    /// memcmp order of the UTF-8 bytes: negative, zero or positive.
    static func byteOrder(_ left: String, _ right: String) -> Int {
        var left = left
        var right = right
        return left.withUTF8 { a in
            right.withUTF8 { b in
                let common = min(a.count, b.count)
                if common > 0, let pa = a.baseAddress, let pb = b.baseAddress {
                    let order = memcmp(pa, pb, common)
                    if order != 0 { return Int(order) }
                }
                return a.count - b.count
            }
        }
    }

    static func text(_ statement: SQLiteStatement, _ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(statement, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// Current password hash and fingerprint of every client or seller with one.
    public func passwordFingerprints(in table: MasterTable) throws -> [String: (fingerprint: String, hash: String)] {
        try database.read { db in
            var result: [String: (fingerprint: String, hash: String)] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT code, password_fingerprint, password_hash FROM \(table.name) WHERE password_hash <> ''
                """)
            while let row = try rows.next() {
                result[row[0]] = (row[1], row[2])
            }
            return result
        }
    }
}

/// A replacement merged in one pass: the stored records read in key order, a chunk at a time,
/// beside the dump's rows in key order (`SortedRuns`); each insert or update written at once.
/// Memory holds one chunk, the keys to deactivate and, up to the change log's limit, the keys
/// changed, never the dump. Deactivations and the mass-deactivation check come at the end:
/// refused, the caller's transaction undoes everything.
fileprivate final class StreamingMerge {
    private let table: MasterTable
    private let db: Database
    private let writer: MasterWriter
    private var result = MasterReplacementResult()
    private var lastKey: String?
    private var chunk: [(key: String, value: String, active: Bool)] = []
    private var chunkIndex = 0
    private var storedDone = false
    private var activeBefore = 0
    private var missing: [String] = []
    /// Keys written, for the change log (nil once past its limit).
    private var written: [String]? = []
    private var sequence: Int64?
    private let readChunk: Statement
    private let readFirstChunk: Statement
    private var insert: Statement?
    private var update: Statement?
    private static let chunkSize = 4096

    init(table: MasterTable, db: Database) throws {
        self.table = table
        self.db = db
        writer = MasterWriter(table: table, connection: db.sqliteConnection!)
        func form(_ columns: [String]) -> String {
            columns.map { "ifnull(CAST(\($0) AS TEXT), '')" }.joined(separator: " || char(31) || ")
        }
        let select = "SELECT \(form(table.keyColumns)), \(form(table.valueColumns)), active FROM \(table.name)"
        let order = "ORDER BY \(table.keyColumns.joined(separator: ", ")) LIMIT \(Self.chunkSize)"
        let keys = "(\(table.keyColumns.joined(separator: ", ")))"
        let marks = "(\(table.keyColumns.map { _ in "?" }.joined(separator: ", ")))"
        readFirstChunk = try db.makeStatement(sql: "\(select) \(order)")
        readChunk = try db.makeStatement(sql: "\(select) WHERE \(keys) > \(marks) \(order)")
    }

    /// Merges the next row of the dump.
    func feed(_ row: MasterStaging.Row) throws {
        if let lastKey {
            let order = BackOfficeStore.byteOrder(row.key, lastKey)
            precondition(order >= 0, "rows are merged in key order")
            if order == 0 {
                result.rowErrors.append(MasterRowError(line: Int(row.line), message: BackOfficeStore.repeated(row.key, in: table)))
                return
            }
        }
        lastKey = row.key
        while let stored = try current() {
            let order = BackOfficeStore.byteOrder(stored.key, row.key)
            if order < 0 {
                if stored.active { missing.append(stored.key) }
                chunkIndex += 1
                continue
            }
            if order == 0 {
                chunkIndex += 1
                if BackOfficeStore.sameBytes(stored.value, row.value) {
                    result.unchanged += 1
                } else {
                    // UPDATE SET values…, change_seq WHERE keys…
                    try write(row.key, value: row.value, with: updateStatement(), keyAt: Int32(table.valueColumns.count) + 2,
                              valueAt: 1, sequenceAt: Int32(table.valueColumns.count) + 1)
                    result.changed += 1
                }
                return
            }
            break
        }
        // INSERT (keys…, values…, change_seq)
        try write(row.key, value: row.value, with: insertStatement(), keyAt: 1, valueAt: Int32(table.keyColumns.count) + 1,
                  sequenceAt: Int32(table.stagedColumns.count) + 1)
        result.added += 1
    }

    /// After the last row: the records the dump lacks deactivated (unless kept, or too many),
    /// the change log written.
    func finish(staging: borrowing MasterStaging, allowMassDeactivation: Bool) throws -> MasterReplacementResult {
        while let stored = try current() {
            if stored.active { missing.append(stored.key) }
            chunkIndex += 1
        }
        let deactivations = missing.filter { !staging.kept.contains($0) }
        result.rowErrors += staging.errors
        result.rowErrors.sort { $0.line < $1.line }
        if !allowMassDeactivation {
            let noDataRows = staging.staged == 0 && staging.errors.isEmpty
            if noDataRows || deactivations.count * 2 > activeBefore {
                throw MassDeactivationRefused(table: table.name, wouldDeactivate: deactivations.count, active: activeBefore,
                                              noDataRows: noDataRows)
            }
        }
        if !deactivations.isEmpty {
            let keyMatch = table.keyColumns.map { "\($0) = ?" }.joined(separator: " AND ")
            let deactivate = try db.makeStatement(sql: "UPDATE OR FAIL \(table.name) SET active = 0, change_seq = ? WHERE \(keyMatch)")
            for key in deactivations {
                // UPDATE SET active = 0, change_seq WHERE keys…
                try write(key, value: nil, with: deactivate, keyAt: 2, valueAt: 0, sequenceAt: 1)
                result.deactivated += 1
            }
        }
        if let sequence, let log = table.changeLog {
            if let written {
                // Each record as just written (a deactivation keeps its other values).
                let keyMatch = table.keyColumns.map { "\($0) = ?" }.joined(separator: " AND ")
                let columns = (table.keyColumns + ["change_seq"] + table.valueColumns).joined(separator: ", ")
                let logged = try db.makeStatement(sql: """
                    INSERT OR REPLACE INTO \(log) (\(columns)) SELECT \(columns) FROM \(table.name)
                    WHERE \(keyMatch) AND change_seq = ?
                    """)
                for key in written {
                    try writer.execute(logged.sqliteStatement, key: key, at: 1, value: nil, at: 0, sequence: sequence,
                                       at: Int32(table.keyColumns.count) + 1)
                }
            } else {
                try db.execute(sql: "UPDATE change_logs SET complete_after = ? WHERE name = ?", arguments: [sequence, log])
            }
        }
        return result
    }

    /// The stored record at the merge's position, reading the next chunk when needed. Keys
    /// written meanwhile come before the position, so a chunk never sees them.
    private func current() throws -> (key: String, value: String, active: Bool)? {
        if chunkIndex < chunk.count { return chunk[chunkIndex] }
        if storedDone { return nil }
        let statement: Statement
        if let last = chunk.last {
            statement = readChunk
            var parts = last.key.utf8.split(separator: MasterStaging.separatorByte, omittingEmptySubsequences: false)
                .map { String(Substring($0)) }
            while parts.count < table.keyColumns.count { parts.append("") }
            try statement.setArguments(StatementArguments(parts))
        } else {
            statement = readFirstChunk
        }
        chunk = []
        chunkIndex = 0
        try BackOfficeStore.forEachRow(of: statement, "read \(table.name)", in: db) { row in
            let active = sqlite3_column_int64(row, 2) == 1
            if active { activeBefore += 1 }
            chunk.append((BackOfficeStore.text(row, 0), BackOfficeStore.text(row, 1), active))
        }
        if chunk.count < Self.chunkSize { storedDone = true }
        return chunk.first
    }

    private func write(_ key: String, value: String?, with statement: Statement, keyAt: Int32, valueAt: Int32,
                       sequenceAt: Int32) throws {
        let sequence = try self.sequence ?? {
            let value = try BackOfficeStore.nextChangeSequence(db)
            self.sequence = value
            return value
        }()
        try writer.execute(statement.sqliteStatement, key: key, at: keyAt, value: value, at: valueAt,
                           sequence: sequence, at: sequenceAt)
        if written != nil {
            if written!.count < MasterTable.changeLogLimit { written!.append(key) } else { written = nil }
        }
    }

    // The statements are OR FAIL (a loader's row never conflicts: its keys are unique): with
    // the default ABORT, the snapshot's triggers made SQLite open a statement journal for
    // every row, 0.5 s more for a million prices (measured; with FAIL, 0.08 s).

    private func insertStatement() throws -> Statement {
        if let insert { return insert }
        let columns = table.stagedColumns
        let statement = try db.makeStatement(sql: """
            INSERT OR FAIL INTO \(table.name) (\(columns.joined(separator: ", ")), change_seq)
            VALUES (\(Array(repeating: "?", count: columns.count + 1).joined(separator: ", ")))
            """)
        insert = statement
        return statement
    }

    private func updateStatement() throws -> Statement {
        if let update { return update }
        let keyMatch = table.keyColumns.map { "\($0) = ?" }.joined(separator: " AND ")
        let statement = try db.makeStatement(sql: """
            UPDATE OR FAIL \(table.name) SET \(table.valueColumns.map { "\($0) = ?" }.joined(separator: ", ")), change_seq = ?
            WHERE \(keyMatch)
            """)
        update = statement
        return statement
    }
}

/// The dump a master was last replaced with.
public struct LoadedDump: Sendable, Equatable {
    /// SHA-256 (hex) of its bytes, with whatever else decides what loading it does.
    public var content: String
    public var size: Int64
    public var encoding: String
    public var records: Int
    /// No row was refused or repeated: loading the same bytes again changes nothing.
    public var clean: Bool

    public init(content: String, size: Int64, encoding: String, records: Int, clean: Bool) {
        self.content = content
        self.size = size
        self.encoding = encoding
        self.records = records
        self.clean = clean
    }
}

extension BackOfficeStore {
    /// The dump `master` (a table name) was last replaced with, if any.
    public func lastDump(of master: String) throws -> LoadedDump? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT content, size, encoding, records, clean FROM master_dumps WHERE master = ?",
                             arguments: [master]).map { row in
                LoadedDump(content: row[0], size: row[1], encoding: row[2], records: row[3], clean: row[4])
            }
        }
    }

    /// Remembers the dump `master` was just replaced with.
    public func recordDump(_ dump: LoadedDump, of master: String, at moment: String) throws {
        try database.write { db in
            try db.execute(sql: """
                INSERT INTO master_dumps(master, content, size, encoding, records, clean, loaded) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(master) DO UPDATE SET content = excluded.content, size = excluded.size,
                    encoding = excluded.encoding, records = excluded.records, clean = excluded.clean, loaded = excluded.loaded
                """, arguments: [master, dump.content, dump.size, dump.encoding, dump.records, dump.clean, moment])
        }
    }
}

/// A master replacement refused because it would deactivate most of the master (or has no
/// data rows): almost always a truncated or wrong dump. Nothing was changed.
public struct MassDeactivationRefused: Error, Sendable, Equatable {
    public let table: String
    /// Active records the replacement would have deactivated.
    public let wouldDeactivate: Int
    /// Active records before it.
    public let active: Int
    /// The dump had no data rows at all.
    public let noDataRows: Bool
}

/// Binds comparison forms back into statements and runs them: each part as text (SQLite's
/// column affinity turns decimal text into INTEGER where the column is one), empty optional
/// references as NULL. The text is bound without a copy, so binding and stepping happen
/// while the strings' bytes are pinned.
private struct MasterWriter {
    let table: MasterTable
    let connection: SQLiteConnection

    func execute(
        _ statement: SQLiteStatement, key: String, at keyPosition: Int32,
        value: String?, at valuePosition: Int32, sequence: Int64, at sequencePosition: Int32
    ) throws {
        var key = key
        var value = value ?? ""
        let code = key.withUTF8 { keyBytes in
            value.withUTF8 { valueBytes in
                bind(keyBytes, columns: table.keyColumns, into: statement, from: keyPosition)
                if valuePosition > 0 { bind(valueBytes, columns: table.valueColumns, into: statement, from: valuePosition) }
                sqlite3_bind_int64(statement, sequencePosition, sequence)
                defer { sqlite3_reset(statement) }
                return sqlite3_step(statement)
            }
        }
        guard code == SQLITE_DONE else {
            throw PuenteError.sqlite("write a \(table.name) record", connection)
        }
    }

    private func bind(_ bytes: UnsafeBufferPointer<UInt8>, columns: [String], into statement: SQLiteStatement, from position: Int32) {
        var position = position
        var index = 0
        var start = 0
        for end in 0...bytes.count where end == bytes.count || bytes[end] == MasterStaging.separatorByte {
            if start == end, table.nullWhenEmpty.contains(columns[index]) {
                sqlite3_bind_null(statement, position)
            } else {
                // Empty text must still be text, never NULL: give SQLite a valid pointer.
                let base = bytes.baseAddress.map { $0 + start } ?? UnsafePointer(bitPattern: 1)
                sqlite3_bind_text(statement, position, base, Int32(end - start), nil)  // SQLITE_STATIC
            }
            position += 1
            index += 1
            start = end + 1
        }
    }
}


/// A dump's rows sorted by key (then line: a key repeated keeps its first row) in bounded
/// memory: up to `runSize` rows are sorted in memory; past that, each full run is sorted and
/// written to an unnamed temporary file, and the runs are merged as they are read back. A dump
/// already in key order (most are) costs a check per run, not a sort.
fileprivate struct SortedRuns: ~Copyable {
    private var buffer: [MasterStaging.Row] = []
    private var runs: [(offset: Int64, count: Int)] = []
    private var file: UnsafeMutablePointer<FILE>?
    private var written: Int64 = 0
    private let runSize: Int

    init(runSize: Int) { self.runSize = max(1, runSize) }

    deinit { if let file { fclose(file) } }

    mutating func append(_ row: MasterStaging.Row) throws {
        buffer.append(row)
        if buffer.count == runSize { try spill() }
    }

    /// Calls `body` with every row in order.
    mutating func forEachInOrder(_ body: (MasterStaging.Row) throws -> Void) throws {
        Self.sort(&buffer)
        if runs.isEmpty {
            for row in buffer { try body(row) }
            return
        }
        if !buffer.isEmpty { try spill() }
        guard let file else { return }
        var readers = runs.map { RunReader(descriptor: fileno(file), offset: $0.offset, count: $0.count) }
        // A binary heap of the runs' next rows, smallest first.
        var heap: [(row: MasterStaging.Row, run: Int)] = []
        for index in readers.indices {
            if let row = try readers[index].next() { heap.append((row, index)) }
        }
        func siftDown(_ start: Int) {
            var parent = start
            while true {
                var smallest = parent
                for child in [2 * parent + 1, 2 * parent + 2] where child < heap.count {
                    if Self.before(heap[child].row, heap[smallest].row) { smallest = child }
                }
                if smallest == parent { return }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        for index in stride(from: heap.count / 2, through: 0, by: -1) { siftDown(index) }
        while let top = heap.first {
            try body(top.row)
            if let row = try readers[top.run].next() {
                heap[0] = (row, top.run)
            } else {
                heap[0] = heap[heap.count - 1]
                heap.removeLast()
            }
            if !heap.isEmpty { siftDown(0) }
        }
    }

    private static func before(_ left: MasterStaging.Row, _ right: MasterStaging.Row) -> Bool {
        let order = BackOfficeStore.byteOrder(left.key, right.key)
        return order == 0 ? left.line < right.line : order < 0
    }

    private static func sort(_ rows: inout [MasterStaging.Row]) {
        if !zip(rows, rows.dropFirst()).allSatisfy({ before($0, $1) }) { rows.sort(by: before) }
    }

    /// Sorts the buffer and writes it as a run: for each row its line, key and value, each
    /// text with its length.
    private mutating func spill() throws {
        if file == nil {
            guard let made = tmpfile() else {
                throw PuenteError.system("make a temporary file to sort a dump in", NSTemporaryDirectory())
            }
            file = made
        }
        Self.sort(&buffer)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(buffer.count * 32)
        func put(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        for row in buffer {
            put(UInt32(bitPattern: row.line))
            put(UInt32(row.key.utf8.count))
            bytes.append(contentsOf: row.key.utf8)
            put(UInt32(row.value.utf8.count))
            bytes.append(contentsOf: row.value.utf8)
        }
        let descriptor = fileno(file)
        var done = 0
        while done < bytes.count {
            let result = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + done, bytes.count - done, off_t(written) + off_t(done)) }
            guard result > 0 else {
                throw PuenteError.system("write a temporary file to sort a dump in", NSTemporaryDirectory())
            }
            done += result
        }
        runs.append((written, buffer.count))
        written += Int64(bytes.count)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Reads one run back, 64 KiB at a time.
    private struct RunReader {
        let descriptor: Int32
        var offset: Int64
        var remaining: Int
        private var bytes: [UInt8] = []
        private var position = 0

        init(descriptor: Int32, offset: Int64, count: Int) {
            self.descriptor = descriptor
            self.offset = offset
            remaining = count
        }

        mutating func next() throws -> MasterStaging.Row? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            let line = Int32(bitPattern: try word())
            let key = try text(Int(word()))
            let value = try text(Int(word()))
            return MasterStaging.Row(key: key, value: value, line: line)
        }

        private mutating func word() throws -> UInt32 {
            try need(4)
            var value: UInt32 = 0
            withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: bytes[position..<position + 4]) }
            position += 4
            return UInt32(littleEndian: value)
        }

        private mutating func text(_ count: Int) throws -> String {
            try need(count)
            let text = String(decoding: bytes[position..<position + count], as: UTF8.self)
            position += count
            return text
        }

        private mutating func need(_ count: Int) throws {
            guard bytes.count - position < count else { return }
            var next = Array(bytes[position...])
            let wanted = max(count - next.count, 1 << 16)
            var piece = [UInt8](repeating: 0, count: wanted)
            let read = piece.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, wanted, off_t(offset)) }
            guard read >= count - next.count else {
                throw read < 0 ? PuenteError.system("read back a temporary file to sort a dump in", NSTemporaryDirectory())
                    : PuenteError.file(operation: "read back a temporary file to sort a dump in", path: NSTemporaryDirectory(),
                                       reason: "it ended early")
            }
            offset += Int64(read)
            next += piece[0..<read]
            bytes = next
            position = 0
        }
    }
}
