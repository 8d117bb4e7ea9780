import Foundation
import GRDB
import GRDBSQLite
import PuenteDomain

/// The back office as the order validator sees it during one import: clients, sellers and
/// products in memory, prices in a compact table (a million prices take 8 bytes each), and
/// what a site was shown read from the store when a price does not match.
public final class ImportMasters: OrderMasters, @unchecked Sendable {
    // @unchecked: filled once in init, read-only afterwards.
    private let sites: Set<Int>
    private let clients: [String: ClientFacts]
    private let sellers: [String: SellerFacts]
    private let products: [String: (index: Int32, active: Bool)]
    /// Per price list, the price of each product by its index (`Int64.min`: not on the list).
    private let prices: [String: [Int64]]
    /// A connection of its own for what a site was shown: the checks run on another thread
    /// than the one posting, which holds the store's connection in its transaction.
    private let published: DatabaseQueue

    /// Reads the masters as they are now (call at the start of an import).
    public init(store: BackOfficeStore, sites: Set<Int>) throws {
        published = try store.readOnlyConnection()
        self.sites = sites
        // Through that connection too: a scan of the masters fills no large page cache.
        (clients, sellers, products, prices) = try published.read { db in
            var clients: [String: ClientFacts] = [:]
            let clientRows = try Row.fetchCursor(db, sql: "SELECT code, active, password_hash <> '', price_list, seller FROM clients")
            while let row = try clientRows.next() {
                clients[row[0]] = ClientFacts(active: row[1], webEnabled: row[2], priceList: row[3], seller: row[4])
            }
            var sellers: [String: SellerFacts] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT code, active, password_hash <> '' FROM sellers") {
                sellers[row[0]] = SellerFacts(active: row[1], webEnabled: row[2])
            }
            // Products by code, and their codes' bytes in code order for the merge below.
            var products: [String: (index: Int32, active: Bool)] = [:]
            var codeBytes: [UInt8] = []
            var codeEnds: [Int] = []
            try Self.rows(db, "SELECT code, active FROM products ORDER BY code") { statement in
                let code = Self.bytes(statement, 0)
                products[String(decoding: code, as: UTF8.self)] = (Int32(codeEnds.count), sqlite3_column_int(statement, 1) != 0)
                codeBytes.append(contentsOf: code)
                codeEnds.append(codeBytes.count)
            }
            var prices: [String: [Int64]] = [:]
            for list in try String.fetchAll(db, sql: "SELECT code FROM price_lists") {
                prices[list] = [Int64](repeating: .min, count: codeEnds.count)
            }
            // A million prices, in key order (price list, product), merged with the products in
            // code order: both sorted by SQLite's BINARY collation, so the bytes compare as
            // SQLite compares them, and no String is made per price.
            var currentList: [UInt8] = []
            var table: [Int64] = []
            var product = 0
            func flush() {
                if !currentList.isEmpty { prices[String(decoding: currentList, as: UTF8.self)] = table }
            }
            try codeBytes.withUnsafeBufferPointer { codes in
                func compare(_ index: Int, _ other: UnsafeBufferPointer<UInt8>) -> Int32 {
                    let start = index == 0 ? 0 : codeEnds[index - 1]
                    let length = codeEnds[index] - start
                    let common = min(length, other.count)
                    let order = common == 0 ? 0 : memcmp(codes.baseAddress! + start, other.baseAddress!, common)
                    return order != 0 ? order : Int32(length - other.count).signum()
                }
                try Self.rows(db, "SELECT price_list, product, price FROM prices WHERE active = 1 ORDER BY price_list, product") { statement in
                    let list = Self.bytes(statement, 0)
                    if !list.elementsEqual(currentList) {
                        flush()
                        currentList = Array(list)
                        table = prices[String(decoding: list, as: UTF8.self)] ?? [Int64](repeating: .min, count: codeEnds.count)
                        product = 0
                    }
                    let code = Self.bytes(statement, 1)
                    while product < codeEnds.count, compare(product, code) < 0 { product += 1 }
                    if product < codeEnds.count, compare(product, code) == 0 {
                        table[product] = sqlite3_column_int64(statement, 2)
                    }
                }
            }
            flush()
            return (clients, sellers, products, prices)
        }
    }

    /// Steps through the rows of `sql`, raw: no value is copied unless `body` copies it.
    private static func rows(_ db: Database, _ sql: String, _ body: (SQLiteStatement) throws -> Void) throws {
        try BackOfficeStore.forEachRow(of: db.makeStatement(sql: sql), "read the masters", in: db, body)
    }

    /// A text column's bytes, valid until the statement steps again.
    private static func bytes(_ statement: SQLiteStatement, _ column: Int32) -> UnsafeBufferPointer<UInt8> {
        // sqlite3_column_text first, then its length (SQLite's advice).
        let text = sqlite3_column_text(statement, column)
        let count = Int(sqlite3_column_bytes(statement, column))
        guard count > 0, let text else {
            return UnsafeBufferPointer(start: nil, count: 0)
        }
        return UnsafeBufferPointer(start: text, count: count)
    }

    public func isSite(_ pos: Int) -> Bool { sites.contains(pos) }
    public func client(_ code: String) -> ClientFacts? { clients[code] }
    public func seller(_ code: String) -> SellerFacts? { sellers[code] }
    public func product(_ code: String) -> ProductFacts? {
        products[code].map { ProductFacts(active: $0.active, index: Int($0.index)) }
    }

    public func listPrice(_ priceList: String, _ product: ProductFacts) -> Money? {
        guard let price = prices[priceList]?[product.index], price != .min else { return nil }
        return Money(units: price)
    }

    public func publishedPrice(pos: Int, _ priceList: String, _ product: String, atUnix moment: Int64) throws -> Money? {
        try published.read { db in
            try BackOfficeStore.publishedPrice(pos: pos, priceList: priceList, product: product, atUnix: moment, in: StoreTransaction(db: db))
        }.map(Money.init(units:))
    }
}

