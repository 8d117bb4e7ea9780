import Foundation
import PuenteDomain
import PuenteStore

/// A person's work on posted orders (`puente orders …`): look at them, move them along the
/// lifecycle, release or reject the held ones. Every change is time-stamped, says who made it
/// (`person:NAME`), and reaches the site through the next package's `order_status`. Refusals
/// (a transition the lifecycle does not allow, an order that is not held, a price that cannot
/// be taken) change nothing and say what is allowed.
public struct OrderDesk: Sendable {
    let store: BackOfficeStore
    let timezone: TimeZone
    let clock: any PuenteClock
    /// Who is at the desk: `person:NAME` in the history.
    let person: String

    init(store: BackOfficeStore, timezone: TimeZone, clock: any PuenteClock, person: String) {
        self.store = store
        self.timezone = timezone
        self.clock = clock
        self.person = person
    }

    public func show(_ number: OrderNumber) throws -> OrderDetail? {
        try store.orderDetail(number)
    }

    /// Moves an order to `status` (the lifecycle's transitions only); returns the status it had.
    public func setStatus(_ number: OrderNumber, to status: OrderStatus, note: String = "") throws
        -> Result<OrderStatus, StatusChangeRefusal>
    {
        try store.changeStatus(of: number, to: status, at: now, source: source, note: note)
    }

    /// Makes a held order pending; `reprice` takes the client's list prices now.
    public func release(_ number: OrderNumber, reprice: Bool = false) throws -> Result<Release, StatusChangeRefusal> {
        try store.release(number, reprice: reprice, at: now, source: source)
    }

    /// Cancels a held order, with the person's reason.
    public func reject(_ number: OrderNumber, reason: String = "") throws -> Result<OrderStatus, StatusChangeRefusal> {
        try store.reject(number, reason: reason, at: now, source: source)
    }

    private var now: String { Timestamp.string(clock.now, in: timezone) }
    private var source: String { "person:" + person }
}
