import PuenteDomain
import Foundation
import GRDB
import GRDBSQLite

/// A package published to a site, as the store remembers it.
public struct PackageRecord: Sendable, Equatable {
    public var id: Int64
    public var pos: Int
    public var sequence: Int
    public var kind: String
    public var base: Int?
    public var created: String
    public var fileName: String
    /// The store's change counter the package covers up to.
    public var changeSequence: Int64
}

/// The record sets of an export package, in the order the package lists them.
///
/// Each set's rows come from the store with these columns:
/// - clients: code, name, tax_id, email, price_list, seller, password_hash, active
/// - sellers: code, name, email, password_hash, active
/// - seller_clients: seller, client, active
/// - products: code, description, unit, tax_rate (hundredths), active
/// - price_lists: code, name, currency, active
/// - prices: price_list, product, price (ten-thousandths), active
/// - order_status: order, number, status, changed
public enum ExportSet: String, CaseIterable, Sendable {
    case clients, sellers
    case sellerClients = "seller_clients"
    case products
    case priceLists = "price_lists"
    case prices
    case orderStatus = "order_status"
}

/// One row of an export set while it is being read: column values straight from SQLite,
/// valid only inside the callback that receives it (do not keep it or its buffers).
public struct ExportRow {
    let statement: SQLiteStatement

    init(_ statement: SQLiteStatement) { self.statement = statement }

    /// The column's UTF-8 text, NUL-terminated (empty for NULL).
    public func text(_ column: Int32) -> UnsafeBufferPointer<UInt8> {
        guard let pointer = sqlite3_column_text(statement, column) else {
            return UnsafeBufferPointer(start: ("" as StaticString).utf8Start, count: 0)
        }
        return UnsafeBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(statement, column)))
    }

    public func integer(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }
}

extension BackOfficeStore {
    // MARK: What the site needs now

    /// The members of a membership-dependent set, as materialized by `prepareExport(in:)`.
    static func currentMembers(_ set: ExportSet) -> String? {
        membershipQuery(set) == nil ? nil : "SELECT key, value FROM temp.current_\(set.rawValue)"
    }

    /// Materializes the current members of the membership-dependent sets once per export (each
    /// is read several times: for the package and for the site's new state). Call first, in
    /// the export's transaction.
    public static func prepareExport(in transaction: StoreTransaction) throws {
        let db = transaction.db
        // Sellers and clients first: the pairs and the lists are derived from them.
        for set in [ExportSet.sellers, .clients, .sellerClients, .priceLists] {
            let extra = set == .clients ? ", seller TEXT, price_list TEXT NOT NULL" : ""
            try db.execute(sql: """
                DROP TABLE IF EXISTS temp.current_\(set.rawValue);
                CREATE TEMP TABLE current_\(set.rawValue) (key TEXT PRIMARY KEY, value TEXT NOT NULL\(extra)) WITHOUT ROWID;
                INSERT INTO temp.current_\(set.rawValue) \(membershipQuery(set)!);
                """)
        }
    }

    /// The sets whose membership depends on other records, with their current members as
    /// (key, JSON array of the exported fields without `active`).
    static func membershipQuery(_ set: ExportSet) -> String? {
        switch set {
        case .sellers:
            return """
                SELECT code, json_array(code, name, email, password_hash)
                FROM sellers WHERE active = 1 AND password_hash <> ''
                """
        case .clients:
            // Web-enabled clients, and the active clients of a web-enabled seller.
            return """
                SELECT code, json_array(code, name, tax_id, email, price_list, ifnull(seller, ''), password_hash),
                       seller, price_list
                FROM clients
                WHERE active = 1 AND (password_hash <> '' OR seller IN (SELECT key FROM temp.current_sellers))
                """
        case .sellerClients:
            return """
                SELECT seller || char(31) || key, json_array(seller, key) FROM temp.current_clients
                WHERE seller IN (SELECT key FROM temp.current_sellers)
                """
        case .priceLists:
            return """
                SELECT code, json_array(code, name, currency) FROM price_lists
                WHERE active = 1 AND code IN (SELECT price_list FROM temp.current_clients)
                """
        case .products, .prices, .orderStatus:
            return nil
        }
    }