/// The orders as committed, on a connection of their own: what the checking thread of an
/// import compares new orders with while the posting thread writes in its transaction.
public final class CommittedOrders: @unchecked Sendable {
    // @unchecked: a GRDB queue serializes its connection's use.
    private let queue: DatabaseQueue

    public init(store: BackOfficeStore) throws {
        queue = try store.readOnlyConnection()
    }

    /// The order committed under this POS and id, if any.
    public func postedOrder(pos: Int, webID: String) throws -> PostedOrder? {
        try queue.inDatabase { db in
            let statement = try db.cachedStatement(sql: "SELECT content_hash, number FROM orders WHERE pos = ? AND web_id = ?")
            guard let row = try Row.fetchOne(statement, arguments: [pos, webID]) else { return nil }
            return PostedOrder(contentHash: row[0], number: OrderNumber(pos: pos, sequence: row[1]))
        }
    }

    /// The last order number committed for `pos` (0 before the first).
    public func lastNumber(pos: Int) throws -> Int {
        try queue.inDatabase { db in
            try Int.fetchOne(db, sql: "SELECT last_number FROM order_sequences WHERE pos = ?", arguments: [pos]) ?? 0
        }
    }
}

/// An Inbox file the store has taken, and what is left to do with it after its commit.
public struct ProcessedFile: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var size: Int64
    public var sha256: String
    public var outcome: Outcome

    /// `processed` (read, its orders posted or kept) or `rejected` (could not be read at all).
    public enum Outcome: String, Sendable {
        case processed
        case rejected
    }
    public var reason: String?
    public var processed: String
    /// Where the file was when it was taken.
    public var sourcePath: String
    /// Where it goes (`Inbox/processed/DATE/NAME` or `Inbox/rejected/DATE/NAME`).
    public var movedTo: String
    /// The ack's final path.
    public var ackPath: String
    public var finished: Bool

    public init(id: Int64, name: String, size: Int64, sha256: String, outcome: Outcome, reason: String?, processed: String,
                sourcePath: String, movedTo: String, ackPath: String, finished: Bool) {
        self.id = id
        self.name = name
        self.size = size
        self.sha256 = sha256
        self.outcome = outcome
        self.reason = reason
        self.processed = processed
        self.sourcePath = sourcePath
        self.movedTo = movedTo
        self.ackPath = ackPath
        self.finished = finished
    }
}

