import Foundation

/// ISO 8601 time stamps with the offset of the configured time zone: `2026-11-29T03:00:05-03:00`.
public enum Timestamp {
    public static func string(_ date: Date, in timezone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timezone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let offset = timezone.secondsFromGMT(for: date)
        let sign = offset < 0 ? "-" : "+"
        let hours = abs(offset) / 3600
        let minutes = abs(offset) % 3600 / 60
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.year!)-\(two(parts.month!))-\(two(parts.day!))T\(two(parts.hour!)):\(two(parts.minute!)):\(two(parts.second!))\(sign)\(two(hours)):\(two(minutes))"
    }

    public static func now(in timezone: TimeZone) -> String {
        string(Date(), in: timezone)
    }
}
