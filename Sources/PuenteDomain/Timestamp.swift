import Foundation

/// The one way Puente writes a moment: ISO 8601 to the second with the offset
/// (`2026-11-28T10:15:00-03:00`), in acks, manifests, the store and reports.
public enum Timestamp {
    public static func string(_ date: Date, in timezone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timezone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return text(year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!,
                    second: parts.second!, offset: timezone.secondsFromGMT(for: date))
    }

    /// The text of a moment given by its parts and its offset from UTC in seconds.
    public static func text(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, offset: Int) -> String {
        let offsetHours = abs(offset) / 3600, offsetMinutes = abs(offset) % 3600 / 60
        let twoDigits = 0..<100
        if (0..<10_000).contains(year), twoDigits.contains(month), twoDigits.contains(day), twoDigits.contains(hour),
           twoDigits.contains(minute), twoDigits.contains(second), twoDigits.contains(offsetHours) {
            // The usual case, byte by byte: an import writes one for every order whose date
            // was not sent in this form.
            return String(unsafeUninitializedCapacity: 25) { text in
                func put(_ value: Int, width: Int, at index: Int) {
                    var rest = value
                    for digit in (0..<width).reversed() {
                        text[index + digit] = UInt8(ascii: "0") + UInt8(rest % 10)
                        rest /= 10
                    }
                }
                put(year, width: 4, at: 0)
                text[4] = UInt8(ascii: "-")
                put(month, width: 2, at: 5)
                text[7] = UInt8(ascii: "-")
                put(day, width: 2, at: 8)
                text[10] = UInt8(ascii: "T")
                put(hour, width: 2, at: 11)
                text[13] = UInt8(ascii: ":")
                put(minute, width: 2, at: 14)
                text[16] = UInt8(ascii: ":")
                put(second, width: 2, at: 17)
                text[19] = UInt8(ascii: offset < 0 ? "-" : "+")
                put(offsetHours, width: 2, at: 20)
                text[22] = UInt8(ascii: ":")
                put(offsetMinutes, width: 2, at: 23)
                return 25
            }
        }
        let sign = offset < 0 ? "-" : "+"
        return "\(year.zeroPadded(4))-\(month.zeroPadded(2))-\(day.zeroPadded(2))T\(hour.zeroPadded(2)):"
            + "\(minute.zeroPadded(2)):\(second.zeroPadded(2))\(sign)\((abs(offset) / 3600).zeroPadded(2)):"
            + "\((abs(offset) % 3600 / 60).zeroPadded(2))"
    }

    public static func now(in timezone: TimeZone) -> String {
        string(Date(), in: timezone)
    }
}

extension BinaryInteger {
    /// The number with leading zeros up to `width` digits (`7.zeroPadded(4)` is `0007`): the
    /// one padding behind order numbers, package sequences, time stamps and code points.
    public func zeroPadded(_ width: Int, radix: Int = 10) -> String {
        let digits = String(self, radix: radix, uppercase: true)
        return String(repeating: "0", count: Swift.max(0, width - digits.count)) + digits
    }
}
