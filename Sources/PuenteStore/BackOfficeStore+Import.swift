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
    private let products: CodeTable
    /// Per price list by its key (its place in code order), the price of each product by its
    /// index (`Int64.min`: not on the list).
    private let prices: [[Int64]]
    /// A connection of its own for what a site was shown: the checks run on another thread
    /// than the one posting, which holds the store's connection in its transaction.
    private let published: DatabaseQueue

    /// Reads the masters as they are now (call at the start of an import, under the run lock:
    /// no masters load changes them meanwhile): from the store's snapshot of them when it has
    /// one (`masters load` writes it), else from the tables.
    public init(store: BackOfficeStore, sites: Set<Int>) throws {
        published = try store.readOnlyConnection()
        self.sites = sites
        // Through that connection too: a scan of the masters fills no large page cache.
        let content = try published.read(ImportMastersContent.snapshot)
            ?? ImportMastersContent.read(published, second: { try store.readOnlyConnection() })
        self.clients = content.clients
        self.sellers = content.sellers
        self.products = content.products()
        self.prices = content.prices
    }

    public func isSite(_ pos: Int) -> Bool { sites.contains(pos) }
    public func client(_ code: String) -> ClientFacts? { clients[code] }
    public func seller(_ code: String) -> SellerFacts? { sellers[code] }
    public func product(_ code: String) -> ProductFacts? {
        products.find(code).map { ProductFacts(active: $0.flag, index: $0.place) }
    }

    public func listPrice(_ client: ClientFacts, _ product: ProductFacts) -> Money? {
        guard prices.indices.contains(client.priceListKey) else { return nil }
        let price = prices[client.priceListKey][product.index]
        return price == .min ? nil : Money(units: price)
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

    /// Runs `body` with the connection held: one file's look-ups, each a prepared statement
    /// stepped directly (every order of a file is looked up).
    public func reading<T>(_ body: (Reader) throws -> T) throws -> T {
        try queue.inDatabase { db in
            try body(Reader(db: db, findPosted: db.makeStatement(sql: "SELECT content_hash, number FROM orders WHERE pos = ? AND web_id = ?")))
        }
    }

    /// The committed orders while `reading` holds the connection.
    public struct Reader {
        fileprivate let db: Database
        fileprivate let findPosted: Statement

        /// The order committed under this POS and id, if any.
        public func postedOrder(pos: Int, webID: String) throws -> PostedOrder? {
            try BackOfficeStore.postedOrder(pos: pos, webID: webID, with: findPosted, in: db)
        }

        /// The last order number committed for `pos` (0 before the first).
        public func lastNumber(pos: Int) throws -> Int {
            try Int.fetchOne(db, sql: "SELECT last_number FROM order_sequences WHERE pos = ?", arguments: [pos]) ?? 0
        }
    }
}

