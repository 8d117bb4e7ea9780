import Foundation
import GRDB
import PuenteDomain

extension BackOfficeStore {
    /// Moves an order to `status` if the lifecycle allows it, time-stamped, with a history
    /// entry and a new change sequence so the site learns of it.
    public func changeStatus(
        of number: OrderNumber, to status: OrderStatus, at moment: String, source: String, note: String = ""
    ) throws -> Result<OrderStatus, StatusChangeRefusal> {
        try database.write { db in
            try Self.changeStatus(of: number, to: status, at: moment, source: source, note: note, in: StoreTransaction(db: db))
        }
    }

    /// As `changeStatus(of:to:at:source:note:)`, inside a write already open.
    public static func changeStatus(
        of number: OrderNumber, to status: OrderStatus, at moment: String, source: String, note: String,
        in transaction: StoreTransaction
    ) throws -> Result<OrderStatus, StatusChangeRefusal> {
        let db = transaction.db
        guard let row = try Row.fetchOne(
            db, sql: "SELECT id, status FROM orders WHERE pos = ? AND number = ?",
            arguments: [number.pos, number.sequence])
        else { return .failure(.unknownOrder(number)) }
        let id: Int64 = row["id"]
        guard let current = OrderStatus(rawValue: row["status"]) else {
            throw PuenteError.store("read order \(number)", message: "unknown status \(row["status"] as String)")
        }
        do {
            _ = try current.transition(to: status)
        } catch {
            return .failure(.notAllowed(number, error))
        }
        let sequence = try nextChangeSequence(db)
        try db.execute(sql: "UPDATE orders SET status = ?, change_seq = ? WHERE id = ?",
                       arguments: [status.rawValue, sequence, id])
        try db.execute(sql: """
            INSERT INTO order_status_history(order_id, from_status, to_status, changed, source, note, change_seq)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [id, current.rawValue, status.rawValue, moment, source, note, sequence])
        return .success(current)
    }
}

/// Undoes a release with `--reprice` whose line has no list price now.
private struct RepriceRefused: Error {
    let product: String
    let priceList: String
}

extension BackOfficeStore {
    /// The order with this number, whole: header, lines, history and why it was held.
    public func orderDetail(_ number: OrderNumber) throws -> OrderDetail? {
        try database.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT o.id, o.web_id, o.status, o.order_date, o.client, ifnull(c.name, '') AS client_name, c.price_list,
                       o.seller, o.note, o.total, o.source_file, o.source_line, o.created, o.reasons
                FROM orders o LEFT JOIN clients c ON c.code = o.client WHERE o.pos = ? AND o.number = ?
                """, arguments: [number.pos, number.sequence]) else { return nil }
            let id: Int64 = row["id"]
            let lines = try Row.fetchAll(db, sql: """
                SELECT l.line_no, l.product, ifnull(p.description, '') AS description, l.quantity, l.price, l.list_price,
                       l.amount, l.source_line
                FROM order_lines l LEFT JOIN products p ON p.code = l.product WHERE l.order_id = ? ORDER BY l.line_no
                """, arguments: [id]).map { line in
                OrderDetail.Line(item: line["line_no"], product: line["product"], description: line["description"],
                                 quantity: Quantity(units: line["quantity"]), price: Money(units: line["price"]),
                                 listPrice: (line["list_price"] as Int64?).map(Money.init(units:)),
                                 amount: Money(units: line["amount"]), sourceLine: line["source_line"])
            }
            let history = try Row.fetchAll(db, sql: """
                SELECT from_status, to_status, changed, source, note FROM order_status_history WHERE order_id = ? ORDER BY id
                """, arguments: [id]).map { change in
                OrderDetail.Change(from: (change["from_status"] as String?).flatMap(OrderStatus.init(rawValue:)),
                                   to: OrderStatus(rawValue: change["to_status"]) ?? .pending, changed: change["changed"],
                                   source: change["source"], note: change["note"])
            }
            let reasons = (try? JSONDecoder().decode([OrderReason].self, from: Data((row["reasons"] as String).utf8))) ?? []
            return OrderDetail(
                number: number, webID: row["web_id"], status: OrderStatus(rawValue: row["status"]) ?? .pending,
                date: row["order_date"], client: row["client"], clientName: row["client_name"], priceList: row["price_list"],
                seller: row["seller"], note: row["note"], total: Money(units: row["total"]), sourceFile: row["source_file"],
                sourceLine: row["source_line"], created: row["created"], lines: lines, history: history, reasons: reasons)
        }
    }

    /// Makes a held order pending. With `reprice`, every line whose price is not the client's
    /// list price now takes that price (its amount and the order's total recomputed) and the
    /// history says what changed; a line with no list price now refuses the release
    /// (`cannotReprice`) and nothing changes. One transaction.
    public func release(_ number: OrderNumber, reprice: Bool, at moment: String, source: String, note: String = "")
        throws -> Result<Release, StatusChangeRefusal>
    {
        do {
            return try releaseHeld(number, reprice: reprice, at: moment, source: source, note: note)
        } catch let refused as RepriceRefused {
            return .failure(.cannotReprice(number, product: refused.product, priceList: refused.priceList))
        }
    }

    private func releaseHeld(_ number: OrderNumber, reprice: Bool, at moment: String, source: String, note: String)
        throws -> Result<Release, StatusChangeRefusal>
    {
        try database.write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT o.id, o.status, o.total, o.client, c.price_list FROM orders o LEFT JOIN clients c ON c.code = o.client
                WHERE o.pos = ? AND o.number = ?
                """, arguments: [number.pos, number.sequence]) else { return .failure(.unknownOrder(number)) }
            let status = OrderStatus(rawValue: row["status"]) ?? .pending
            guard status == .held else { return .failure(.notHeld(number, status, action: "release")) }
            let id: Int64 = row["id"]
            var release = Release(totalBefore: Money(units: row["total"]), totalAfter: Money(units: row["total"]))
            var history = note
            if reprice {
                let list: String = row["price_list"] ?? ""
                var total = Money.zero
                for line in try Row.fetchAll(db, sql: """
                    SELECT l.line_no, l.product, l.quantity, l.price, l.amount, p.price AS current
                    FROM order_lines l LEFT JOIN prices p ON p.price_list = ? AND p.product = l.product AND p.active = 1
                    WHERE l.order_id = ? ORDER BY l.line_no
                    """, arguments: [list, id]) {
                    let product: String = line["product"]
                    guard let current = (line["current"] as Int64?).map(Money.init(units:)) else {
                        throw RepriceRefused(product: product, priceList: list)
                    }
                    let price = Money(units: line["price"])
                    var amount = Money(units: line["amount"])
                    if price != current {
                        guard let repriced = current.extended(by: Quantity(units: line["quantity"])) else {
                            throw RepriceRefused(product: product, priceList: list)
                        }
                        amount = repriced
                        try db.execute(sql: """
                            UPDATE order_lines SET price = ?, list_price = ?, amount = ? WHERE order_id = ? AND line_no = ?
                            """, arguments: [current.units, current.units, amount.units, id, line["line_no"] as Int])
                        release.repriced.append(.init(item: line["line_no"], product: product, was: price, now: current))
                    }
                    guard let sum = total.adding(amount) else {
                        throw RepriceRefused(product: product, priceList: list)
                    }
                    total = sum
                }
                release.totalAfter = total
                if !release.repriced.isEmpty {
                    let changes = release.repriced.map { "\($0.product) \($0.was) → \($0.now)" }.joined(separator: ", ")
                    let repricedNote = "repriced at list \(list): \(changes); total \(release.totalBefore) → \(total)"
                    history = history.isEmpty ? repricedNote : "\(history); \(repricedNote)"
                }
            }
            let sequence = try Self.nextChangeSequence(db)
            try db.execute(sql: "UPDATE orders SET status = 'pending', total = ?, change_seq = ? WHERE id = ?",
                           arguments: [release.totalAfter.units, sequence, id])
            try db.execute(sql: """
                INSERT INTO order_status_history(order_id, from_status, to_status, changed, source, note, change_seq)
                VALUES (?, 'held', 'pending', ?, ?, ?, ?)
                """, arguments: [id, moment, source, history, sequence])
            return .success(release)
        }
    }

    /// Cancels a held order (the person's reason in its history).
    public func reject(_ number: OrderNumber, reason: String, at moment: String, source: String)
        throws -> Result<OrderStatus, StatusChangeRefusal>
    {
        try database.write { db in
            guard let status = try String.fetchOne(db, sql: "SELECT status FROM orders WHERE pos = ? AND number = ?",
                                                   arguments: [number.pos, number.sequence]).flatMap(OrderStatus.init(rawValue:))
            else { return .failure(.unknownOrder(number)) }
            guard status == .held else { return .failure(.notHeld(number, status, action: "reject")) }
            return try Self.changeStatus(of: number, to: .cancelled, at: moment, source: source, note: reason,
                                         in: StoreTransaction(db: db))
        }
    }
}

extension BackOfficeStore {
    /// Every rejected order and every order still held, with all their reasons, in the order
    /// they were taken; those taken on the days `from`…`to` (`yyyy-mm-dd`) and with a reason
    /// `reason` when given. One at a time.
    public func forEachOrderNeedingAttention(from: String?, to: String?, reason: ReasonCode?,
                                             _ body: (OrderAttention) throws -> Void) throws {
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let from { conditions.append("substr(taken, 1, 10) >= ?"); arguments.append(from) }
        if let to { conditions.append("substr(taken, 1, 10) <= ?"); arguments.append(to) }
        let decoder = JSONDecoder()
        try database.read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT * FROM (
                    SELECT 'rejected' AS outcome, r.web_id, r.pos, NULL AS number, r.order_date, r.client, r.seller,
                           f.name AS file, r.source_line, f.processed AS taken, r.reasons, r.id AS sort1, 0 AS sort2
                    FROM rejected_orders r JOIN processed_files f ON f.id = r.file_id
                    UNION ALL
                    SELECT 'held', o.web_id, o.pos, o.number, o.order_date, o.client, o.seller, o.source_file, o.source_line,
                           o.created, o.reasons, 0, o.id
                    FROM orders o WHERE o.status = 'held'
                ) \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
                ORDER BY taken, sort1, sort2
                """, arguments: StatementArguments(arguments))
            while let row = try rows.next() {
                let reasons = (try? decoder.decode([OrderReason].self, from: Data((row["reasons"] as String).utf8))) ?? []
                if let reason, !reasons.contains(where: { $0.code == reason }) { continue }
                let pos: Int? = row["pos"]
                let number: Int? = row["number"]
                try body(OrderAttention(
                    outcome: row["outcome"] == "held" ? .held : .rejected, order: row["web_id"], pos: pos,
                    number: pos.flatMap { pos in number.map { OrderNumber(pos: pos, sequence: $0) } },
                    date: row["order_date"] ?? "", client: row["client"] ?? "", seller: row["seller"], file: row["file"],
                    line: row["source_line"], taken: row["taken"], reasons: reasons))
            }
        }
    }
}

