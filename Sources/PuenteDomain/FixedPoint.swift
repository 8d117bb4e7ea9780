/// Exact decimal arithmetic on scaled integers, shared by `Money`, `Quantity` and `Percentage`.
///
/// Values are kept as an integer count of `10^-scale` units. Two grammars:
/// - `.dump` (back-office dumps): blanks around, an optional sign, digits, and at most `scale`
///   fraction digits after the dialect's decimal separator;
/// - `.orderFile` (what a web site sends): digits, optionally `.` and 1 to `scale` digits, and
///   nothing else: no sign, no blanks, no `1e3`, `0x10`, `.5`, `5.`, `1.000,50` or `NaN`.
/// Neither takes exponents, thousands separators or digits other than ASCII `0`–`9`.
enum FixedPoint {
    enum Grammar {
        case dump
        case orderFile
    }

    static let powersOfTen: [Int64] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000]

    /// Parses `text` into units of `10^-scale`; nil when it is not a plain decimal number,
    /// has more than `scale` fraction digits, or does not fit in 64 bits.
    static func parse(_ text: some StringProtocol, scale: Int, decimalSeparator: UInt8, grammar: Grammar = .dump) -> Int64? {
        var text = String(text)
        return text.withUTF8 { parse($0[...], scale: scale, decimalSeparator: decimalSeparator, grammar: grammar) }
    }

    private static func parse(
        _ bytes: Slice<UnsafeBufferPointer<UInt8>>, scale: Int, decimalSeparator: UInt8, grammar: Grammar
    ) -> Int64? {
        var bytes = bytes
        var negative = false
        switch grammar {
        case .dump:
            // Surrounding blanks are common in ERP dumps; blanks inside are not numbers.
            while let first = bytes.first, first == 0x20 || first == 0x09 { bytes = bytes.dropFirst() }
            while let last = bytes.last, last == 0x20 || last == 0x09 { bytes = bytes.dropLast() }
            if bytes.first == UInt8(ascii: "-") {
                negative = true
                bytes = bytes.dropFirst()
            } else if bytes.first == UInt8(ascii: "+") {
                bytes = bytes.dropFirst()
            }
        case .orderFile:
            // A digit on both sides of the separator, when there is one.
            guard let first = bytes.first, first != decimalSeparator, bytes.last != decimalSeparator else { return nil }
        }
        var integer: Int64 = 0
        var fraction: Int64 = 0
        var fractionDigits = 0
        var digits = 0
        var seenSeparator = false
        for byte in bytes {
            if byte == decimalSeparator {
                if seenSeparator { return nil }
                seenSeparator = true
                continue
            }
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            let digit = Int64(byte - 0x30)
            digits += 1
            if seenSeparator {
                fractionDigits += 1
                if fractionDigits > scale { return nil }
                fraction = fraction * 10 + digit
            } else {
                let (times10, overflow1) = integer.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(digit)
                if overflow1 || overflow2 { return nil }
                integer = sum
            }
        }
        guard digits > 0 else { return nil }
        let (scaled, overflow1) = integer.multipliedReportingOverflow(by: powersOfTen[scale])
        let (units, overflow2) = scaled.addingReportingOverflow(fraction * powersOfTen[scale - fractionDigits])
        if overflow1 || overflow2 { return nil }
        return negative ? -units : units
    }

    /// Formats units of `10^-scale` with at least `minimumFractionDigits` and at most `scale`
    /// fraction digits (trailing zeros beyond the minimum dropped).
    static func format(_ units: Int64, scale: Int, minimumFractionDigits: Int, decimalSeparator: Character) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: DecimalText.capacity) { buffer in
            let count = DecimalText.write(units, scale: scale, minimumFractionDigits: minimumFractionDigits,
                                          decimalSeparator: decimalSeparator.asciiValue ?? UInt8(ascii: "."),
                                          to: buffer.baseAddress!)
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<count]), as: UTF8.self)
        }
    }

    /// Divides rounding half away from zero: the one rounding rule Puente uses.
    static func divideRoundingHalfAwayFromZero(_ value: Int128, by divisor: Int128) -> Int128 {
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        if remainder.magnitude * 2 >= divisor.magnitude {
            return value < 0 ? quotient - 1 : quotient + 1
        }
        return quotient
    }
}

/// Decimal text of scaled integers written straight into bytes: the one number formatter,
/// used by `Money.formatted` and by writers that stream a million prices without a `String` each.
public enum DecimalText {
    /// Bytes a buffer needs for any value (sign, 19 digits, separator, NUL) with room to spare.
    public static let capacity = 32

    /// Writes units of `10^-scale` as `-1234.50` (at least `minimumFractionDigits`, at most
    /// `scale` fraction digits) followed by a NUL, and returns the length without the NUL.
    public static func write(
        _ units: Int64, scale: Int, minimumFractionDigits: Int, decimalSeparator: UInt8,
        to output: UnsafeMutablePointer<UInt8>
    ) -> Int {
        let magnitude = units.magnitude
        let divisor = UInt64(FixedPoint.powersOfTen[scale])
        var integer = magnitude / divisor
        var fraction = magnitude % divisor
        var fractionDigits = scale
        while fractionDigits > minimumFractionDigits, fraction % 10 == 0 {
            fraction /= 10
            fractionDigits -= 1
        }
        // Digits are produced backwards into a scratch area, then copied in order.
        var scratch: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &scratch) { raw in
            let digits = raw.bindMemory(to: UInt8.self)
            var position = digits.count
            for _ in 0..<fractionDigits {
                position -= 1
                digits[position] = UInt8(ascii: "0") + UInt8(fraction % 10)
                fraction /= 10
            }
            if fractionDigits > 0 {
                position -= 1
                digits[position] = decimalSeparator
            }
            repeat {
                position -= 1
                digits[position] = UInt8(ascii: "0") + UInt8(integer % 10)
                integer /= 10
            } while integer > 0
            if units < 0 {
                position -= 1
                digits[position] = UInt8(ascii: "-")
            }
            let count = digits.count - position
            UnsafeMutableRawPointer(output).copyMemory(from: digits.baseAddress! + position, byteCount: count)
            output[count] = 0
            return count
        }
    }
}
