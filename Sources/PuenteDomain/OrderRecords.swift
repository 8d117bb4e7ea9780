/// What a person sees of a posted order and does with it: the order whole, a status change
/// refused, a release.

/// Why a status change could not be applied.
public enum StatusChangeRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownOrder(OrderNumber)
    case notAllowed(OrderNumber, StatusTransitionError)
    /// Release and reject are for held orders (`action` says which was asked).
    case notHeld(OrderNumber, OrderStatus, action: String)
    /// A release with `--reprice`: a line's product has no price on the client's list now.
    case cannotReprice(OrderNumber, product: String, priceList: String)

    public var description: String {
        switch self {
        case .unknownOrder(let number): "order \(number) does not exist"
        case .notAllowed(let number, let error): "order \(number): \(error)"
        case .notHeld(let number, let status, let action):
            "order \(number) is \(status.rawValue), not held: only a held order can be \(action == "reject" ? "rejected" : "released"); "
                + (status.allowedNext.isEmpty ? "\(status.rawValue) is final"
                   : "from \(status.rawValue) only \(status.allowedNext.map(\.rawValue).sorted().joined(separator: " or ")) is allowed")
        case .cannotReprice(let number, let product, let list):
            "order \(number): cannot reprice: \(product) has no price on list \(list) now; nothing was changed"
        }
    }
}

/// One posted order as a person looks at it (`puente orders show`).
public struct OrderDetail: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public var item: Int
        public var product: String
        public var description: String
        public var quantity: Quantity
        public var price: Money
        /// The client's list price when the order was posted (or repriced).
        public var listPrice: Money?
        public var amount: Money
        /// The line of the source file.
        public var sourceLine: Int

        public init(item: Int, product: String, description: String, quantity: Quantity, price: Money, listPrice: Money?,
                    amount: Money, sourceLine: Int) {
            self.item = item
            self.product = product
            self.description = description
            self.quantity = quantity
            self.price = price
            self.listPrice = listPrice
            self.amount = amount
            self.sourceLine = sourceLine
        }
    }

    public struct Change: Sendable, Equatable {
        public var from: OrderStatus?
        public var to: OrderStatus
        public var changed: String
        /// Who or what: `import`, `order_status.csv`, `person:NAME`.
        public var source: String
        public var note: String

        public init(from: OrderStatus?, to: OrderStatus, changed: String, source: String, note: String) {
            self.from = from
            self.to = to
            self.changed = changed
            self.source = source
            self.note = note
        }
    }

    public var number: OrderNumber
    public var webID: String
    public var status: OrderStatus
    public var date: String
    public var client: String
    public var clientName: String
    public var priceList: String?
    public var seller: String?
    public var note: String
    public var total: Money
    public var sourceFile: String
    public var sourceLine: Int
    public var created: String
    public var lines: [Line]
    public var history: [Change]
    /// Why it was held (empty for an order that was accepted).
    public var reasons: [OrderReason]

    public init(number: OrderNumber, webID: String, status: OrderStatus, date: String, client: String, clientName: String,
                priceList: String?, seller: String?, note: String, total: Money, sourceFile: String, sourceLine: Int,
                created: String, lines: [Line], history: [Change], reasons: [OrderReason]) {
        self.number = number
        self.webID = webID
        self.status = status
        self.date = date
        self.client = client
        self.clientName = clientName
        self.priceList = priceList
        self.seller = seller
        self.note = note
        self.total = total
        self.sourceFile = sourceFile
        self.sourceLine = sourceLine
        self.created = created
        self.lines = lines
        self.history = history
        self.reasons = reasons
    }
}

/// What releasing a held order changed.
public struct Release: Sendable, Equatable {
    public struct Repriced: Sendable, Equatable {
        public var item: Int
        public var product: String
        public var was: Money
        public var now: Money

        public init(item: Int, product: String, was: Money, now: Money) {
            self.item = item
            self.product = product
            self.was = was
            self.now = now
        }
    }

    public var repriced: [Repriced] = []
    public var totalBefore: Money
    public var totalAfter: Money

    public init(totalBefore: Money, totalAfter: Money) {
        self.totalBefore = totalBefore
        self.totalAfter = totalAfter
    }
}

/// An order a person should look at: rejected (kept with its reasons) or held.
public struct OrderAttention: Sendable, Equatable {
    public var outcome: OrderOutcome
    /// The site's order id.
    public var order: String
    public var pos: Int?
    /// A held order's number (a rejected one has none).
    public var number: OrderNumber?
    /// The order's date as the site sent it.
    public var date: String
    public var client: String
    public var seller: String?
    /// The file it came in, and the line where it starts.
    public var file: String
    public var line: Int
    /// When Puente took it.
    public var taken: String
    public var reasons: [OrderReason]

    public init(outcome: OrderOutcome, order: String, pos: Int?, number: OrderNumber?, date: String, client: String,
                seller: String?, file: String, line: Int, taken: String, reasons: [OrderReason]) {
        self.outcome = outcome
        self.order = order
        self.pos = pos
        self.number = number
        self.date = date
        self.client = client
        self.seller = seller
        self.file = file
        self.line = line
        self.taken = taken
        self.reasons = reasons
    }
}
