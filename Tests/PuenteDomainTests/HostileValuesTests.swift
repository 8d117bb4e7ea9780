import Foundation
import PuenteDomain
import Testing

/// Values a hostile or careless site sends: each ends in a reason, never a trap or a wrong total.
@Suite struct HostileValuesTests {
    let zone = TimeZone(identifier: "America/Argentina/Buenos_Aires")!

    func check(_ lines: [(String, String)], date: String = "2026-11-28T10:15:00-03:00") throws -> CheckedOrder {
        var masters = FakeMasters()
        masters.prices["L1/P1"] = Money("6732.49")!
        let validator = OrderValidator(masters: masters, policy: ValidationPolicy(), timezone: zone)
        return try validator.check(OrderDraft(
            id: "W-1", pos: "9900", date: date, client: "C1", line: 3,
            lines: lines.enumerated().map { .init(product: "P1", quantity: $1.0, price: $1.1, line: 4 + $0) }))
    }

    @Test func amountsThatCannotBeRepresentedRejectTheOrderNamingLineAndValue() throws {
        let sum = try check([("100000000000", "6732.49"), ("100000000000", "6732.49")])
        #expect(sum.outcome == .rejected)
        #expect(sum.reasons.map(\.code) == [.invalidQuantity])
        #expect(sum.reasons[0].line == 5 && sum.reasons[0].item == 2 && sum.reasons[0].got == "100000000000")
        #expect(sum.reasons[0].message?.contains("total") == true)
        let product = try check([("9223372036854775.807", "6732.49")])
        #expect(product.outcome == .rejected, "never accepted with total 0.00")
        #expect(product.reasons.map(\.code) == [.invalidQuantity])
        #expect(product.reasons[0].got == "9223372036854775.807")
        #expect(try check([("1", "922337203685477.5807")]).reasons.map(\.code) == [.priceMismatch], "the largest price is a price")
        #expect(try check([("1", "922337203685477.5808")]).reasons.map(\.code) == [.invalidPrice])
    }

    @Test func moneyHasOnlyCheckedSums() {
        #expect(Money.maximum.adding(Money(units: 1)) == nil)
        #expect(Money(units: .min).adding(Money(units: -1)) == nil)
        #expect(Money(units: 5).adding(Money(units: 7)) == Money(units: 12))
        #expect(Money.maximum.extended(by: Quantity(units: 2000)) == nil)
        #expect(Money(units: .max).roundedToCents().units <= Int64.max)
    }

    @Test func orderFileNumbersAreDigitsAPointAndDecimalsOnly() {
        for text in ["1e3", "0x10", "١٢٣", "1.000,50", " 12 ", "12 ", "NaN", "-0", "+5", ".5", "5.", "1..2", "", "Infinity", "１２"] {
            #expect(Quantity(orderFileText: text) == nil, "\(text)")
            #expect(Money(orderFileText: text) == nil, "\(text)")
        }
        #expect(Quantity(orderFileText: "2.500")?.units == 2500)
        #expect(Quantity(orderFileText: "2.5001") == nil)
        #expect(Money(orderFileText: "0.0001")?.units == 1)
        #expect(Money(orderFileText: "99999999999999999999") == nil, "beyond 64 bits")
        // Back-office dumps keep their own, more forgiving grammar.
        #expect(Money(" 12,50 ", decimalSeparator: ",")?.units == 125_000)
        #expect(Money("-5")?.units == -50_000)
    }

    @Test func datesFollowISO8601WithFractionsAndRealOffsets() throws {
        func unix(_ text: String) -> Int64? { OrderDateParser.parse(text, timezone: zone)?.unixTime }
        let reference = try #require(unix("2026-11-28T13:15:00Z"))
        #expect(unix("2026-11-28T13:15:00.123Z") == reference, "toISOString()")
        #expect(unix("2026-11-28T10:15:00.5-03:00") == reference)
        #expect(unix("2026-11-28T10:15") == reference, "no offset: the configured zone")
        #expect(unix("2026-11-29T03:15:00+14:00") == reference)
        #expect(OrderDateParser.parse("2026-11-28T13:15:00.999Z", timezone: zone)?.text == "2026-11-28T13:15:00+00:00")
        for bad in ["2026-11-28T10:15:00+14:01", "2026-11-28T10:15:00-14:30", "2026-11-28T10:15:00+99:00", "2026-02-30T10:00:00Z",
                    "2025-02-29T10:00:00Z", "2026-11-28T24:00:00Z", "2026-11-28T10:15:00.Z", "2026-11-28T10:15:00.1234567890Z",
                    "2026-11-28T10:15:00Z ", "2026-11-28 10:15:00", "", "2026-11-28T10:15:00\u{0}Z"] {
            #expect(OrderDateParser.parse(bad, timezone: zone) == nil, "\(bad)")
        }
    }

    @Test func pointsOfSaleAreFourDigitsAtMost() throws {
        #expect(OrderValidator.pointOfSale("9900") == 9900)
        for bad in ["+9900", "09900", "9900 ", "99000", "0", "", "٩٩٠٠", "-1"] {
            #expect(OrderValidator.pointOfSale(bad) == nil, "\(bad)")
        }
    }

    @Test func valuesXMLCannotCarryAreNamedAndEscaped() throws {
        var masters = FakeMasters()
        masters.clients["C\u{1}"] = nil
        let verdict = try OrderValidator(masters: masters, policy: ValidationPolicy(), timezone: zone).check(OrderDraft(
            id: "W-1", pos: "9900", date: "2026-11-28T10:15:00-03:00", client: "C\u{1B}1", line: 2,
            lines: [.init(product: "P1", quantity: "1\u{0}", price: "1200", line: 2)]))
        #expect(verdict.reasons.map(\.code) == [.unknownClient, .invalidQuantity])
        #expect(verdict.reasons.map(\.message) == ["holds the control character U+001B", "holds the control character U+0000"])
        #expect(SafeText.escapingNonXMLCharacters("a\u{1B}b\u{0}c\u{FFFE}\td\n") == "a\\x1Bb\\x00c\\u{FFFE}\td\n")
        #expect(SafeText.forTerminal("x\nTotal: 0\u{1B}[2J\u{202E}txt.csv") == "x\\x0ATotal: 0\\x1B[2J\\u{202E}txt.csv")
        #expect(SafeText.forTerminal("Peña Güemes") == "Peña Güemes")
    }
}