    static let fieldCounts: [ExportSet: Int] = [.clients: 7, .sellers: 4, .sellerClients: 2, .priceLists: 3]
    /// Where `password_hash` is among the fields of the sets that carry one.
    static let passwordHashField: [ExportSet: Int] = [.clients: 6, .sellers: 3]

    // MARK: Packages

    /// The last package published to `pos`, if any.
    public static func lastPackage(pos: Int, in transaction: StoreTransaction) throws -> PackageRecord? {
        let db = transaction.db
        return try Row.fetchOne(db, sql: """
            SELECT id, pos, sequence, kind, base, created, file_name, change_seq FROM packages
            WHERE pos = ? ORDER BY sequence DESC LIMIT 1
            """, arguments: [pos]).map(PackageRecord.init(row:))
    }

    /// Every package published to `pos`, oldest first.
    public func packages(pos: Int) throws -> [PackageRecord] {
        try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, pos, sequence, kind, base, created, file_name, change_seq FROM packages
                WHERE pos = ? ORDER BY sequence
                """, arguments: [pos]).map(PackageRecord.init(row:))
        }
    }

    /// The price lists a site holds now (after its last package).
    public static func sitePriceLists(pos: Int, in transaction: StoreTransaction) throws -> [String] {
        let db = transaction.db
        return try String.fetchAll(db, sql: """
            SELECT key FROM site_records WHERE pos = ? AND kind = 'price_lists' ORDER BY key
            """, arguments: [pos])
    }

    /// The price lists the site should hold: those of the exported clients.
    public static func currentPriceLists(in transaction: StoreTransaction) throws -> [String] {
        let db = transaction.db
        return try String.fetchAll(db, sql: "SELECT key FROM temp.current_price_lists ORDER BY key")
    }

    /// Remembers a package in the same transaction that wrote it: its row, the lists the site
    /// holds after it, and the site's new state of the membership-dependent sets.
    public static func recordPackage(
        _ package: PackageRecord, publishedUnix: Int64, priceLists: [String], in transaction: StoreTransaction
    ) throws -> Int64 {
        let db = transaction.db
        try db.execute(sql: """
            INSERT INTO packages(pos, sequence, kind, base, created, file_name, change_seq, published_unix)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [package.pos, package.sequence, package.kind, package.base, package.created,
                             package.fileName, package.changeSequence, publishedUnix])
        let id = db.lastInsertedRowID
        for list in priceLists {
            try db.execute(sql: "INSERT INTO package_price_lists(package_id, price_list) VALUES (?, ?)",
                           arguments: [id, list])
        }
        // The price change log is needed only after the oldest of the sites' last packages.
        if let oldest = try Int64.fetchOne(db, sql: """
            SELECT min(last) FROM (SELECT max(change_seq) AS last FROM packages GROUP BY pos)
            """) {
            try db.execute(sql: "DELETE FROM price_changes WHERE change_seq <= ?", arguments: [oldest])
            try db.execute(sql: """
                UPDATE change_logs SET complete_after = max(complete_after, ?) WHERE name = 'price_changes'
                """, arguments: [oldest])
        }
        for set in [ExportSet.clients, .sellers, .sellerClients, .priceLists] {
            let members = currentMembers(set)!
            try db.execute(sql: """
                DELETE FROM site_records WHERE pos = ?1 AND kind = ?2 AND key NOT IN (SELECT key FROM (\(members)))
                """, arguments: [package.pos, set.rawValue])
            try db.execute(sql: """
                INSERT INTO site_records(pos, kind, key, value) SELECT ?1, ?2, key, value FROM (\(members)) WHERE true
                ON CONFLICT(pos, kind, key) DO UPDATE SET value = excluded.value WHERE value IS NOT excluded.value
                """, arguments: [package.pos, set.rawValue])
        }
        return id
    }

    /// Forgets what a site holds, before a full package replaces it.
    public static func forgetSiteRecords(pos: Int, in transaction: StoreTransaction) throws {
        let db = transaction.db
        try db.execute(sql: "DELETE FROM site_records WHERE pos = ?", arguments: [pos])
    }

    // MARK: Reading the sets

    /// Streams the rows of `set` for the site `pos`: the whole current set (`since` nil), or
    /// what changed since the change sequence `since`, leavers included with `active` 0.
    /// `priceLists` says which lists' prices to send and how (see `PriceSelection`).
    public static func exportRows(
        _ set: ExportSet, pos: Int, since: Int64?, priceLists: [PriceSelection] = [], in transaction: StoreTransaction,
        _ body: (ExportRow) throws -> Void
    ) throws {
        let db = transaction.db
        switch set {
        case .clients, .sellers, .sellerClients, .priceLists:
            let members = currentMembers(set)!
            // A client or seller who left (lost web access, deactivated) leaves with an empty
            // password hash: a site that hides inactive rows instead of deleting them must not
            // keep a hash someone could still log in with.
            let fields = (0..<fieldCounts[set]!).map { index in
                index == passwordHashField[set]
                    ? "CASE WHEN active THEN json_extract(value, '$[\(index)]') ELSE '' END"
                    : "json_extract(value, '$[\(index)]')"
            }.joined(separator: ", ")
            let changes = since == nil
                ? "SELECT key, value, 1 AS active FROM (\(members))"
                : """
                  SELECT m.key, m.value, 1 AS active FROM (\(members)) m
                  LEFT JOIN site_records r ON r.pos = ?1 AND r.kind = ?2 AND r.key = m.key
                  WHERE r.value IS NOT m.value
                  UNION ALL
                  SELECT key, value, 0 FROM site_records
                  WHERE pos = ?1 AND kind = ?2 AND key NOT IN (SELECT key FROM (\(members)))
                  """
            try stream(db, sql: "SELECT \(fields), active FROM (\(changes)) ORDER BY key",
                       arguments: since == nil ? [] : [pos, set.rawValue], body)
        case .products:
            if let since {
                try stream(db, sql: """
                    SELECT code, description, unit, tax_rate, active FROM products WHERE change_seq > ? ORDER BY code
                    """, arguments: [since], body)
            } else {
                try stream(db, sql: """
                    SELECT code, description, unit, tax_rate, 1 FROM products WHERE active = 1 ORDER BY code
                    """, arguments: [], body)
            }
        case .prices:
            let logged = try since.map { since in
                try Int64.fetchOne(db, sql: "SELECT complete_after FROM change_logs WHERE name = 'price_changes'")
                    .map { $0 <= since } ?? false
            } ?? false
            for selection in priceLists {
                if logged, case .changed = selection {
                    // The latest logged version of each price (SQLite takes the bare columns
                    // from the row holding the max).
                    try stream(db, sql: """
                        SELECT price_list, product, price, active, max(change_seq) FROM price_changes
                        WHERE price_list = ?1 AND change_seq > ?2 GROUP BY product ORDER BY product
                        """, arguments: selection.arguments, body)
                } else {
                    try stream(db, sql: """
                        SELECT price_list, product, price, \(selection.activeColumn) FROM prices
                        WHERE price_list = ?1 AND \(selection.condition) ORDER BY product
                        """, arguments: selection.arguments, body)
                }
            }
        case .orderStatus:
            try stream(db, sql: """
                SELECT o.web_id, o.pos * 100000000 + o.number, o.status,
                       ifnull((SELECT changed FROM order_status_history h WHERE h.order_id = o.id
                               ORDER BY h.id DESC LIMIT 1), o.created)
                FROM orders o WHERE o.pos = ?1 AND o.change_seq > ?2 ORDER BY o.number
                """, arguments: [pos, since ?? -1], body)
        }
    }

    private static func stream(
        _ db: Database, sql: String, arguments: StatementArguments, _ body: (ExportRow) throws -> Void
    ) throws {
        let statement = try db.makeStatement(sql: sql)
        try statement.setArguments(arguments)
        try forEachRow(of: statement, "read records to export", in: db) { try body(ExportRow($0)) }
    }

    // MARK: What a site was shown

    /// The price (ten-thousandths) of `product` on `priceList` that the site `pos` was showing
    /// at the Unix time `moment`: from the last package published to it at or before then.
    /// Nil when no package had reached the site, the list was not on it, or the price was
    /// not (or no longer active) on it.
    public func publishedPrice(pos: Int, priceList: String, product: String, atUnix moment: Int64) throws -> Int64? {
        try database.read { db in
            try Self.publishedPrice(pos: pos, priceList: priceList, product: product, atUnix: moment, in: StoreTransaction(db: db))
        }
    }

    /// As `publishedPrice(pos:priceList:product:atUnix:)`, on a connection of the caller's.
    public static func publishedPrice(pos: Int, priceList: String, product: String, atUnix moment: Int64,
                                      in transaction: StoreTransaction) throws -> Int64? {
        let db = transaction.db
        guard let package = try Row.fetchOne(db, sql: """
            SELECT id, change_seq FROM packages WHERE pos = ? AND published_unix <= ?
            ORDER BY sequence DESC LIMIT 1
            """, arguments: [pos, moment]) else { return nil }
        let id: Int64 = package["id"]
        let covered: Int64 = package["change_seq"]
        guard try Bool.fetchOne(db, sql: """
            SELECT 1 FROM package_price_lists WHERE package_id = ? AND price_list = ?
            """, arguments: [id, priceList]) == true else { return nil }
        guard let version = try Row.fetchOne(db, sql: """
            SELECT price, active FROM prices WHERE price_list = ?1 AND product = ?2 AND change_seq <= ?3
            UNION ALL
            SELECT price, active FROM price_history
            WHERE price_list = ?1 AND product = ?2 AND valid_from_seq <= ?3 AND valid_until_seq > ?3
            LIMIT 1
            """, arguments: [priceList, product, covered]) else { return nil }
        let active: Bool = version["active"]
        return active ? version["price"] : nil
    }
}

