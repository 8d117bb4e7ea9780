import Foundation

/// An order as read from a file: every value still text, as the site wrote it, with the lines
/// of the file it came from.
public struct OrderDraft: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public var product: String
        public var quantity: String
        public var price: String
        /// The file line of this order line.
        public var line: Int

        public init(product: String, quantity: String, price: String, line: Int) {
            self.product = product
            self.quantity = quantity
            self.price = price
            self.line = line
        }
    }

    public var id: String
    public var pos: String
    public var date: String
    public var client: String
    /// Empty when the client ordered himself.
    public var seller: String
    public var note: String
    /// The file line where the order starts.
    public var line: Int
    public var lines: [Line]

    public init(id: String, pos: String, date: String, client: String, seller: String = "", note: String = "",
                line: Int, lines: [Line] = []) {
        self.id = id
        self.pos = pos
        self.date = date
        self.client = client
        self.seller = seller
        self.note = note
        self.line = line
        self.lines = lines
    }
}

/// What the validator needs to know of the back office.
public protocol OrderMasters {
    func isSite(_ pos: Int) -> Bool
    func client(_ code: String) -> ClientFacts?
    func seller(_ code: String) -> SellerFacts?
    /// Nil for an unknown product; otherwise whether it is active.
    func productIsActive(_ code: String) -> Bool?
    /// The price of `product` on `priceList` now; nil when the list does not price it.
    func listPrice(_ priceList: String, _ product: String) -> Money?
    /// The price the site `pos` was showing for it at `moment` (Unix time), if any. An error
    /// (the store could not be read) stops the check: it is never taken for a mismatch.
    func publishedPrice(pos: Int, _ priceList: String, _ product: String, atUnix moment: Int64) throws -> Money?
}

public struct ClientFacts: Sendable, Equatable {
    public var active: Bool
    public var webEnabled: Bool
    public var priceList: String
    public var seller: String?

    public init(active: Bool, webEnabled: Bool, priceList: String, seller: String?) {
        self.active = active
        self.webEnabled = webEnabled
        self.priceList = priceList
        self.seller = seller
    }
}

public struct SellerFacts: Sendable, Equatable {
    public var active: Bool
    public var webEnabled: Bool

    public init(active: Bool, webEnabled: Bool) {
        self.active = active
        self.webEnabled = webEnabled
    }
}

/// A checked order: its outcome, every reason, and the values to post.
public struct OrderVerdict: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public var product: String
        public var quantity: Quantity
        public var price: Money
        /// The client's list price when the order was checked (nil: not on the list).
        public var listPrice: Money?
        /// `price × quantity`, rounded to cents.
        public var amount: Money
        public var line: Int
    }

    public var outcome: OrderOutcome
    public var reasons: [OrderReason]
    /// Set when the order can be posted (accepted or held).
    public var pos: Int?
    public var moment: OrderMoment?
    public var lines: [Line]
    public var total: Money
    /// The content that tells a duplicate from a conflicting one (client, seller, date, lines).
    public var content: String
}

extension OrderVerdict {
    /// The verdict once it is known that an order with the same POS and id was already
    /// posted: `duplicate` when that order has the same content (nothing changes), otherwise
    /// rejected with `conflicting-duplicate` added to the reasons.
    public func resolvingDuplicate(sameContent: Bool, line: Int) -> OrderVerdict {
        var verdict = self
        if sameContent {
            verdict.outcome = .duplicate
            verdict.reasons = []
        } else {
            verdict.reasons.append(OrderReason(.conflictingDuplicate, line: line))
            verdict.outcome = .rejected
            verdict.pos = nil
        }
        return verdict
    }
}

/// An order's date: the text as sent and the instant it names.
public struct OrderMoment: Sendable, Equatable {
    /// ISO 8601 with offset, as stored (`2026-11-28T10:15:00-03:00`).
    public var text: String
    public var unixTime: Int64
}

/// The order rules of the contract, with no files or SQL: every reason that applies is listed,
/// and a rule never fires on something already unknown.
public struct OrderValidator {
    public let masters: any OrderMasters
    public let policy: ValidationPolicy
    /// For dates without an offset.
    public let timezone: TimeZone

    public init(masters: any OrderMasters, policy: ValidationPolicy, timezone: TimeZone) {
        self.masters = masters
        self.policy = policy
        self.timezone = timezone
    }

