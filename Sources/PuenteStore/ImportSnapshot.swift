import Foundation
import GRDB
import GRDBSQLite
import PuenteDomain
import Synchronization

/// What an import reads of the masters: the price lists, clients, sellers, products and every
/// active price, as the tables hold them (`read(_:second:)`) or as the store's snapshot of them
/// holds them (`snapshot(in:)`), which `masters load` writes after its changes.
///
/// The snapshot is one value in `import_snapshot`: reading a million prices row by row was
/// 0.1 s of every import's start, the snapshot's 8 MB a few milliseconds. It is never stale:
/// triggers delete it in the transaction of any change to those tables, whoever makes it, and
/// an import that finds none reads the tables.
struct ImportMastersContent: Equatable {
    /// The price lists' codes, in code order: a list's key is its place here.
    var lists: [String]
    var clients: [String: ClientFacts]
    var sellers: [String: SellerFacts]
    /// The products' codes end to end in code order, where each ends, and whether it is active.
    var productBytes: [UInt8]
    var productEnds: [Int]
    var productActive: [Bool]
    /// Per list key, the active price of each product by its place (`Int64.min`: none).
    var prices: [[Int64]]

    /// The layout of the snapshot's bytes; one that is not this one is not read.
    static let format: Int64 = 1

    // MARK: From the tables

    /// Reads the tables through `first`, the million prices in two halves of the lists at
    /// once, the second half on a connection of its own (`second()`). Separate read
    /// transactions: the caller makes sure the masters do not change meanwhile (the run lock).
    static func read(_ first: DatabaseQueue, second: () throws -> DatabaseQueue) throws -> ImportMastersContent {
        var content = try first.read(Self.readAllButPrices)
        let products = content.products()
        let lists = content.lists
        let halves = Self.halves(of: lists.count)
        let connections = try halves.indices.map { $0 == 0 ? first : try second() }
        let loaded = Mutex<[Int: Result<[[Int64]], any Error>]>([:])
        DispatchQueue.concurrentPerform(iterations: halves.count) { half in
            let result = Result { try connections[half].read { try Self.prices(of: lists[halves[half]], products: products, in: $0) } }
            loaded.withLock { $0[half] = result }
        }
        let results = loaded.withLock { $0 }
        content.prices = try halves.indices.flatMap { try results[$0]!.get() }
        return content
    }

