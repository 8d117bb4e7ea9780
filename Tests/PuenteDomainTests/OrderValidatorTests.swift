import Foundation
@testable import PuenteDomain
import PuenteSecurity
import Testing

/// The back office as the validator sees it, built in code.
struct FakeMasters: OrderMasters {
    var sites: Set<Int> = [9900]
    var clients: [String: ClientFacts] = [
        "C1": ClientFacts(active: true, webEnabled: true, priceList: "L1", seller: "V1"),
        "C2": ClientFacts(active: true, webEnabled: false, priceList: "L1", seller: "V1"),
        "C3": ClientFacts(active: false, webEnabled: true, priceList: "L1", seller: nil),
        "C4": ClientFacts(active: true, webEnabled: true, priceList: "L1", seller: "V2"),
    ]
    var sellers: [String: SellerFacts] = [
        "V1": SellerFacts(active: true, webEnabled: true),
        "V2": SellerFacts(active: true, webEnabled: false),
        "V3": SellerFacts(active: false, webEnabled: true),
    ]
    var products: [String: Bool] = ["P1": true, "P2": true, "P9": false]
    var prices: [String: Money] = ["L1/P1": Money("1200.00")!, "L1/P9": Money("10.00")!]
    var published: [String: Money] = [:]

    func isSite(_ pos: Int) -> Bool { sites.contains(pos) }
    func client(_ code: String) -> ClientFacts? { clients[code] }
    func seller(_ code: String) -> SellerFacts? { sellers[code] }
    var productCodes: [String] { products.keys.sorted() }
    func product(_ code: String) -> ProductFacts? {
        products[code].map { ProductFacts(active: $0, index: productCodes.firstIndex(of: code)!) }
    }
    func listPrice(_ client: ClientFacts, _ product: ProductFacts) -> Money? {
        prices["\(client.priceList)/\(productCodes[product.index])"]
    }
    func publishedPrice(pos: Int, _ priceList: String, _ product: String, atUnix moment: Int64) throws -> Money? {
        published["\(priceList)/\(product)"]
    }
}

@Suite struct OrderValidatorTests {
    let zone = TimeZone(identifier: "America/Argentina/Buenos_Aires")!

    func validator(_ masters: FakeMasters = FakeMasters(), policy: ValidationPolicy = ValidationPolicy()) -> OrderValidator {
        OrderValidator(masters: masters, policy: policy, timezone: zone)
    }

    func order(client: String = "C1", seller: String = "", pos: String = "9900", date: String = "2026-11-28T10:15:00-03:00",
               lines: [(String, String, String)] = [("P1", "3", "1200.00")]) -> OrderDraft {
        OrderDraft(id: "W-1", pos: pos, date: date, client: client, seller: seller, line: 3,
                   lines: lines.enumerated().map { .init(product: $1.0, quantity: $1.1, price: $1.2, line: 4 + $0) })
    }

    func codes(_ verdict: CheckedOrder) -> [String] { verdict.reasons.map(\.code.rawValue) }

    @Test func acceptsAWebClientAtItsListPrice() throws {
        let verdict = try validator().check(order(lines: [("P1", "2.5", "1200")]))
        #expect(verdict.outcome == .accepted)
        #expect(verdict.reasons.isEmpty)
        #expect(verdict.pos == 9900)
        #expect(verdict.total == Money("3000.00"))
        #expect(verdict.moment?.text == "2026-11-28T10:15:00-03:00")
        #expect(verdict.lines.first?.listPrice == Money("1200"))
    }