    /// Checks `draft`. `alreadyPosted` is given when an order with the same POS and id was
    /// already posted: it says whether a content (see `OrderVerdict.content`) is that order's.
    public func check(_ draft: OrderDraft, alreadyPosted: ((String) -> Bool)? = nil) throws -> OrderVerdict {
        var reasons: [OrderReason] = []
        func reason(_ code: ReasonCode, line: Int? = nil, item: Int? = nil, product: String? = nil,
                    expected: String? = nil, got: String? = nil, message: String? = nil) {
            // A value that XML 1.0 cannot carry is named as such (the ack shows it escaped).
            let message = message ?? got.flatMap(SafeText.firstNonXMLCharacter).map {
                "holds the control character \(SafeText.codePoint($0))"
            }
            reasons.append(OrderReason(code, line: line ?? draft.line, item: item, product: product, expected: expected,
                                       got: got, message: message))
        }

        let pos = Self.pointOfSale(draft.pos)
        if pos.map(masters.isSite) != true { reason(.unknownPOS, got: draft.pos) }

        let moment = OrderDateParser.parse(draft.date, timezone: timezone)
        if moment == nil { reason(.invalidDate, got: draft.date) }

        let client = masters.client(draft.client)
        if let client {
            if !client.active { reason(.clientInactive, got: draft.client) }
            if draft.seller.isEmpty, !client.webEnabled { reason(.clientNotWebEnabled, got: draft.client) }
        } else {
            reason(.unknownClient, got: draft.client)
        }
        if !draft.seller.isEmpty {
            if let seller = masters.seller(draft.seller) {
                if !seller.active { reason(.sellerInactive, got: draft.seller) }
                if !seller.webEnabled { reason(.sellerNotWebEnabled, got: draft.seller) }
                if let client, client.seller != draft.seller {
                    reason(.clientNotAssignedToSeller, got: draft.seller)
                }
            } else {
                reason(.unknownSeller, got: draft.seller)
            }
        }

        if draft.lines.isEmpty { reason(.emptyOrder) }
        var lines: [OrderVerdict.Line] = []
        var total: Money? = .zero
        for (index, line) in draft.lines.enumerated() {
            let item = index + 1
            let quantity = Quantity(orderFileText: line.quantity).flatMap { $0.units > 0 ? $0 : nil }
            if quantity == nil {
                reason(.invalidQuantity, line: line.line, item: item, product: line.product, got: line.quantity)
            }
            let price = Money(orderFileText: line.price)
            if price == nil { reason(.invalidPrice, line: line.line, item: item, product: line.product, got: line.price) }
            let active = masters.productIsActive(line.product)
            switch active {
            case nil: reason(.unknownProduct, line: line.line, item: item, product: line.product)
            case false?: reason(.productInactive, line: line.line, item: item, product: line.product)
            case true?: break
            }
            var listPrice: Money?
            if let client, active != nil {
                listPrice = masters.listPrice(client.priceList, line.product)
                if listPrice == nil {
                    reason(.noPrice, line: line.line, item: item, product: line.product, got: client.priceList)
                } else if let price, let listPrice, !price.isWithin(policy.priceTolerance, of: listPrice),
                          try !shownBefore(price, pos: pos, list: client.priceList, product: line.product, moment: moment) {
                    reason(.priceMismatch, line: line.line, item: item, product: line.product,
                           expected: listPrice.description, got: price.description)
                }
            }
            guard let quantity, let price else { continue }
            // Amounts are checked, never trapped on or wrapped: an order whose amounts cannot
            // be represented is rejected, naming the line and the value.
            guard let amount = price.extended(by: quantity) else {
                reason(.invalidQuantity, line: line.line, item: item, product: line.product, got: line.quantity,
                       message: "price × quantity is beyond \(Money.maximum), the largest amount Puente keeps")
                continue
            }
            if let sum = total, let next = sum.adding(amount) {
                total = next
            } else if total != nil {
                total = nil
                reason(.invalidQuantity, line: line.line, item: item, product: line.product, got: line.quantity,
                       message: "the order's total is beyond \(Money.maximum), the largest amount Puente keeps")
            }
            lines.append(.init(product: line.product, quantity: quantity, price: price, listPrice: listPrice,
                               amount: amount, line: line.line))
        }

        let content = Self.content(of: draft, moment: moment)
        let outcome: OrderOutcome = reasons.isEmpty ? .accepted
            : reasons.allSatisfy({ policy.holds($0.code) }) ? .held : .rejected
        let verdict = OrderVerdict(outcome: outcome, reasons: reasons, pos: outcome == .rejected ? nil : pos,
                                   moment: moment, lines: lines, total: total ?? .zero, content: content)
        guard let alreadyPosted else { return verdict }
        return verdict.resolvingDuplicate(sameContent: alreadyPosted(content), line: draft.line)
    }