    /// Everything but the prices (`prices` empty).
    static func readAllButPrices(_ db: Database) throws -> ImportMastersContent {
        let lists = try String.fetchAll(db, sql: "SELECT code FROM price_lists ORDER BY code")
        let listKeys = Dictionary(uniqueKeysWithValues: lists.enumerated().map { ($1, $0) })
        var clients: [String: ClientFacts] = [:]
        let clientRows = try Row.fetchCursor(db, sql: "SELECT code, active, password_hash <> '', price_list, seller FROM clients")
        while let row = try clientRows.next() {
            let list: String = row[3]
            clients[row[0]] = ClientFacts(active: row[1], webEnabled: row[2], priceList: list,
                                          priceListKey: listKeys[list] ?? -1, seller: row[4])
        }
        var sellers: [String: SellerFacts] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT code, active, password_hash <> '' FROM sellers") {
            sellers[row[0]] = SellerFacts(active: row[1], webEnabled: row[2])
        }
        // Products by code, in code order (their places, for the prices' merge).
        var bytes: [UInt8] = []
        var ends: [Int] = []
        var active: [Bool] = []
        try BackOfficeStore.forEachRow(of: db.makeStatement(sql: "SELECT code, active FROM products ORDER BY code"),
                                       "read the masters", in: db) { statement in
            bytes.append(contentsOf: Self.text(statement, 0))
            ends.append(bytes.count)
            active.append(sqlite3_column_int(statement, 1) != 0)
        }
        return ImportMastersContent(lists: lists, clients: clients, sellers: sellers, productBytes: bytes,
                                    productEnds: ends, productActive: active, prices: [])
    }

    /// The keys of the lists in two halves (one when there is one list or none), read at once.
    static func halves(of count: Int) -> [Range<Int>] {
        count < 2 ? [0..<count] : [0..<(count / 2), (count / 2)..<count]
    }

    /// The products' table of codes, for look-ups by code.
    func products() -> CodeTable {
        CodeTable(bytes: productBytes, ends: productEnds, flags: productActive)
    }

    /// The active prices of `lists`, one table per list, in the order of `lists`, by product
    /// place: each list's prices in key order (product) merged with the products in code
    /// order, both sorted by SQLite's BINARY collation, so the bytes compare as SQLite compares
    /// them, and no String is made per price.
    private static func prices(of lists: ArraySlice<String>, products: CodeTable, in db: Database) throws -> [[Int64]] {
        // A list without an active price keeps this one: every look-up finds nothing.
        let none = [Int64](repeating: .min, count: products.count)
        let statement = try db.makeStatement(sql: "SELECT product, price FROM prices WHERE price_list = ? AND active = 1 ORDER BY product")
        return try lists.map { list in
            var table = none
            var product = 0
            statement.arguments = [list]
            try BackOfficeStore.forEachRow(of: statement, "read the prices", in: db) { row in
                let code = Self.text(row, 0)
                while product < products.count, products.compare(product, code) < 0 { product += 1 }
                if product < products.count, products.compare(product, code) == 0 {
                    table[product] = sqlite3_column_int64(row, 1)
                }
            }
            return table
        }
    }

    /// A text column's bytes, valid until the statement steps again.
    private static func text(_ statement: SQLiteStatement, _ column: Int32) -> UnsafeBufferPointer<UInt8> {
        // sqlite3_column_text first, then its length (SQLite's advice).
        let text = sqlite3_column_text(statement, column)
        let count = Int(sqlite3_column_bytes(statement, column))
        guard count > 0, let text else {
            return UnsafeBufferPointer(start: nil, count: 0)
        }
        return UnsafeBufferPointer(start: text, count: count)
    }

    // MARK: The snapshot

    /// The snapshot in the store, if there is one of this format that reads whole; nil sends
    /// the caller to the tables. Read with SQLite's incremental blob I/O: each table of
    /// prices straight into its array, the 8 MB never held twice.
    static func snapshot(in db: Database) throws -> ImportMastersContent? {
        guard let stored = try Int64.fetchOne(db, sql: "SELECT format FROM import_snapshot WHERE id = 1"),
              stored == format else { return nil }
        let blob = try SnapshotBlob(db, writing: false)
        defer { blob.close() }
        // The length of what comes before the prices, then that (the layout: SnapshotBlob).
        guard blob.size >= 16 else { return nil }
        let headerCount = try Self.int64(blob.read(count: 8))
        guard headerCount >= 0, headerCount <= blob.size - 16 else { return nil }
        var header = try blob.read(count: Int(headerCount), at: 8)
        guard var content = header.withUnsafeBytes({ bytes -> ImportMastersContent? in
            var reader = SnapshotReader(bytes)
            return Self(readingAllButPrices: &reader)
        }) else { return nil }
        header = []
        let tableBytes = content.productEnds.count * 8
        let expected: Int = 8 + Int(headerCount) + content.lists.count * tableBytes + 8
        guard blob.size == expected else { return nil }
        var offset = 8 + Int(headerCount)
        for _ in content.lists {
            content.prices.append(try [Int64](unsafeUninitializedCapacity: content.productEnds.count) { buffer, initialized in
                try blob.read(into: UnsafeMutableRawBufferPointer(buffer), at: offset)
                for index in buffer.indices { buffer[index] = Int64(littleEndian: buffer[index]) }
                initialized = buffer.count
            })
            offset += tableBytes
        }
        guard try Self.int64(blob.read(count: 8, at: offset)) == endMark else { return nil }
        return content
    }

    /// Replaces the snapshot with one of these masters (`prices` is not used): the prices
    /// read on `readers` (two halves of the lists at once, as an import reads them), each
    /// list's table written into the blob as it comes, one table per reader in memory. The
    /// readers must see what `db` sees: its transaction holds the write lock and changes no
    /// master.
    /// Returns false, writing none, for masters too large for one SQLite value (an import
    /// then reads the tables).
    func writeSnapshot(in db: Database, readers: () throws -> DatabaseQueue) throws -> Bool {
        let header = encodedAllButPrices()
        let tableBytes = productEnds.count * 8
        let size = 8 + header.count + lists.count * tableBytes + 8
        try db.execute(sql: "DELETE FROM import_snapshot")
        guard size <= min(Int(Int32.max), Int(sqlite3_limit(db.sqliteConnection, SQLITE_LIMIT_LENGTH, -1))) else { return false }
        try db.execute(sql: "INSERT INTO import_snapshot(id, format, data) VALUES (1, ?, zeroblob(?))",
                       arguments: [Self.format, size])
        let blob = try SharedBlob(SnapshotBlob(db, writing: true))
        defer { blob.close() }
        try blob.write(Self.bytes(Int64(header.count)), at: 0)
        try blob.write(header, at: 8)
        let tables = 8 + header.count
        let products = products()
        let lists = lists
        let halves = Self.halves(of: lists.count)
        let connections = try halves.map { _ in try readers() }
        let failures = Mutex<[any Error]>([])
        DispatchQueue.concurrentPerform(iterations: halves.count) { half in
            do {
                try connections[half].read { reader in
                    for key in halves[half] {
                        let table = try Self.prices(of: lists[key...key], products: products, in: reader)[0]
                        #if _endian(little)
                        try table.withUnsafeBytes { try blob.write($0, at: tables + key * tableBytes) }
                        #else
                        try blob.write(table.flatMap(Self.bytes), at: tables + key * tableBytes)
                        #endif
                    }
                }
            } catch {
                failures.withLock { $0.append(error) }
            }
        }
        if let failure = failures.withLock({ $0.first }) { throw failure }
        try blob.write(Self.bytes(Self.endMark), at: tables + lists.count * tableBytes)
        return true
    }

    /// The bytes of all but the prices: little-endian counts and values, texts as a length and
    /// their UTF-8.
    private func encodedAllButPrices() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(productBytes.count + productEnds.count * 9 + clients.count * 40 + 4096)
        func int(_ value: Int64) { out.append(contentsOf: Self.bytes(value)) }
        func text(_ value: String) {
            int(Int64(value.utf8.count))
            out.append(contentsOf: value.utf8)
        }
        int(Int64(lists.count))
        lists.forEach(text)
        int(Int64(sellers.count))
        for (code, seller) in sellers.sorted(by: { $0.key < $1.key }) {
            text(code)
            out.append((seller.active ? 1 : 0) | (seller.webEnabled ? 2 : 0))
        }
        int(Int64(clients.count))
        for (code, client) in clients.sorted(by: { $0.key < $1.key }) {
            text(code)
            out.append((client.active ? 1 : 0) | (client.webEnabled ? 2 : 0) | (client.seller == nil ? 0 : 4))
            text(client.priceList)
            int(Int64(client.priceListKey))
            if let seller = client.seller { text(seller) }
        }
        int(Int64(productEnds.count))
        int(Int64(productBytes.count))
        out.append(contentsOf: productBytes)
        productEnds.forEach { int(Int64($0)) }
        out.append(contentsOf: productActive.map { $0 ? 1 : 0 })
        return out
    }

    /// The last eight bytes of a whole snapshot ("PUENTE.1").
    private static let endMark: Int64 = 0x5055_454E_5445_2E31

    private static func bytes(_ value: Int64) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
    private static func int64(_ bytes: [UInt8]) -> Int64 {
        bytes.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) }
    }
}

