import Foundation
import GRDB
import PuenteDomain

/// Why a status change could not be applied.
public enum StatusChangeRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownOrder(OrderNumber)
    case notAllowed(OrderNumber, StatusTransitionError)

    public var description: String {
        switch self {
        case .unknownOrder(let number): "order \(number) does not exist"
        case .notAllowed(let number, let error): "order \(number): \(error)"
        }
    }
}

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
