/// An exact amount of money, kept in ten-thousandths of the currency unit.
///
/// Unit prices carry up to 4 decimals (the order file contract); amounts (line totals, order
/// totals) are rounded half away from zero to 2 decimals with `roundedToCents()`.
/// There is no conversion from or to `Double`, on purpose.
public struct Money: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Decimal places kept.
    public static let scale = 4
    /// The amount in units of 0.0001.
    public let units: Int64

    public init(units: Int64) { self.units = units }

    public static let zero = Money(units: 0)

    /// Parses `1234.50` (or `1234,50` when `decimalSeparator` is `,`); at most 4 decimals.
    public init?(_ text: some StringProtocol, decimalSeparator: Character = ".") {
        guard let separator = decimalSeparator.asciiValue,
              let units = FixedPoint.parse(text, scale: Self.scale, decimalSeparator: separator)
        else { return nil }
        self.units = units
    }

    /// The amount rounded half away from zero to 2 decimals.
    public func roundedToCents() -> Money {
        let cents = FixedPoint.divideRoundingHalfAwayFromZero(Int128(units), by: 100)
        return Money(units: Int64(cents) * 100)
    }

    /// A unit price as a web site writes it (`1234.50`: digits, `.`, at most 4 decimals,
    /// no sign, no blanks); see `FixedPoint.Grammar.orderFile`.
    public init?(orderFileText text: some StringProtocol) {
        guard let units = FixedPoint.parse(text, scale: Self.scale, decimalSeparator: UInt8(ascii: "."), grammar: .orderFile)
        else { return nil }
        self.units = units
    }

    /// The largest amount Puente represents: 922,337,203,685,477.5807.
    public static let maximum = Money(units: .max)

    /// `price × quantity`, rounded half away from zero to 2 decimals; nil when the amount
    /// cannot be represented (beyond `Money.maximum`).
    public func extended(by quantity: Quantity) -> Money? {
        let product = Int128(units) * Int128(quantity.units)
        let cents = FixedPoint.divideRoundingHalfAwayFromZero(
            product, by: Int128(FixedPoint.powersOfTen[Quantity.scale]) * 100)
        guard let result = Int64(exactly: cents * 100) else { return nil }
        return Money(units: result)
    }

    /// True when the two amounts differ by no more than `tolerance` (itself non-negative).
    public func isWithin(_ tolerance: Money, of other: Money) -> Bool {
        (Int128(units) - Int128(other.units)).magnitude <= Int128(tolerance.units).magnitude
    }

    /// At least 2 decimals, more only when they are not zero: `1234.50`, `0.1234`.
    public var description: String { formatted() }

    /// Formats with the given separator and at least `minimumFractionDigits` decimals.
    public func formatted(decimalSeparator: Character = ".", minimumFractionDigits: Int = 2) -> String {
        FixedPoint.format(units, scale: Self.scale, minimumFractionDigits: minimumFractionDigits,
                          decimalSeparator: decimalSeparator)
    }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.units < rhs.units }

    /// The sum, or nil when it cannot be represented. Money has no `+` that could trap or wrap:
    /// every sum of amounts from outside is checked.
    public func adding(_ other: Money) -> Money? {
        let (sum, overflow) = units.addingReportingOverflow(other.units)
        return overflow ? nil : Money(units: sum)
    }
}

/// An exact quantity with up to 3 decimals (kilos, metres, units).
public struct Quantity: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let scale = 3
    /// The quantity in units of 0.001.
    public let units: Int64

    public init(units: Int64) { self.units = units }

    /// Parses `3`, `2.5`, `0.125` (or with `,` as separator); at most 3 decimals.
    public init?(_ text: some StringProtocol, decimalSeparator: Character = ".") {
        guard let separator = decimalSeparator.asciiValue,
              let units = FixedPoint.parse(text, scale: Self.scale, decimalSeparator: separator)
        else { return nil }
        self.units = units
    }

    /// A quantity as a web site writes it (`3`, `2.5`: digits, `.`, at most 3 decimals, no
    /// sign, no blanks); see `FixedPoint.Grammar.orderFile`.
    public init?(orderFileText text: some StringProtocol) {
        guard let units = FixedPoint.parse(text, scale: Self.scale, decimalSeparator: UInt8(ascii: "."), grammar: .orderFile)
        else { return nil }
        self.units = units
    }

    public var description: String {
        FixedPoint.format(units, scale: Self.scale, minimumFractionDigits: 0, decimalSeparator: ".")
    }

    public static func < (lhs: Quantity, rhs: Quantity) -> Bool { lhs.units < rhs.units }
}

/// A percentage such as a VAT rate (`21`, `10.5`), exact to 2 decimals.
public struct Percentage: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let scale = 2
    /// The rate in hundredths of a percent point.
    public let units: Int64

    public init(units: Int64) { self.units = units }

    public init?(_ text: some StringProtocol, decimalSeparator: Character = ".") {
        guard let separator = decimalSeparator.asciiValue,
              let units = FixedPoint.parse(text, scale: Self.scale, decimalSeparator: separator)
        else { return nil }
        self.units = units
    }

    public var description: String {
        FixedPoint.format(units, scale: Self.scale, minimumFractionDigits: 0, decimalSeparator: ".")
    }

    /// `21.00`, `10.50` (or with `decimalSeparator`).
    public func formatted(decimalSeparator: Character = ".", minimumFractionDigits: Int = 2) -> String {
        FixedPoint.format(units, scale: Self.scale, minimumFractionDigits: minimumFractionDigits,
                          decimalSeparator: decimalSeparator)
    }

    public static func < (lhs: Percentage, rhs: Percentage) -> Bool { lhs.units < rhs.units }
}
