import Foundation
import PuenteSecurity

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
    /// Nil for an unknown product.
    func product(_ code: String) -> ProductFacts?
    /// The price of `product` (as `product(_:)` gave it) on the price list of `client` (as
    /// `client(_:)` gave it) now; nil when the list does not price it.
    func listPrice(_ client: ClientFacts, _ product: ProductFacts) -> Money?
    /// The price the site `pos` was showing for it at `moment` (Unix time), if any. An error
    /// (the store could not be read) stops the check: it is never taken for a mismatch.
    func publishedPrice(pos: Int, _ priceList: String, _ product: String, atUnix moment: Int64) throws -> Money?
}

public struct ClientFacts: Sendable, Equatable {
    public var active: Bool
    public var webEnabled: Bool
    public var priceList: String
    /// The masters' own key for the client's price list, for `listPrice` (a look-up saved
    /// per order line); -1 when the masters know no such list.
    public var priceListKey: Int
    public var seller: String?

    public init(active: Bool, webEnabled: Bool, priceList: String, priceListKey: Int = -1, seller: String?) {
        self.active = active
        self.webEnabled = webEnabled
        self.priceList = priceList
        self.priceListKey = priceListKey
        self.seller = seller
    }
}

public struct ProductFacts: Sendable, Equatable {
    public var active: Bool
    /// The masters' own key for the product, for `listPrice` (a look-up saved per order line).
    public var index: Int