extension ImportMastersContent {
    /// Reads what `encodedAllButPrices()` wrote; nil when the bytes are not whole and consistent.
    fileprivate init?(readingAllButPrices reader: inout SnapshotReader) {
        guard let listCount = reader.count() else { return nil }
        var lists: [String] = []
        for _ in 0..<listCount {
            guard let list = reader.text() else { return nil }
            lists.append(list)
        }
        guard let sellerCount = reader.count() else { return nil }
        var sellers: [String: SellerFacts] = [:]
        sellers.reserveCapacity(sellerCount)
        for _ in 0..<sellerCount {
            guard let code = reader.text(), let flags = reader.byte() else { return nil }
            sellers[code] = SellerFacts(active: flags & 1 != 0, webEnabled: flags & 2 != 0)
        }
        guard let clientCount = reader.count() else { return nil }
        var clients: [String: ClientFacts] = [:]
        clients.reserveCapacity(clientCount)
        // Clients share few lists and sellers: one String each.
        var sellerCodes: [String: String] = [:]
        for _ in 0..<clientCount {
            guard let code = reader.text(), let flags = reader.byte(), let list = reader.text(),
                  let key = reader.int(), key >= -1, key < lists.count else { return nil }
            var seller: String?
            if flags & 4 != 0 {
                guard let code = reader.text() else { return nil }
                seller = sellerCodes[code, default: code]
                sellerCodes[code] = seller
            }
            clients[code] = ClientFacts(active: flags & 1 != 0, webEnabled: flags & 2 != 0,
                                        priceList: key >= 0 ? lists[Int(key)] : list, priceListKey: Int(key), seller: seller)
        }
        guard let productCount = reader.count(), let byteCount = reader.count(),
              let bytes = reader.bytes(byteCount) else { return nil }
        var ends: [Int] = []
        ends.reserveCapacity(productCount)
        var last = 0
        for _ in 0..<productCount {
            guard let end = reader.int(), end >= last, end <= byteCount else { return nil }
            ends.append(Int(end))
            last = Int(end)
        }
        guard last == byteCount, let flags = reader.bytes(productCount), reader.isAtEnd else { return nil }
        self.init(lists: lists, clients: clients, sellers: sellers, productBytes: bytes, productEnds: ends,
                  productActive: flags.map { $0 != 0 }, prices: [])
    }
}