/// Posts the orders of one file inside its transaction, each as it was checked: accepted and
/// held orders with the number they were given, their lines and the first entry of their
/// status history; rejected ones kept with their reasons. Prepared statements bound directly
/// (a million order lines), one change sequence for the whole file, each POS's last number
/// written back by `finish()` (the (POS, number) key refuses a number given twice).
public final class OrderPoster {
    private let db: Database
    private let moment: String
    private let file: String
    private let fileID: Int64
    private var changeSequence: Int64?
    private var lastNumbers: [Int: Int] = [:]
    private let findPosted: Statement
    private let insertOrder: Statement
    private let insertLine: Statement
    private let insertHistory: Statement
    private let insertRejected: Statement
    private let reasonsEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// Posts the orders of the file recorded as `fileID` (named `file`); `moment`: when (ISO
    /// 8601), for `created` and the status history.
    public init(in transaction: StoreTransaction, file: String, fileID: Int64, moment: String) throws {
        let db = transaction.db
        self.db = db
        self.file = file
        self.fileID = fileID
        self.moment = moment
        findPosted = try db.makeStatement(sql: "SELECT content_hash, number FROM orders WHERE pos = ? AND web_id = ?")
        insertOrder = try db.makeStatement(sql: """
            INSERT INTO orders(pos, number, web_id, status, order_date, client, seller, note, total, content_hash,
                               source_file, source_line, created, change_seq, reasons)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        insertLine = try db.makeStatement(sql: """
            INSERT INTO order_lines(order_id, line_no, product, quantity, price, list_price, amount, source_line)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        insertHistory = try db.makeStatement(sql: """
            INSERT INTO order_status_history(order_id, from_status, to_status, changed, source, note, change_seq)
            VALUES (?, NULL, ?, ?, 'import', ?, ?)
            """)
        insertRejected = try db.makeStatement(sql: """
            INSERT INTO rejected_orders(file_id, pos, web_id, client, seller, order_date, source_line, reasons)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
    }

    /// The order already posted with this POS and id, if any (this transaction's included).
    public func postedOrder(pos: Int, webID: String) throws -> PostedOrder? {
        let statement = findPosted.sqliteStatement
        defer { sqlite3_reset(statement) }
        sqlite3_bind_int64(statement, 1, Int64(pos))
        bind(webID, 2, statement)
        let code = sqlite3_step(statement)
        if code == SQLITE_ROW, let text = sqlite3_column_text(statement, 0) {
            return PostedOrder(contentHash: String(cString: text),
                               number: OrderNumber(pos: pos, sequence: Int(sqlite3_column_int64(statement, 1))))
        }
        guard code == SQLITE_DONE else { throw failure("look up an order") }
        return nil
    }

    /// Posts `order` as it was checked; returns its number (a duplicate's is the one posted
    /// before; a rejected order has none).
    public func post(_ order: CheckedOrder) throws -> OrderNumber? {
        switch order.outcome {
        case .accepted, .held:
            guard let pos = order.pos, let status = order.status else {
                preconditionFailure("an accepted or held order has a POS")
            }
            return try insert(order, pos: pos, status: status)
        case .rejected:
            try keepRejected(order)
            return nil
        case .duplicate:
            return order.number
        }
    }

    private func insert(_ order: CheckedOrder, pos: Int, status: OrderStatus) throws -> OrderNumber {
        let draft = order.draft
        guard let given = order.number, given.pos == pos else {
            preconditionFailure("an accepted or held order comes numbered")
        }
        let number = given.sequence
        let sequence = try changeSequence ?? {
            let value = try BackOfficeStore.nextChangeSequence(db)
            changeSequence = value
            return value
        }()
        lastNumbers[pos] = max(lastNumbers[pos] ?? 0, number)

        let orderStatement = insertOrder.sqliteStatement
        sqlite3_bind_int64(orderStatement, 1, Int64(pos))
        sqlite3_bind_int64(orderStatement, 2, Int64(number))
        bind(draft.id, 3, orderStatement)
        bind(status.rawValue, 4, orderStatement)
        bind(order.date, 5, orderStatement)
        bind(draft.client, 6, orderStatement)
        bind(order.seller, 7, orderStatement)
        bind(draft.note, 8, orderStatement)
        sqlite3_bind_int64(orderStatement, 9, order.total.units)
        bind(order.contentHash, 10, orderStatement)
        bind(file, 11, orderStatement)
        sqlite3_bind_int64(orderStatement, 12, Int64(draft.line))
        bind(moment, 13, orderStatement)
        sqlite3_bind_int64(orderStatement, 14, sequence)
        // A held order keeps why it waits; an accepted one has nothing to say.
        bind(order.reasons.isEmpty ? "[]" : String(decoding: try reasonsEncoder.encode(order.reasons), as: UTF8.self),
             15, orderStatement)
        try step(orderStatement, "post order \(draft.id)")
        let id = sqlite3_last_insert_rowid(db.sqliteConnection)

        let lineStatement = insertLine.sqliteStatement
        for (index, line) in order.lines.enumerated() {
            sqlite3_bind_int64(lineStatement, 1, id)
            sqlite3_bind_int64(lineStatement, 2, Int64(index + 1))
            bind(line.product, 3, lineStatement)
            sqlite3_bind_int64(lineStatement, 4, line.quantity.units)
            sqlite3_bind_int64(lineStatement, 5, line.price.units)
            if let listPrice = line.listPrice {
                sqlite3_bind_int64(lineStatement, 6, listPrice.units)
            } else {
                sqlite3_bind_null(lineStatement, 6)
            }
            sqlite3_bind_int64(lineStatement, 7, line.amount.units)
            sqlite3_bind_int64(lineStatement, 8, Int64(line.line))
            try step(lineStatement, "post a line of order \(draft.id)")
        }

        let historyStatement = insertHistory.sqliteStatement
        sqlite3_bind_int64(historyStatement, 1, id)
        bind(status.rawValue, 2, historyStatement)
        bind(moment, 3, historyStatement)
        bind(file, 4, historyStatement)
        sqlite3_bind_int64(historyStatement, 5, sequence)
        try step(historyStatement, "record the status of order \(draft.id)")
        return OrderNumber(pos: pos, sequence: number)
    }

    /// Keeps a rejected order with its reasons (JSON, sorted keys) for the reports.
    private func keepRejected(_ order: CheckedOrder) throws {
        let draft = order.draft
        let statement = insertRejected.sqliteStatement
        sqlite3_bind_int64(statement, 1, fileID)
        if let pos = order.pos { sqlite3_bind_int64(statement, 2, Int64(pos)) } else { sqlite3_bind_null(statement, 2) }
        bind(draft.id, 3, statement)
        bind(draft.client, 4, statement)
        bind(order.seller, 5, statement)
        bind(draft.date, 6, statement)
        sqlite3_bind_int64(statement, 7, Int64(draft.line))
        bind(String(decoding: try reasonsEncoder.encode(order.reasons), as: UTF8.self), 8, statement)
        try step(statement, "keep rejected order \(draft.id)")
    }

    /// Writes back each POS's order counter. Call before the commit.
    public func finish() throws {
        for (pos, last) in lastNumbers {
            try db.execute(sql: """
                INSERT INTO order_sequences(pos, last_number) VALUES (?, ?)
                ON CONFLICT(pos) DO UPDATE SET last_number = excluded.last_number
                """, arguments: [pos, last])
        }
    }

    private func bind(_ value: String?, _ position: Int32, _ statement: SQLiteStatement) {
        guard var text = value else {
            sqlite3_bind_null(statement, position)
            return
        }
        // SQLITE_TRANSIENT: SQLite copies the bytes, so the String may go.
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                // Empty text must still be text, never NULL: give SQLite a valid pointer.
                sqlite3_bind_text(statement, position, chars.baseAddress ?? UnsafePointer(bitPattern: 1), Int32(chars.count), transient)
            }
        }
    }

    private func step(_ statement: SQLiteStatement, _ operation: String) throws {
        defer { sqlite3_reset(statement) }
        guard sqlite3_step(statement) == SQLITE_DONE else { throw failure(operation) }
    }

    private func failure(_ operation: String) -> PuenteError {
        PuenteError.sqlite(operation, db.sqliteConnection)
    }
}

extension BackOfficeStore {
    /// Records a file as taken, with what is left to do after the commit.
    public static func recordFile(_ file: ProcessedFile, in transaction: StoreTransaction) throws -> Int64 {
        let db = transaction.db
        try db.execute(sql: """
            INSERT INTO processed_files(name, size, sha256, outcome, reason, processed, source_path, moved_to, ack_name, finished)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [file.name, file.size, file.sha256, file.outcome.rawValue, file.reason, file.processed,
                             file.sourcePath, file.movedTo, file.ackPath, file.finished])
        return db.lastInsertedRowID
    }

    /// Where a file taken goes once its transaction commits.
    public static func setDestination(fileID: Int64, movedTo path: String, in transaction: StoreTransaction) throws {
        let db = transaction.db
        try db.execute(sql: "UPDATE processed_files SET moved_to = ? WHERE id = ?", arguments: [path, fileID])
    }

    /// Where a file taken goes, changed after its commit (its name taken meanwhile).
    public func setDestination(fileID: Int64, movedTo path: String) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE processed_files SET moved_to = ? WHERE id = ?", arguments: [path, fileID])
        }
    }

    /// Files whose work after the commit is not known to be done.
    public func unfinishedFiles() throws -> [ProcessedFile] {
        try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, name, size, sha256, outcome, reason, processed, source_path, moved_to, ack_name, finished
                FROM processed_files WHERE finished = 0 ORDER BY id
                """).map { row in
                ProcessedFile(id: row[0], name: row[1], size: row[2], sha256: row[3],
                              outcome: ProcessedFile.Outcome(rawValue: row[4]) ?? .rejected, reason: row[5],
                              processed: row[6], sourcePath: row[7], movedTo: row[8] ?? "", ackPath: row[9] ?? "",
                              finished: row[10])
            }
        }
    }

    public func markFinished(fileID: Int64) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE processed_files SET finished = 1 WHERE id = ?", arguments: [fileID])
        }
    }

    /// Ack paths already promised to files whose work is unfinished.
    public func promisedAckPaths() throws -> Set<String> {
        try database.read { db in Set(try String.fetchAll(db, sql: "SELECT ack_name FROM processed_files WHERE finished = 0")) }
    }
}

extension BackOfficeStore {
    /// Active clients and sellers with a web password: who can order on the sites.
    public func webAccessCounts() throws -> (clients: Int, sellers: Int) {
        try database.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM clients WHERE active = 1 AND password_hash <> ''") ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM sellers WHERE active = 1 AND password_hash <> ''") ?? 0)
        }
    }
}

extension BackOfficeStore {
    /// Every posted order (held, pending and later), by number.
    public func orderSummaries() throws -> [OrderSummary] {
        var orders: [OrderSummary] = []
        try forEachOrderSummary(OrderQuery()) { orders.append($0) }
        return orders
    }

    /// The posted orders `query` takes, by number, one at a time (a million never sit in memory).
    public func forEachOrderSummary(_ query: OrderQuery, _ body: (OrderSummary) throws -> Void) throws {
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let from = query.from { conditions.append("substr(o.order_date, 1, 10) >= ?"); arguments.append(from) }
        if let to = query.to { conditions.append("substr(o.order_date, 1, 10) <= ?"); arguments.append(to) }
        if let status = query.status { conditions.append("o.status = ?"); arguments.append(status.rawValue) }
        if let pos = query.pos { conditions.append("o.pos = ?"); arguments.append(pos) }
        if let client = query.client { conditions.append("o.client = ?"); arguments.append(client) }
        if let seller = query.seller { conditions.append("o.seller = ?"); arguments.append(seller) }
        try database.read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT o.pos, o.number, o.web_id, o.order_date, o.client, ifnull(c.name, ''), o.seller, o.status,
                       (SELECT count(*) FROM order_lines l WHERE l.order_id = o.id), o.total
                FROM orders o LEFT JOIN clients c ON c.code = o.client
                \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
                ORDER BY o.pos, o.number
                """, arguments: StatementArguments(arguments))
            while let row = try rows.next() {
                try body(OrderSummary(number: OrderNumber(pos: row[0], sequence: row[1]).description, order: row[2],
                                      pos: row[0], date: row[3], client: row[4], clientName: row[5], seller: row[6],
                                      status: row[7], lines: row[8],
                                      total: Money(units: row[9]).formatted(minimumFractionDigits: 2)))
            }
        }
    }
}