extension BackOfficeStore {
    /// The order under this POS and id, through `statement` (`SELECT content_hash, number
    /// FROM orders WHERE pos = ? AND web_id = ?`), bound and stepped directly.
    static func postedOrder(pos: Int, webID: String, with statement: Statement, in db: Database) throws -> PostedOrder? {
        let statement = statement.sqliteStatement
        defer { sqlite3_reset(statement) }
        sqlite3_bind_int64(statement, 1, Int64(pos))
        var id = webID
        let code: Int32 = id.withUTF8 { bytes in
            // SQLITE_STATIC: the bytes outlive the step; empty text is still text.
            let pointer = bytes.isEmpty ? UnsafeRawPointer(bitPattern: 1)! : UnsafeRawPointer(bytes.baseAddress!)
            sqlite3_bind_text(statement, 2, pointer.assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
            return sqlite3_step(statement)
        }
        if code == SQLITE_ROW, let text = sqlite3_column_text(statement, 0) {
            return PostedOrder(contentHash: String(cString: text),
                               number: OrderNumber(pos: pos, sequence: Int(sqlite3_column_int64(statement, 1))))
        }
        guard code == SQLITE_DONE else { throw PuenteError.sqlite("look up an order", db.sqliteConnection) }
        return nil
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

/// The rows one file's checked orders become, built where they are checked (the import's
/// checking thread), so that the posting thread, the slowest of an import, only binds and
/// steps them (`OrderPoster.write`): accepted and held orders with the number they were
/// given, their lines and the first entry of their status history; rejected ones kept with
/// their reasons; a duplicate nothing. Each order's id is given here, one past the last
/// (`OrderPoster.rows()` says where to start: the poster holds the write lock); the change
/// sequence is the writing transaction's. Orders go out in pieces (`take()`), in file order.
public struct OrderRows: Sendable {
    private let file: String
    private let fileID: Int64
    private let moment: String
    private var nextOrderID: Int64
    fileprivate var orders = RowBuffer(columns: 16)
    fileprivate var lines = RowBuffer(columns: 8)
    fileprivate var history = RowBuffer(columns: 5)
    fileprivate var rejected = RowBuffer(columns: 8)
    /// Each POS's highest number among these rows.
    fileprivate var lastNumbers: [Int: Int] = [:]
    /// How many orders these rows hold (duplicates included), and the first one's id, to name
    /// them if SQLite refuses them.
    public private(set) var count = 0
    fileprivate var first = ""

    fileprivate init(file: String, fileID: Int64, moment: String, nextOrderID: Int64) {
        self.file = file
        self.fileID = fileID
        self.moment = moment
        self.nextOrderID = nextOrderID
    }

    /// Adds `order` as it was checked.
    public mutating func add(_ order: CheckedOrder) {
        if count == 0 { first = order.draft.id }
        count += 1
        switch order.outcome {
        case .accepted, .held:
            guard let pos = order.pos, let status = order.status, let number = order.number, number.pos == pos else {
                preconditionFailure("an accepted or held order comes numbered, with its POS")
            }
            addPosted(order, pos: pos, status: status, number: number.sequence)
        case .rejected:
            addRejected(order)
        case .duplicate:
            break
        }
    }

    /// The rows added since the last `take()`, which this leaves empty (the ids go on).
    public mutating func take() -> OrderRows {
        let taken = self
        orders.removeAll()
        lines.removeAll()
        history.removeAll()
        rejected.removeAll()
        lastNumbers.removeAll(keepingCapacity: true)
        count = 0
        return taken
    }

    private mutating func addPosted(_ order: CheckedOrder, pos: Int, status: OrderStatus, number: Int) {
        let draft = order.draft
        lastNumbers[pos] = max(lastNumbers[pos] ?? 0, number)
        let id = nextOrderID
        nextOrderID += 1

        orders.append(id)
        orders.append(pos)
        orders.append(number)
        orders.append(draft.id)
        orders.append(status.rawValue)
        orders.append(order.date)
        orders.append(draft.client)
        orders.append(order.seller)
        orders.append(draft.note)
        orders.append(order.total.units)
        orders.append(order.contentHash)
        orders.append(file)
        orders.append(draft.line)
        orders.append(moment)
        orders.appendChangeSequence()
        // A held order keeps why it waits; an accepted one has nothing to say.
        orders.append(OrderReason.json(order.reasons))

        for (index, line) in order.lines.enumerated() {
            lines.append(id)
            lines.append(index + 1)
            lines.append(line.product)
            lines.append(line.quantity.units)
            lines.append(line.price.units)
            lines.append(line.listPrice?.units)
            lines.append(line.amount.units)
            lines.append(line.line)
        }

        history.append(id)
        history.append(status.rawValue)
        history.append(moment)
        history.append(file)
        history.appendChangeSequence()
    }

    /// A rejected order, with its reasons (JSON, sorted keys) for the reports.
    private mutating func addRejected(_ order: CheckedOrder) {
        let draft = order.draft
        rejected.append(fileID)
        rejected.append(order.pos.map(Int64.init))
        rejected.append(draft.id)
        rejected.append(draft.client)
        rejected.append(order.seller)
        rejected.append(draft.date)
        rejected.append(draft.line)
        rejected.append(OrderReason.json(order.reasons))
    }
}

/// Posts the orders of one file inside its transaction: writes the `OrderRows` they became,
/// in file order, to SQLite (`RowBatch`, many rows a statement), with one change sequence for
/// the whole file, and each POS's last number by `finish()` (the (POS, number) key refuses a
/// number given twice). Nothing posted is final before `finish()`.
public final class OrderPoster {
    private let db: Database
    private let file: String
    private let fileID: Int64
    private let moment: String
    private let firstOrderID: Int64
    private var changeSequence: Int64?
    private var lastNumbers: [Int: Int] = [:]
    private let findPosted: Statement
    private var orders: RowBatch
    private var lines: RowBatch
    private var history: RowBatch
    private var rejected: RowBatch

    /// Posts the orders of the file recorded as `fileID` (named `file`); `moment`: when (ISO
    /// 8601), for `created` and the status history.
    public init(in transaction: StoreTransaction, file: String, fileID: Int64, moment: String) throws {
        let db = transaction.db
        self.db = db
        self.file = file
        self.fileID = fileID
        self.moment = moment
        // The rowid SQLite would give (no AUTOINCREMENT): the poster holds the write lock.
        firstOrderID = try Int64.fetchOne(db, sql: "SELECT ifnull(max(id), 0) + 1 FROM orders") ?? 1
        findPosted = try db.makeStatement(sql: "SELECT content_hash, number FROM orders WHERE pos = ? AND web_id = ?")
        orders = RowBatch(db, head: """
            INSERT INTO orders(id, pos, number, web_id, status, order_date, client, seller, note, total, content_hash,
                               source_file, source_line, created, change_seq, reasons) VALUES
            """, row: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", columns: 16, rowsPerStatement: 16)
        lines = RowBatch(db, head: """
            INSERT INTO order_lines(order_id, line_no, product, quantity, price, list_price, amount, source_line) VALUES
            """, row: "(?, ?, ?, ?, ?, ?, ?, ?)", columns: 8, rowsPerStatement: 64)
        history = RowBatch(db, head: """
            INSERT INTO order_status_history(order_id, from_status, to_status, changed, source, note, change_seq) VALUES
            """, row: "(?, NULL, ?, ?, 'import', ?, ?)", columns: 5, rowsPerStatement: 32)
        rejected = RowBatch(db, head: """
            INSERT INTO rejected_orders(file_id, pos, web_id, client, seller, order_date, source_line, reasons) VALUES
            """, row: "(?, ?, ?, ?, ?, ?, ?, ?)", columns: 8, rowsPerStatement: 16)
    }

    /// The rows this file's orders are to become, empty; ids from the next free one. Call once.
    public func rows() -> OrderRows {
        OrderRows(file: file, fileID: fileID, moment: moment, nextOrderID: firstOrderID)
    }

    /// The order already posted with this POS and id, if any (this transaction's included).
    public func postedOrder(pos: Int, webID: String) throws -> PostedOrder? {
        try BackOfficeStore.postedOrder(pos: pos, webID: webID, with: findPosted, in: db)
    }

    /// Writes `rows`: orders before their lines and status entries.
    public func write(_ rows: OrderRows) throws {
        guard rows.count > 0 else { return }
        // The file's one change sequence, taken with its first posted order.
        if changeSequence == nil, !rows.orders.isEmpty { changeSequence = try BackOfficeStore.nextChangeSequence(db) }
        let sequence = changeSequence ?? 0
        let first = rows.first
        try orders.write(rows.orders, changeSequence: sequence, "post the orders from \(first) on")
        try lines.write(rows.lines, changeSequence: sequence, "post the lines of the orders from \(first) on")
        try history.write(rows.history, changeSequence: sequence, "record the status of the orders from \(first) on")
        try rejected.write(rows.rejected, changeSequence: sequence, "keep the rejected orders from \(first) on")
        for (pos, last) in rows.lastNumbers { lastNumbers[pos] = max(lastNumbers[pos] ?? 0, last) }
    }

    /// Writes each POS's order counter. Call before the commit, after the last `write`.
    public func finish() throws {
        for (pos, last) in lastNumbers {
            try db.execute(sql: """
                INSERT INTO order_sequences(pos, last_number) VALUES (?, ?)
                ON CONFLICT(pos) DO UPDATE SET last_number = excluded.last_number
                """, arguments: [pos, last])
        }
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