/// Which prices of one list a package carries.
public enum PriceSelection: Sendable, Equatable {
    /// Every active price of the list (a full package, or a list the site did not have).
    case all(String)
    /// The prices changed after the change sequence (the site has the list and keeps it).
    case changed(String, since: Int64)
    /// Every price the site may hold of a list it no longer needs, sent with `active` 0.
    case withdrawn(String, since: Int64)

    var condition: String {
        switch self {
        case .all: "active = 1"
        case .changed: "change_seq > ?2"
        case .withdrawn: "(active = 1 OR change_seq > ?2)"
        }
    }

    var activeColumn: String {
        switch self {
        case .all: "1"
        case .changed: "active"
        case .withdrawn: "0"
        }
    }

    var arguments: StatementArguments {
        switch self {
        case .all(let list): [list]
        case .changed(let list, let since), .withdrawn(let list, let since): [list, since]
        }
    }
}

extension PackageRecord {
    init(row: Row) {
        id = row["id"]
        pos = row["pos"]
        sequence = row["sequence"]
        kind = row["kind"]
        base = row["base"]
        created = row["created"]
        fileName = row["file_name"]
        changeSequence = row["change_seq"]
    }

    public init(pos: Int, sequence: Int, kind: String, base: Int?, created: String, fileName: String, changeSequence: Int64) {
        self.init(id: 0, pos: pos, sequence: sequence, kind: kind, base: base, created: created,
                  fileName: fileName, changeSequence: changeSequence)
    }
}