    @Test func everyOrderWideRule() throws {
        #expect(codes(try validator().check(order(pos: "9950"))) == ["unknown-pos"])
        #expect(codes(try validator().check(order(pos: "abc"))) == ["unknown-pos"])
        #expect(codes(try validator().check(order(client: "C404"))) == ["unknown-client"])
        #expect(codes(try validator().check(order(client: "C3"))) == ["client-inactive"])
        #expect(codes(try validator().check(order(client: "C2"))) == ["client-not-web-enabled"])
        #expect(codes(try validator().check(order(client: "C2", seller: "V1"))) == [], "a seller orders for a client without web access")
        #expect(codes(try validator().check(order(client: "C2", seller: "V404"))) == ["unknown-seller"],
                "no client-not-assigned-to-seller for an unknown seller")
        #expect(codes(try validator().check(order(client: "C4", seller: "V2"))) == ["seller-not-web-enabled"])
        #expect(codes(try validator().check(order(client: "C1", seller: "V3"))) == ["seller-inactive", "client-not-assigned-to-seller"])
        #expect(codes(try validator().check(order(date: "2026-13-45T10:00:00-03:00"))) == ["invalid-date"])
        #expect(codes(try validator().check(order(lines: []))) == ["empty-order"])
    }

    @Test func everyLineRule() throws {
        #expect(codes(try validator().check(order(lines: [("P404", "1", "1")]))) == ["unknown-product"],
                "no no-price or price-mismatch for an unknown product")
        #expect(codes(try validator().check(order(lines: [("P9", "1", "10")]))) == ["product-inactive"])
        #expect(codes(try validator().check(order(lines: [("P2", "1", "10")]))) == ["no-price"])
        #expect(codes(try validator().check(order(lines: [("P1", "abc", "1200")]))) == ["invalid-quantity"])
        #expect(codes(try validator().check(order(lines: [("P1", "0", "1200")]))) == ["invalid-quantity"])
        #expect(codes(try validator().check(order(lines: [("P1", "1.0001", "1200")]))) == ["invalid-quantity"], "at most 3 decimals")
        #expect(codes(try validator().check(order(lines: [("P1", "1", "-5")]))) == ["invalid-price"],
                "no price-mismatch for an invalid price")
        #expect(codes(try validator().check(order(lines: [("P1", "1", "12,00")]))) == ["invalid-price"])
        let mismatch = try validator().check(order(lines: [("P1", "1", "1234.50")]))
        #expect(mismatch.outcome == .held)
        #expect(mismatch.reasons == [OrderReason(.priceMismatch, line: 4, item: 1, product: "P1", expected: "1200.00", got: "1234.50")])
        #expect(mismatch.reasons[0].summary == "price-mismatch for P1 (list 1200.00, got 1234.50)")
    }

    @Test func listsEveryReasonAndTheWorstOutcomeWins() throws {
        let verdict = try validator().check(order(client: "C3", pos: "1", lines: [("P9", "1", "10"), ("P1", "x", "1300")]))
        #expect(codes(verdict) == ["unknown-pos", "client-inactive", "product-inactive", "invalid-quantity", "price-mismatch"])
        #expect(verdict.reasons.map(\.line) == [3, 3, 4, 5, 5])
        #expect(verdict.outcome == .rejected)
        #expect(verdict.status == nil, "a rejected order is not posted")
        #expect(verdict.pos == 1, "its POS, a number, is kept with it")
        #expect(try validator().check(order(lines: [("P9", "1", "10"), ("P1", "1", "1300")])).outcome == .held)
    }

    @Test func policiesAndTolerance() throws {
        let strict = ValidationPolicy(holdPriceMismatch: false, holdInactiveProduct: false)
        #expect(try validator(policy: strict).check(order(lines: [("P1", "1", "1201")])).outcome == .rejected)
        #expect(try validator(policy: strict).check(order(lines: [("P9", "1", "10")])).outcome == .rejected)
        let tolerant = ValidationPolicy(priceTolerance: Money("0.50")!)
        #expect(try validator(policy: tolerant).check(order(lines: [("P1", "1", "1200.50")])).outcome == .accepted)
        #expect(try validator(policy: tolerant).check(order(lines: [("P1", "1", "1200.51")])).outcome == .held)
    }

    @Test func aPriceTheSiteWasShowingIsNoMismatch() throws {
        var masters = FakeMasters()
        masters.published["L1/P1"] = Money("1150.00")!
        #expect(try validator(masters).check(order(lines: [("P1", "1", "1150")])).outcome == .accepted)
        #expect(try validator(masters).check(order(lines: [("P1", "1", "1100")])).outcome == .held)
    }

    @Test func duplicatesByContent() throws {
        let first = try validator().check(order(lines: [("P1", "2.5", "1200.00")]))
        let number = OrderNumber(pos: 9900, sequence: 7)
        var asked: [String] = []
        let posted = { (pos: Int, id: String) -> PostedOrder? in
            asked.append("\(pos) \(id)")
            return PostedOrder(contentHash: first.contentHash, number: number)
        }
        let same = try validator().check(order(lines: [("P1", "2.50", "1200")]), posted: posted)
        #expect(same.outcome == .duplicate)
        #expect(same.number == number, "a duplicate keeps the number of the order posted")
        #expect(same.reasons.isEmpty)
        let other = try validator().check(order(lines: [("P1", "3", "1200")]), posted: posted)
        #expect(other.outcome == .rejected)
        #expect(codes(other) == ["conflicting-duplicate"])
        #expect(other.number == nil)
        #expect(asked == ["9900 W-1", "9900 W-1"])
        // A POS that is not a number has nothing posted under it: the store is not asked.
        _ = try validator().check(order(pos: "abc"), posted: posted)
        #expect(asked.count == 2)
    }

    /// A store that cannot be read stops the check: its error is never a verdict.
    @Test func aFailingLookupIsThrownNotJudged() {
        struct Unreadable: Error {}
        #expect(throws: Unreadable.self) {
            try validator().check(order(), posted: { _, _ in throw Unreadable() })
        }
    }

    @Test func orderDates() throws {
        func text(_ date: String) -> String? { OrderDateParser.parse(date, timezone: zone)?.text }
        #expect(text("2026-11-28T10:15:00-03:00") == "2026-11-28T10:15:00-03:00")
        #expect(text("2026-11-28T10:15") == "2026-11-28T10:15:00-03:00", "no offset: the configured zone")
        #expect(text("2026-11-28T13:15:00Z") == "2026-11-28T13:15:00+00:00")
        #expect(OrderDateParser.parse("2026-11-28T13:15:00Z", timezone: zone)?.unixTime
                == OrderDateParser.parse("2026-11-28T10:15:00-03:00", timezone: zone)?.unixTime)
        for bad in ["2026-13-45T10:00:00-03:00", "2026-02-30T10:00:00-03:00", "28/11/2026", "2026-11-28", "2026-11-28T25:00:00Z",
                    "2026-11-28T10:15:00-3", "2026-11-28T10:15:00+03:00x", ""] {
            #expect(text(bad) == nil, "\(bad)")
        }
    }

    /// Dates with an offset are computed without Foundation's Calendar: every day from 1970 to
    /// 2101 (leap years, the last day of each month and the one after it) gives the instant
    /// and the text Calendar gives.
    @Test func offsetDatesAgreeWithFoundationsCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: -3 * 3600)!
        for year in 1970...2101 {
            for month in 1...12 {
                for day in [1, 15, 28, 29, 30, 31] {
                    let components = DateComponents(year: year, month: month, day: day, hour: 23, minute: 59, second: 58)
                    let text = String(format: "%04d-%02d-%02dT23:59:58-03:00", year, month, day)
                    let parsed = OrderDateParser.parse(text, timezone: zone)
                    if components.isValidDate(in: calendar), let date = calendar.date(from: components) {
                        #expect(parsed?.unixTime == Int64(date.timeIntervalSince1970), "\(text)")
                        #expect(parsed?.text == text)
                    } else {
                        #expect(parsed == nil, "\(text) is not a date")
                    }
                }
            }
        }
    }

    /// The content hash stored with every order is the SHA-256 of the bytes earlier versions
    /// joined as text: a site's resend of an order posted before must stay a duplicate.
    @Test func contentBytesAreThoseOfEarlierVersions() {
        let drafts = [
            order(lines: [("P1", "2.5", "1200.00"), ("P2", "-1", "x"), ("P9", "0.001", "99999999.9999")]),
            order(seller: "V1", date: "not a date", lines: []),
            order(client: "Cliente ñandú", lines: [("Ürün", "1e3", "-5")]),
        ]
        for draft in drafts {
            let moment = OrderDateParser.parse(draft.date, timezone: zone)
            let checked = try? validator().check(draft)
            #expect(checked?.contentHash == SHA256.hash(Array(OrderValidator.contentText(of: draft, moment: moment).utf8)).hexString)
        }
    }
}

