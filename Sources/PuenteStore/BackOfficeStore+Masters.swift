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
    fileprivate var rows: [Row] = []
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
    /// reference is refused and reported against `line`.
    public mutating func stage(line: Int, values: [MasterValue]) {
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
        rows.append(Row(key: Self.joined(values[..<keyCount]), value: Self.joined(values[keyCount...]), line: Int32(clamping: line)))
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
    public func replaceMaster(
        _ table: MasterTable, allowMassDeactivation: Bool = false,
        stageRows: (inout MasterStaging) throws -> Void
    ) throws -> MasterReplacementResult {
        try database.write { db in
            try Self.replaceMaster(table, allowMassDeactivation: allowMassDeactivation, in: db, stageRows: stageRows)
        }
    }

    private enum MergeAction {
        case insert(Int)
        case update(Int)
        case deactivate(String)
    }

    static func replaceMaster(
        _ table: MasterTable, allowMassDeactivation: Bool, in db: Database,
        stageRows: (inout MasterStaging) throws -> Void
    ) throws -> MasterReplacementResult {
        var references: [(column: Int, name: String, codes: Set<String>)] = []
        for reference in table.references {
            let codes = Set(try String.fetchAll(db, sql: "SELECT code FROM \(reference.table)"))
            references.append((table.stagedColumns.firstIndex(of: reference.column)!, reference.column, codes))
        }
        var staging = MasterStaging(table: table, referenceCodes: references)
        try stageRows(&staging)
        var result = MasterReplacementResult()
        var rows = staging.rows
        result.rowErrors = staging.errors

        // Dumps usually come sorted by key already; sort only when they do not.
        let inOrder: (MasterStaging.Row, MasterStaging.Row) -> Bool = { left, right in
            let order = byteOrder(left.key, right.key)
            return order == 0 ? left.line < right.line : order < 0
        }
        if !zip(rows, rows.dropFirst()).allSatisfy({ inOrder($0, $1) }) { rows.sort(by: inOrder) }

        // Plan the changes while reading the stored records in key order; write afterwards,
        // so the read cursor never sees its own table move.
        var actions: [MergeAction] = []
        func form(_ columns: [String]) -> String {
            columns.map { "ifnull(CAST(\($0) AS TEXT), '')" }.joined(separator: " || char(31) || ")
        }
        // Keep the GRDB statement alive: it finalizes its SQLite statement when released.
        let storedStatement = try db.makeStatement(sql: """
            SELECT \(form(table.keyColumns)), \(form(table.valueColumns)), active FROM \(table.name)
            ORDER BY \(table.keyColumns.joined(separator: ", "))
            """)
        let stored = storedStatement.sqliteStatement
        defer { withExtendedLifetime(storedStatement) { _ = sqlite3_reset(stored) } }
        var next = 0
        var activeBefore = 0
        /// Moves past `rows[next]` and any later row with the same key (reported).
        func advance() {
            let key = rows[next].key
            next += 1
            while next < rows.count, sameBytes(rows[next].key, key) {
                let shown = key.utf8.split(separator: MasterStaging.separatorByte).map { String(Substring($0)) }.joined(separator: "/")
                result.rowErrors.append(MasterRowError(
                    line: Int(rows[next].line),
                    message: "\(table.keyColumns.joined(separator: "/")) \"\(shown)\" appears again (first row wins)"))
                next += 1
            }
        }
        while true {
            let code = sqlite3_step(stored)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else {
                throw StoreError(operation: "read \(table.name)", path: "", message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            let storedKey = text(stored, 0)
            let storedActive = sqlite3_column_int64(stored, 2) == 1
            if storedActive { activeBefore += 1 }
            while next < rows.count, byteOrder(rows[next].key, storedKey) < 0 {
                actions.append(.insert(next))
                advance()
            }
            if next < rows.count, sameBytes(rows[next].key, storedKey) {
                if sameBytes(rows[next].value, text(stored, 1)) {
                    result.unchanged += 1
                } else {
                    actions.append(.update(next))
                }
                advance()
            } else if storedActive, !staging.kept.contains(storedKey) {
                actions.append(.deactivate(storedKey))
            }
        }
        while next < rows.count {
            actions.append(.insert(next))
            advance()
        }
        result.rowErrors.sort { $0.line < $1.line }
        if !allowMassDeactivation {
            let deactivations = actions.reduce(0) { if case .deactivate = $1 { $0 + 1 } else { $0 } }
            let noDataRows = rows.isEmpty && staging.errors.isEmpty
            if noDataRows || deactivations * 2 > activeBefore {
                throw MassDeactivationRefused(table: table.name, wouldDeactivate: deactivations, active: activeBefore,
                                              noDataRows: noDataRows)
            }
        }
        guard !actions.isEmpty else { return result }

        let sequence = try nextChangeSequence(db)
        let columns = table.stagedColumns
        let keyMatch = table.keyColumns.map { "\($0) = ?" }.joined(separator: " AND ")
        let insert = try db.makeStatement(sql: """
            INSERT INTO \(table.name) (\(columns.joined(separator: ", ")), change_seq)
            VALUES (\(Array(repeating: "?", count: columns.count + 1).joined(separator: ", ")))
            """)
        let update = try db.makeStatement(sql: """
            UPDATE \(table.name) SET \(table.valueColumns.map { "\($0) = ?" }.joined(separator: ", ")), change_seq = ?
            WHERE \(keyMatch)
            """)
        let deactivate = try db.makeStatement(sql: """
            UPDATE \(table.name) SET active = 0, change_seq = ? WHERE \(keyMatch)
            """)
        let writer = MasterWriter(table: table, connection: db.sqliteConnection!)
        let keyCount = Int32(table.keyColumns.count)
        let valueCount = Int32(table.valueColumns.count)
        for action in actions {
            switch action {
            case .insert(let index):
                // INSERT (keys…, values…, change_seq)
                try writer.execute(insert.sqliteStatement, key: rows[index].key, at: 1,
                                   value: rows[index].value, at: keyCount + 1, sequence: sequence, at: keyCount + valueCount + 1)
                result.added += 1
            case .update(let index):
                // UPDATE SET values…, change_seq WHERE keys…
                try writer.execute(update.sqliteStatement, key: rows[index].key, at: valueCount + 2,
                                   value: rows[index].value, at: 1, sequence: sequence, at: valueCount + 1)
                result.changed += 1
            case .deactivate(let key):
                // UPDATE SET active = 0, change_seq WHERE keys…
                try writer.execute(deactivate.sqliteStatement, key: key, at: 2, value: nil, at: 0, sequence: sequence, at: 1)
                result.deactivated += 1
            }
        }
        if let log = table.changeLog {
            if actions.count <= MasterTable.changeLogLimit {
                // Each record as just written (a deactivation keeps its other values).
                let columns = (table.keyColumns + ["change_seq"] + table.valueColumns).joined(separator: ", ")
                let logged = try db.makeStatement(sql: """
                    INSERT OR REPLACE INTO \(log) (\(columns)) SELECT \(columns) FROM \(table.name)
                    WHERE \(keyMatch) AND change_seq = ?
                    """)
                for action in actions {
                    let key = switch action {
                    case .insert(let index), .update(let index): rows[index].key
                    case .deactivate(let key): key
                    }
                    try writer.execute(logged.sqliteStatement, key: key, at: 1, value: nil, at: 0, sequence: sequence, at: keyCount + 1)
                }
            } else {
                try db.execute(sql: "UPDATE change_logs SET complete_after = ? WHERE name = ?", arguments: [sequence, log])
            }
        }
        return result
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
            throw StoreError(operation: "write a \(table.name) record", path: "", message: String(cString: sqlite3_errmsg(connection)))
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

