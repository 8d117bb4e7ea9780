import Foundation
import PuenteDomain

/// An e-mail as Puente writes it (RFC 5322 with MIME): CRLF line ends; a header with
/// non-ASCII text as RFC 2047 encoded-words (UTF-8, base64) split between characters, never
/// inside a quoted string; a `multipart/alternative` body with a plain-text part
/// (quoted-printable) and an HTML part (base64), both UTF-8.
public struct MailMessage: Sendable, Equatable {
    public struct Address: Sendable, Equatable {
        public var name: String
        public var email: String

        public init(name: String = "", email: String) {
            self.name = name
            self.email = email
        }
    }

    public var from: Address
    public var to: [Address]
    public var subject: String
    /// RFC 5322 date (`Sat, 28 Nov 2026 10:15:00 -0300`).
    public var date: String
    /// Without the angle brackets (`…@puente`).
    public var messageID: String
    public var text: String
    public var html: String

    public init(from: Address, to: [Address], subject: String, date: String, messageID: String, text: String, html: String) {
        self.from = from
        self.to = to
        self.subject = subject
        self.date = date
        self.messageID = messageID
        self.text = text
        self.html = html
    }

    /// The message's bytes.
    public func rendered() -> [UInt8] {
        let boundary = "puente-" + messageID.utf8.map { String($0, radix: 16) }.joined().prefix(24)
        let lines = [
            "From: " + Self.address(from, used: "From: ".count),
            "To: " + to.map { Self.address($0, used: "To: ".count) }.joined(separator: ",\r\n "),
            "Subject: " + Self.headerText(subject, used: "Subject: ".count),
            "Date: " + date,
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative;\r\n boundary=\"\(boundary)\"",
            "",
            "--\(boundary)",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            Self.quotedPrintable(text),
            "--\(boundary)",
            "Content-Type: text/html; charset=utf-8",
            "Content-Transfer-Encoding: base64",
            "",
            Self.base64Lines(Array(html.utf8)),
            "--\(boundary)--",
            "",
        ]
        return Array(lines.joined(separator: "\r\n").utf8)
    }

    /// `Name <email>`, the name as one encoded-word when it is not plain ASCII text. Decoders
    /// disagree on the space between two encoded-words in a name, so a name never takes two: a
    /// longer one is cut, between characters, to what one word holds (45 bytes; a display name
    /// is a courtesy, the address is what delivers).
    static func address(_ address: Address, used: Int) -> String {
        guard !address.name.isEmpty else { return address.email }
        let plain = address.name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == " ")
        }
        let name = plain ? address.name : encodedWords(address.name, bytesPerWord: 45)[0]
        // The address on a line of its own when the name leaves no room for it.
        return name + (used + name.count + address.email.count + 3 > 76 ? "\r\n <" : " <") + address.email + ">"
    }

    /// Header text: as it is when ASCII and short, else encoded-words on folded lines.
    static func headerText(_ text: String, used: Int) -> String {
        if text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F }), used + text.utf8.count <= 78 {
            return text
        }
        // 39 bytes a word: 64 characters, which fit after `Subject: `.
        return encodedWords(text, bytesPerWord: 39).joined(separator: "\r\n ")
    }

    /// For tests: the encoded-words of `text`.
    public static func encodedWordsForTesting(_ text: String) -> [String] { encodedWords(text) + encodedWords(text, bytesPerWord: 39) }

    /// `=?UTF-8?B?…?=` words of at most 75 characters, each holding whole characters.
    static func encodedWords(_ text: String, bytesPerWord: Int = 45) -> [String] {
        var words: [String] = []
        var bytes: [UInt8] = []
        func flush() {
            guard !bytes.isEmpty else { return }
            words.append("=?UTF-8?B?" + Data(bytes).base64EncodedString() + "?=")
            bytes.removeAll()
        }
        for character in text {
            let utf8 = Array(String(character).utf8)
            // 45 bytes → 60 base64 characters → a word of 72.
            if bytes.count + utf8.count > bytesPerWord { flush() }
            bytes += utf8
        }
        flush()
        return words
    }

    /// Quoted-printable (RFC 2045) of UTF-8 text, CRLF line ends, lines of at most 76.
    static func quotedPrintable(_ text: String) -> String {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        return normalized.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let bytes = Array(line.utf8)
            var out = ""
            var length = 0
            for (index, byte) in bytes.enumerated() {
                let last = index == bytes.count - 1
                let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 32 || byte == 9) && !last)
                let piece = literal ? String(UnicodeScalar(byte)) : "=" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
                // A soft break keeps a line at 76 with its `=`; an escape is never cut.
                if length + piece.count > 75 {
                    out += "=\r\n"
                    length = 0
                }
                out += piece
                length += piece.count
            }
            return out
        }.joined(separator: "\r\n")
    }

    /// Base64 in lines of 76.
    static func base64Lines(_ bytes: [UInt8]) -> String {
        let encoded = Data(bytes).base64EncodedString()
        var lines: [String] = []
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let end = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            lines.append(String(encoded[index..<end]))
            index = end
        }
        return lines.joined(separator: "\r\n")
    }

    /// RFC 5322's date (`Sat, 28 Nov 2026 10:15:00 -0300`).
    public static func date(_ date: Date, in timezone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timezone
        let parts = calendar.dateComponents([.weekday, .year, .month, .day, .hour, .minute, .second], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let offset = timezone.secondsFromGMT(for: date)
        return "\(days[parts.weekday! - 1]), \(parts.day!) \(months[parts.month! - 1]) \(parts.year!) "
            + "\(parts.hour!.zeroPadded(2)):\(parts.minute!.zeroPadded(2)):\(parts.second!.zeroPadded(2)) "
            + (offset < 0 ? "-" : "+") + (abs(offset) / 3600).zeroPadded(2) + (abs(offset) % 3600 / 60).zeroPadded(2)
    }
}
