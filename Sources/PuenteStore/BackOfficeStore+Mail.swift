import Foundation
import GRDB
import PuenteDomain

/// A status change that calls for an e-mail and has none yet.
public struct MailEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case confirmation
        case dispatched
        case invoiced
    }

    public var historyID: Int64
    public var kind: Kind
    public var number: OrderNumber
    public var changed: String
    public var clientEmail: String
    public var sellerEmail: String?
}

/// An e-mail recorded in the store.
public struct QueuedMail: Sendable, Equatable {
    public var id: Int64
    public var fileName: String
    public var message: [UInt8]
    public var state: String
}

extension BackOfficeStore {
    /// Status changes since mail started that call for an e-mail and have none: an order's
    /// first `pending` (accepted at import, or released), `dispatched`, `invoiced`; at most
    /// `limit` of them, after the history entry `after`.
    public func pendingMailEvents(after: Int64 = 0, limit: Int = 500) throws -> [MailEvent] {
        try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT h.id, h.to_status, o.pos, o.number, h.changed, ifnull(c.email, '') AS client_email, s.email AS seller_email
                FROM order_status_history h
                JOIN orders o ON o.id = h.order_id
                LEFT JOIN clients c ON c.code = o.client
                LEFT JOIN sellers s ON s.code = o.seller
                WHERE h.id > ? AND h.change_seq > (SELECT seq FROM mail_start)
                  AND h.to_status IN ('pending', 'dispatched', 'invoiced')
                  AND NOT EXISTS (SELECT 1 FROM mail_queue m WHERE m.history_id = h.id)
                  AND (h.to_status <> 'pending' OR NOT EXISTS (
                      SELECT 1 FROM order_status_history e WHERE e.order_id = h.order_id AND e.to_status = 'pending' AND e.id < h.id))
                ORDER BY h.id LIMIT ?
                """, arguments: [after, limit]).map { row in
                let status: String = row["to_status"]
                return MailEvent(historyID: row["id"], kind: status == "pending" ? .confirmation : MailEvent.Kind(rawValue: status)!,
                                 number: OrderNumber(pos: row["pos"], sequence: row["number"]), changed: row["changed"],
                                 clientEmail: row["client_email"], sellerEmail: row["seller_email"])
            }
        }
    }

    /// An e-mail made for a status change (nil `message`: nobody to send it to).
    public struct NewMail: Sendable {
        public var event: MailEvent
        public var messageID: String
        public var fileName: String
        public var message: [UInt8]?

        public init(event: MailEvent, messageID: String, fileName: String, message: [UInt8]?) {
            self.event = event
            self.messageID = messageID
            self.fileName = fileName
            self.message = message
        }
    }

    /// Records e-mails made, in one transaction.
    public func recordMail(_ mails: [NewMail], at moment: String) throws {
        try database.write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT INTO mail_queue(history_id, kind, message_id, file_name, message, state, created)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for mail in mails {
                try insert.execute(arguments: [mail.event.historyID, mail.event.kind.rawValue, mail.messageID, mail.fileName,
                                               mail.message.map { Data($0) }, mail.message == nil ? "no-address" : "queued",
                                               moment])
            }
        }
    }

    /// With mail turned off, nothing from now on is owed a message.
    public func skipMailUntilNow() throws {
        try database.write { db in
            try db.execute(sql: "UPDATE mail_start SET seq = (SELECT value FROM change_counter WHERE id = 1)")
        }
    }

    /// E-mails in `states`, oldest first: at most `limit`, after the one `after`.
    public func mail(in states: [String], after: Int64 = 0, limit: Int = 500) throws -> [QueuedMail] {
        try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, file_name, message, state FROM mail_queue
                WHERE state IN (\(states.map { _ in "?" }.joined(separator: ", "))) AND id > ? ORDER BY id LIMIT ?
                """, arguments: StatementArguments(states) + [after, limit]).map { row in
                QueuedMail(id: row["id"], fileName: row["file_name"], message: Array((row["message"] as Data?) ?? Data()),
                           state: row["state"])
            }
        }
    }

    public func setMailState(_ id: Int64, to state: String) throws {
        try setMailState([id], to: state)
    }

    /// Several at once, in one transaction.
    public func setMailState(_ ids: [Int64], to state: String) throws {
        try database.write { db in
            let update = try db.cachedStatement(sql: "UPDATE mail_queue SET state = ? WHERE id = ?")
            for id in ids { try update.execute(arguments: [state, id]) }
        }
    }
}
