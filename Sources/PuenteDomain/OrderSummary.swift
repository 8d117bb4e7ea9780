/// A posted order as reports show it.
public struct OrderSummary: Codable, Sendable, Equatable {
    public var number: String
    public var order: String
    public var pos: Int
    public var date: String
    public var client: String
    public var clientName: String
    public var seller: String?
    public var status: String
    public var lines: Int
    /// The total with a decimal point and two decimals (`12345.60`).
    public var total: String

    public init(number: String, order: String, pos: Int, date: String, client: String, clientName: String,
                seller: String?, status: String, lines: Int, total: String) {
        self.number = number
        self.order = order
        self.pos = pos
        self.date = date
        self.client = client
        self.clientName = clientName
        self.seller = seller
        self.status = status
        self.lines = lines
        self.total = total
    }
}

/// Which posted orders a report takes.
public struct OrderQuery: Sendable, Equatable {
    /// Order dates from and to (inclusive), `yyyy-mm-dd`, the order's own day.
    public var from: String?
    public var to: String?
    public var status: OrderStatus?
    public var pos: Int?
    public var client: String?
    public var seller: String?

    public init(from: String? = nil, to: String? = nil, status: OrderStatus? = nil, pos: Int? = nil, client: String? = nil,
                seller: String? = nil) {
        self.from = from
        self.to = to
        self.status = status
        self.pos = pos
        self.client = client
        self.seller = seller
    }
}