/// The snapshot's blob, open for SQLite's incremental I/O. Layout: the length of what comes
/// before the prices (8 bytes), that (`encodedAllButPrices`), each list's table of prices
/// (8 bytes per product, in list key order), the end mark.
private struct SnapshotBlob {
    private let db: Database
    private let blob: OpaquePointer
    let size: Int

    init(_ db: Database, writing: Bool) throws {
        var blob: OpaquePointer?
        guard sqlite3_blob_open(db.sqliteConnection, "main", "import_snapshot", "data", 1, writing ? 1 : 0, &blob) == SQLITE_OK,
              let blob else {
            throw PuenteError.sqlite("open the masters' snapshot", db.sqliteConnection)
        }
        self.db = db
        self.blob = blob
        size = Int(sqlite3_blob_bytes(blob))
    }

    func close() { sqlite3_blob_close(blob) }

    func read(count: Int, at offset: Int = 0) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            try read(into: UnsafeMutableRawBufferPointer(buffer), at: offset)
            initialized = count
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        guard buffer.count > 0 else { return }
        guard offset >= 0, buffer.count <= size - offset,
              sqlite3_blob_read(blob, buffer.baseAddress, Int32(buffer.count), Int32(offset)) == SQLITE_OK else {
            throw PuenteError.sqlite("read the masters' snapshot", db.sqliteConnection)
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        guard bytes.count > 0 else { return }
        guard sqlite3_blob_write(blob, bytes.baseAddress, Int32(bytes.count), Int32(offset)) == SQLITE_OK else {
            throw PuenteError.sqlite("write the masters' snapshot", db.sqliteConnection)
        }
    }
}

/// The snapshot's blob written from the threads that read the prices, one at a time: SQLite
/// (in multi-thread mode) lets a connection be used from any thread, never from two at once.
private final class SharedBlob: @unchecked Sendable {
    // @unchecked: every use of `blob` (and its connection) is under `lock`, while the
    // connection's own thread waits for the readers.
    private let blob: SnapshotBlob
    private let lock = NSLock()

    init(_ blob: SnapshotBlob) { self.blob = blob }

    func write(_ bytes: [UInt8], at offset: Int) throws {
        try bytes.withUnsafeBytes { try write($0, at: offset) }
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        try lock.withLock { try blob.write(bytes, at: offset) }
    }

    func close() { lock.withLock { blob.close() } }
}

/// Reads a snapshot's bytes in order, every read bounds-checked (nil past the end).
private struct SnapshotReader {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func int() -> Int64? {
        guard bytes.count - offset >= 8 else { return nil }
        defer { offset += 8 }
        return Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int64.self))
    }

    /// A count, which cannot be more than the bytes left.
    mutating func count() -> Int? {
        guard let value = int(), value >= 0, value <= bytes.count - offset else { return nil }
        return Int(value)
    }

    mutating func byte() -> UInt8? {
        guard offset < bytes.count else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func bytes(_ count: Int) -> [UInt8]? {
        guard count >= 0, bytes.count - offset >= count else { return nil }
        defer { offset += count }
        return [UInt8](bytes[offset..<(offset + count)])
    }

    mutating func text() -> String? {
        guard let count = count() else { return nil }
        defer { offset += count }
        return String(decoding: bytes[offset..<(offset + count)], as: UTF8.self)
    }
}

extension BackOfficeStore {
    /// Writes the masters' snapshot for imports if the store has none that reads whole (after
    /// a masters load that changed them, or any other change to those tables, which deleted
    /// it; or a damaged one). Returns
    /// whether it wrote one. Read and written in one write transaction: nothing changes the
    /// masters between the reading and the writing.
    @discardableResult
    public func refreshImportSnapshot() throws -> Bool {
        try writeTransaction { transaction in
            let db = transaction.db
            // One that reads whole stays (a few milliseconds for a million prices).
            if try ImportMastersContent.snapshot(in: db) != nil {
                return (false, .rollback)
            }
            let written = try ImportMastersContent.readAllButPrices(db).writeSnapshot(in: db, readers: { try self.readOnlyConnection() })
            return (written, .commit)
        }
    }
}