@Suite struct StoredTextTests {
    @Test func reasonsAsJSONReadBackAsTheyWereAndMatchTheEncoderOnPlainValues() throws {
        let reasons = [
            OrderReason(.priceMismatch, line: 14, item: 2, product: "P01234", expected: "1200.00", got: "1234.50"),
            OrderReason(.unknownClient, line: 3),
            OrderReason(.invalidQuantity, line: 9, item: 1, product: "a\"b\\c/d", got: "tab\there\nnew\u{1}line ñ€"),
            OrderReason(.schemaViolation, line: 1, message: ""),
        ]
        let json = OrderReason.json(reasons)
        #expect(try JSONDecoder().decode([OrderReason].self, from: Data(json.utf8)) == reasons)
        #expect(OrderReason.json([]) == "[]")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let plain = [reasons[0], reasons[1]]
        #expect(OrderReason.json(plain) == String(decoding: try encoder.encode(plain), as: UTF8.self))
        #expect(json.contains("\\u0001") && json.contains("\\t") && json.contains("\\n") && json.contains("a\\\"b\\\\c"))
    }

    @Test func timestampsAreWrittenByteByByteAsTheFormulaWrites() {
        func formula(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int, _ offset: Int) -> String {
            let sign = offset < 0 ? "-" : "+"
            return "\(y.zeroPadded(4))-\(mo.zeroPadded(2))-\(d.zeroPadded(2))T\(h.zeroPadded(2)):\(mi.zeroPadded(2)):"
                + "\(s.zeroPadded(2))\(sign)\((abs(offset) / 3600).zeroPadded(2)):\((abs(offset) % 3600 / 60).zeroPadded(2))"
        }
        let cases = [(2026, 11, 28, 10, 15, 0, -10_800), (1970, 1, 1, 0, 0, 0, 0), (2026, 12, 31, 23, 59, 59, 50_400),
                     (999, 5, 6, 7, 8, 9, 19_800), (9999, 12, 31, 23, 59, 59, -43_200), (12_026, 1, 2, 3, 4, 5, 3600)]
        for (y, mo, d, h, mi, s, offset) in cases {
            #expect(Timestamp.text(year: y, month: mo, day: d, hour: h, minute: mi, second: s, offset: offset)
                        == formula(y, mo, d, h, mi, s, offset))
        }
        #expect(Timestamp.text(year: 2026, month: 11, day: 28, hour: 10, minute: 15, second: 0, offset: -10_800)
                    == "2026-11-28T10:15:00-03:00")
    }

    @Test func orderNumbersAreWrittenDigitByDigitAsTheFormulaWrites() {
        let cases = [(9900, 1), (0, 0), (9999, 99_999_999), (1, 12_345_678), (42, 100_000), (10_000, 1), (9900, 100_000_000), (-1, 5)]
        for (pos, sequence) in cases {
            #expect(OrderNumber(pos: pos, sequence: sequence).description == pos.zeroPadded(4) + "-" + sequence.zeroPadded(8))
        }
        #expect(OrderNumber(pos: 9900, sequence: 7).description == "9900-00000007")
    }

    @Test func textWithoutSuspiciousBytesIsCleanAndAControlCharacterIsFoundWhereverItIs() {
        #expect(SafeText.firstNonXMLCharacter(in: "W-0000123 Almacén Ñandú €") == nil)
        #expect(SafeText.firstNonXMLCharacter(in: String(repeating: "x", count: 100) + "\u{1B}") == "\u{1B}")
        #expect(SafeText.firstNonXMLCharacter(in: "ab\u{FFFE}") == "\u{FFFE}")
        #expect(SafeText.firstNonXMLCharacter(in: "tab\tand\nlines\r") == nil)
        #expect(SafeText.firstNonXMLCharacter(in: "x\u{7}") == "\u{7}")
    }

    @Test func anOrderDateAlreadyInTheStoredFormIsKeptAndOthersAreRewritten() throws {
        let utc = try #require(TimeZone(identifier: "UTC"))
        #expect(OrderDateParser.parse("2026-11-28T10:15:00-03:00", timezone: utc)?.text == "2026-11-28T10:15:00-03:00")
        #expect(OrderDateParser.parse("2026-11-28T10:15:00-00:00", timezone: utc)?.text == "2026-11-28T10:15:00+00:00")
        #expect(OrderDateParser.parse("2026-11-28T13:15:00.123Z", timezone: utc)?.text == "2026-11-28T13:15:00+00:00")
        #expect(OrderDateParser.parse("2026-11-28T10:15-03:00", timezone: utc)?.text == "2026-11-28T10:15:00-03:00")
        #expect(OrderDateParser.parse("2026-11-28T10:15:00-03:00", timezone: utc)?.unixTime == 1_795_871_700)
    }
}
