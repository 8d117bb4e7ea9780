/// Where an order stands in the back office.
public enum OrderStatus: String, CaseIterable, Sendable {
    case held
    case pending
    case inPreparation = "in_preparation"
    case dispatched
    case invoiced
    case cancelled

    /// The statuses this one may move to; everything else is refused.
    public var allowedNext: Set<OrderStatus> {
        switch self {
        case .held: [.pending, .cancelled]
        case .pending: [.inPreparation, .cancelled]
        case .inPreparation: [.dispatched, .cancelled]
        case .dispatched: [.invoiced]
        case .invoiced, .cancelled: []
        }
    }

    /// Checks a change against the lifecycle.
    public func transition(to next: OrderStatus) throws(StatusTransitionError) -> OrderStatus {
        guard allowedNext.contains(next) else { throw StatusTransitionError(from: self, to: next) }
        return next
    }
}

/// A status change that the order lifecycle does not allow.
public struct StatusTransitionError: Error, Equatable, Sendable, CustomStringConvertible {
    public let from: OrderStatus
    public let to: OrderStatus

    public init(from: OrderStatus, to: OrderStatus) {
        self.from = from
        self.to = to
    }

    public var description: String {
        let allowed = from.allowedNext.map(\.rawValue).sorted()
        let hint = allowed.isEmpty
            ? "\(from.rawValue) is final"
            : "from \(from.rawValue) only \(allowed.joined(separator: " or ")) is allowed"
        return "cannot change an order from \(from.rawValue) to \(to.rawValue): \(hint)"
    }
}