    /// A point of sale as written in an order: 1 to 9999, ASCII digits only (`Int("+9900")`
    /// would take a sign, and a leading zero would make `09900` a second spelling).
    public static func pointOfSale(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 4, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              text.utf8.first != UInt8(ascii: "0"), let value = Int(text) else { return nil }
        return value
    }

    /// A price the site was showing before the order's date is not a mismatch: the site may
    /// not have received the new prices yet.
    private func shownBefore(_ price: Money, pos: Int?, list: String, product: String, moment: OrderMoment?) throws -> Bool {
        guard let pos, let moment,
              let shown = try masters.publishedPrice(pos: pos, list, product, atUnix: moment.unixTime) else { return false }
        return price.isWithin(policy.priceTolerance, of: shown)
    }

    /// Client, seller, date and lines (product, quantity, price, in order), numbers normalized
    /// so `2.50` and `2.5` are the same content.
    static func content(of draft: OrderDraft, moment: OrderMoment?) -> String {
        var parts = [draft.client, draft.seller, moment.map { String($0.unixTime) } ?? draft.date]
        for line in draft.lines {
            parts.append(line.product)
            parts.append(Quantity(orderFileText: line.quantity).map { String($0.units) } ?? line.quantity)
            parts.append(Money(orderFileText: line.price).map { String($0.units) } ?? line.price)
        }
        return parts.joined(separator: "\u{1F}")
    }
}

/// ISO 8601 order dates: `2026-11-28T10:15:00-03:00`, `…Z`, or without an offset (then in
/// the configured time zone); seconds optional, fractions of a second allowed and dropped
/// (`…T10:15:00.123Z`, as JavaScript's `toISOString()` writes); offsets up to ±14:00.
public enum OrderDateParser {
    /// The widest offset in use anywhere (Kiribati, +14:00).
    static let maximumOffset = 14 * 3600

    public static func parse(_ text: String, timezone: TimeZone) -> OrderMoment? {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[range] {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard bytes.count >= 16, bytes.count <= 40, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"),
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16)
        else { return nil }
        var index = 16
        var second = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ":") {
            guard let value = number(17..<19) else { return nil }
            second = value
            index = 19
            // A fraction of a second: 1 to 9 digits, dropped (orders are kept to the second).
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                var end = index + 1
                while end < bytes.count, bytes[end] >= 0x30, bytes[end] <= 0x39 { end += 1 }
                guard (1...9).contains(end - index - 1) else { return nil }
                index = end
            }
        }
        var offset: Int?
        if index < bytes.count {
            let sign = bytes[index]
            if sign == UInt8(ascii: "Z"), index + 1 == bytes.count {
                offset = 0
            } else if sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-"), bytes.count == index + 6,
                      bytes[index + 3] == UInt8(ascii: ":"),
                      let hours = number(index + 1..<index + 3), let minutes = number(index + 4..<index + 6),
                      minutes < 60, hours * 3600 + minutes * 60 <= maximumOffset {
                offset = (hours * 3600 + minutes * 60) * (sign == UInt8(ascii: "-") ? -1 : 1)
            } else {
                return nil
            }
        }
        guard (1...12).contains(month), hour < 24, minute < 60, second < 60, year >= 1970 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = offset.flatMap { TimeZone(secondsFromGMT: $0) } ?? timezone
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard components.isValidDate(in: calendar), let date = calendar.date(from: components) else { return nil }
        let unix = Int64(date.timeIntervalSince1970)
        let zoneOffset = offset ?? timezone.secondsFromGMT(for: date)
        return OrderMoment(text: formatted(year, month, day, hour, minute, second, offset: zoneOffset), unixTime: unix)
    }

    private static func formatted(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int,
                                  offset: Int) -> String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let sign = offset < 0 ? "-" : "+"
        return "\(year)-\(two(month))-\(two(day))T\(two(hour)):\(two(minute)):\(two(second))"
            + "\(sign)\(two(abs(offset) / 3600)):\(two(abs(offset) % 3600 / 60))"
    }
}