    public init(active: Bool, index: Int) {
        self.active = active
        self.index = index
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

/// An order checked against the back office, all of it decided: its outcome and every reason,
/// and the values the store posts as they are (the POS as a number, the status, the seller,
/// the lines with their amounts, the content hash, a duplicate's number).
public struct CheckedOrder: Sendable, Equatable {
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

    /// The order as read.
    public let draft: OrderDraft
    public var outcome: OrderOutcome
    public var reasons: [OrderReason]
    /// The point of sale when the order names one as a number (kept for rejected orders too).
    public var pos: Int?
    /// The seller who placed it; nil when the client ordered himself.
    public var seller: String?
    public var moment: OrderMoment?
    public var lines: [Line]
    public var total: Money
    /// SHA-256 (hex) of what tells a duplicate from a conflicting one: client, seller, date
    /// and lines, numbers normalized (`2.50` and `2.5` are the same).
    public var contentHash: String
    /// Its number: a duplicate's is the order's posted before (a site that lost an ack learns
    /// it again); an accepted or held order gets the next of its POS from the importer, which
    /// numbers them as it sends them to be posted; a rejected order has none.
    public var number: OrderNumber?

    /// The status an accepted or held order is posted with; nil for one not posted.
    public var status: OrderStatus? {
        switch outcome {
        case .accepted: .pending
        case .held: .held
        case .rejected, .duplicate: nil
        }
    }

    /// The date as stored: normalized when it could be read, else as sent.
    public var date: String { moment?.text ?? draft.date }
}

/// An order already posted under a POS and id, as a new order with the same ones is compared with it.
public struct PostedOrder: Sendable, Equatable {
    public var contentHash: String
    public var number: OrderNumber

    public init(contentHash: String, number: OrderNumber) {
        self.contentHash = contentHash
        self.number = number
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

    /// Checks `draft` with every rule, and against the order already posted with its POS and
    /// id (`posted`, asked only when the POS is a number): the same content is a `duplicate`
    /// (nothing changes; it keeps that order's number), another content is rejected with
    /// `conflicting-duplicate`. Errors of `posted` or of the masters (the store could not be
    /// read) are thrown: never taken for a verdict.
    public func check(_ draft: OrderDraft,
                      posted: (_ pos: Int, _ webID: String) throws -> PostedOrder? = { _, _ in nil }) throws -> CheckedOrder {
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
        var lines: [CheckedOrder.Line] = []
        lines.reserveCapacity(draft.lines.count)
        var total: Money? = .zero
        var content = Content(draft, moment: moment)
        // The order's products and list prices looked up first, one after another: each
        // look-up is a memory access far from the last (a random product, a large price
        // table), and independent ones can be waited for together.
        let products = draft.lines.map { masters.product($0.product) }
        let listPrices = products.map { product in product.flatMap { product in client.flatMap { masters.listPrice($0, product) } } }
        for (index, line) in draft.lines.enumerated() {
            let item = index + 1
            let quantityValue = Quantity(orderFileText: line.quantity)
            let price = Money(orderFileText: line.price)
            content.add(line, quantity: quantityValue, price: price)
            let quantity = quantityValue.flatMap { $0.units > 0 ? $0 : nil }
            if quantity == nil {
                reason(.invalidQuantity, line: line.line, item: item, product: line.product, got: line.quantity)
            }
            if price == nil { reason(.invalidPrice, line: line.line, item: item, product: line.product, got: line.price) }
            let product = products[index]
            switch product?.active {
            case nil: reason(.unknownProduct, line: line.line, item: item, product: line.product)
            case false?: reason(.productInactive, line: line.line, item: item, product: line.product)
            case true?: break
            }
            var listPrice: Money?
            if let client, product != nil {
                listPrice = listPrices[index]
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

        let contentHash = content.hash()
        var outcome: OrderOutcome = reasons.isEmpty ? .accepted
            : reasons.allSatisfy({ policy.holds($0.code) }) ? .held : .rejected
        var number: OrderNumber?
        if let pos, let earlier = try posted(pos, draft.id) {
            if earlier.contentHash == contentHash {
                outcome = .duplicate
                reasons = []
                number = earlier.number
            } else {
                reasons.append(OrderReason(.conflictingDuplicate, line: draft.line))
                outcome = .rejected
            }
        }
        return CheckedOrder(draft: draft, outcome: outcome, reasons: reasons, pos: pos,
                            seller: draft.seller.isEmpty ? nil : draft.seller, moment: moment, lines: lines,
                            total: total ?? .zero, contentHash: contentHash, number: number)
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
    /// so `2.50` and `2.5` are the same content; the parts joined by U+001F. Its SHA-256 is
    /// stored with each order: these bytes must never change (a site's resend would become a
    /// conflicting duplicate).
    struct Content {
        private var bytes: [UInt8] = []

        init(_ draft: OrderDraft, moment: OrderMoment?) {
            bytes.reserveCapacity(64 + draft.lines.count * 32)
            append(draft.client)
            separate()
            append(draft.seller)
            separate()
            if let moment { append(moment.unixTime) } else { append(draft.date) }
        }

        mutating func add(_ line: OrderDraft.Line, quantity: Quantity?, price: Money?) {
            separate()
            append(line.product)
            separate()
            if let quantity { append(quantity.units) } else { append(line.quantity) }
            separate()
            if let price { append(price.units) } else { append(line.price) }
        }

        /// Lower-case hex of the SHA-256.
        func hash() -> String { SHA256.hash(bytes).hexString }

        private mutating func separate() { bytes.append(0x1F) }
        private mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }
        private mutating func append(_ value: Int64) {
            // Digits written backwards into 20 bytes on the stack, then appended at once.
            var magnitude = value.magnitude
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
                var start = 20
                repeat {
                    start -= 1
                    digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                    magnitude /= 10
                } while magnitude > 0
                if value < 0 { bytes.append(UInt8(ascii: "-")) }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<20]))
            }
        }
    }

    /// The content as earlier versions built it, as text: tests check `Content` gives the same bytes.
    static func contentText(of draft: OrderDraft, moment: OrderMoment?) -> String {
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
        if let offset {
            // The usual case (sites write the offset): plain arithmetic on the proleptic
            // Gregorian calendar, as Foundation's would give, without building a Calendar.
            guard day >= 1, day <= daysIn(month, of: year) else { return nil }
            let local = Int64(daysSinceEpoch(year, month, day)) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
            // Already as stored (seconds, no fraction, `±HH:MM`, never `-00:00`): kept as sent.
            let canonical = bytes.count == 25 && index == 19 && !(offset == 0 && bytes[19] == UInt8(ascii: "-"))
            return OrderMoment(text: canonical ? text : formatted(year, month, day, hour, minute, second, offset: offset),
                               unixTime: local - Int64(offset))
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = offset.flatMap { TimeZone(secondsFromGMT: $0) } ?? timezone
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard components.isValidDate(in: calendar), let date = calendar.date(from: components) else { return nil }
        let unix = Int64(date.timeIntervalSince1970)
        let zoneOffset = offset ?? timezone.secondsFromGMT(for: date)
        return OrderMoment(text: formatted(year, month, day, hour, minute, second, offset: zoneOffset), unixTime: unix)
    }

    static func daysIn(_ month: Int, of year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (year ≥ 1970 here).
    static func daysSinceEpoch(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = y / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func formatted(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int,
                                  offset: Int) -> String {
        Timestamp.text(year: year, month: month, day: day, hour: hour, minute: minute, second: second, offset: offset)
    }
}
