import PuenteDomain
import Testing

@Suite struct MoneyTests {
    @Test func parsesDecimalPointAndComma() {
        #expect(Money("1234.50")?.units == 12_345_000)
        #expect(Money("1234,50", decimalSeparator: ",")?.units == 12_345_000)
        #expect(Money("0.0001")?.units == 1)
        #expect(Money("-3.5")?.units == -35_000)
        #expect(Money("  7 ")?.units == 70_000)
        #expect(Money("12.")?.units == 120_000)
    }

    @Test func refusesWhatIsNotAPlainAmount() {
        for text in ["", "-", "abc", "1.2.3", "1,50", "1.23456", "1e3", "1 000", "12.3x", "--1", "99999999999999999999"] {
            #expect(Money(text) == nil, "\(text) must not parse")
        }
        #expect(Money("1.234,50", decimalSeparator: ",") == nil)
        #expect(Money("1234.50", decimalSeparator: ",") == nil)
    }

    @Test func formatsWithAtLeastTwoDecimals() {
        #expect(Money("1234.5")!.description == "1234.50")
        #expect(Money("0.1234")!.description == "0.1234")
        #expect(Money("-0.5")!.description == "-0.50")
        #expect(Money("7")!.formatted(decimalSeparator: ",") == "7,00")
        #expect(Money.zero.description == "0.00")
    }

    @Test func roundsHalfAwayFromZeroToCents() {
        #expect(Money("2.345")!.roundedToCents() == Money("2.35")!)
        #expect(Money("2.3449")!.roundedToCents() == Money("2.34")!)
        #expect(Money("-2.345")!.roundedToCents() == Money("-2.35")!)
        #expect(Money("-2.3449")!.roundedToCents() == Money("-2.34")!)
        #expect(Money("0.005")!.roundedToCents() == Money("0.01")!)
    }

    @Test func extendsPriceByQuantityExactly() {
        // 3 × 1234.50
        #expect(Money("1234.50")!.extended(by: Quantity("3")!) == Money("3703.50")!)
        // 0.333 × 0.1 = 0.0333 → 0.03
        #expect(Money("0.1")!.extended(by: Quantity("0.333")!) == Money("0.03")!)
        // 1.5 × 0.0333 = 0.04995 → 0.05 (half away from zero)
        #expect(Money("0.0333")!.extended(by: Quantity("1.5")!) == Money("0.05")!)
        // Large values are exact: 99,999,999.9999 × 999,999.999
        #expect(Money("99999999.9999")!.extended(by: Quantity("999999.999")!)?.description == "99999999899900.00")
        // Beyond Int64 the result is refused, never wrapped or trapped.
        #expect(Money("999999999.9999")!.extended(by: Quantity("999999.999")!) == nil)
    }

    @Test func comparesWithinATolerance() {
        let list = Money("1200.00")!
        #expect(Money("1200.01")!.isWithin(Money("0.01")!, of: list))
        #expect(!Money("1200.02")!.isWithin(Money("0.01")!, of: list))
        #expect(Money("1199.99")!.isWithin(Money("0.01")!, of: list))
        #expect(list.isWithin(.zero, of: list))
        #expect(!Money("1200.0001")!.isWithin(.zero, of: list))
    }

    @Test func quantitiesAndPercentages() {
        #expect(Quantity("2.5")?.units == 2_500)
        #expect(Quantity("0.0005") == nil)
        #expect(Quantity("3")!.description == "3")
        #expect(Percentage("10,5", decimalSeparator: ",")?.units == 1_050)
        #expect(Percentage("21")!.description == "21")
    }
}