/// One price as a site shows it.
public struct SitePrice: Sendable, Equatable {
    public var priceList: String
    public var listName: String
    public var currency: String
    public var product: String
    public var description: String
    public var unit: String
    /// VAT, hundredths of a point.
    public var taxRate: Percentage
    public var price: Money
    /// An inactive product's prices still go to the site, which shows it as not orderable.
    public var productActive: Bool
}

extension BackOfficeStore {
    /// The prices the sites are given: every active price on the active lists of the clients a
    /// package carries (web-enabled clients, and the active clients of a
    /// web-enabled seller), by list and product; one list when `list` is given. One at a time.
    public func forEachSitePrice(list: String?, _ body: (SitePrice) throws -> Void) throws {
        try database.read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT l.code, l.name, l.currency, p.product, d.description, d.unit, d.tax_rate, p.price, d.active
                FROM price_lists l
                JOIN prices p ON p.price_list = l.code AND p.active = 1
                JOIN products d ON d.code = p.product
                WHERE l.active = 1 AND (?1 IS NULL OR l.code = ?1) AND l.code IN (
                    SELECT price_list FROM clients WHERE active = 1 AND (password_hash <> '' OR seller IN (
                        SELECT code FROM sellers WHERE active = 1 AND password_hash <> '')))
                ORDER BY l.code, p.product
                """, arguments: [list])
            while let row = try rows.next() {
                try body(SitePrice(priceList: row[0], listName: row[1], currency: row[2], product: row[3], description: row[4],
                                   unit: row[5], taxRate: Percentage(units: row[6]), price: Money(units: row[7]),
                                   productActive: row[8]))
            }
        }
    }
}
