/// The characters Puente lets into what it writes, and how it shows the others.
///
/// Everything Puente writes as XML must be well-formed, so a value holding a character that
/// XML 1.0 does not allow (most C0 controls, U+FFFE, U+FFFF) is refused where it comes in, and
/// shown escaped where it must be named. Lines for people never carry a raw control character:
/// a file named `x\nTotal: 0 files.csv` must not print a fake summary line, nor an ESC sequence
/// reach the terminal.
public enum SafeText {
    /// XML 1.0's `Char`: tab, line feed, carriage return, and U+0020 onwards but U+FFFE and
    /// U+FFFF (a Swift string holds no surrogate).
    public static func isXMLCharacter(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x20 { return value == 0x09 || value == 0x0A || value == 0x0D }
        return value != 0xFFFE && value != 0xFFFF
    }

    /// The first character of `text` that XML 1.0 does not allow, if any.
    public static func firstNonXMLCharacter(in text: String) -> Unicode.Scalar? {
        // Fast path: such a character needs a byte below 0x20 or the bytes EF BF BE/BF.
        // Over the contiguous bytes when the string has them (a loop the compiler vectorizes).
        func isSuspicious(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0xEF }
        let suspicious = text.utf8.withContiguousStorageIfAvailable { $0.contains(where: isSuspicious) }
            ?? text.utf8.contains(where: isSuspicious)
        guard suspicious else { return nil }
        return text.unicodeScalars.first { !isXMLCharacter($0) }
    }

    /// `text` with every character XML 1.0 does not allow written as `\x1B` or `\u{FFFE}`.
    public static func escapingNonXMLCharacters(_ text: String) -> String {
        guard firstNonXMLCharacter(in: text) != nil else { return text }
        return escaping(text, where: { !isXMLCharacter($0) })
    }

    /// `text` as one line for a person: control characters (line breaks and tabs included),
    /// C1 controls, and the invisible marks that reorder or hide text written as `\x0A`,
    /// `\u{202E}`…, so what a terminal shows is what the value holds.
    public static func forTerminal(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscapeOnTerminal) else { return text }
        return escaping(text, where: needsEscapeOnTerminal)
    }

    /// The description of a character for messages: `U+001B`.
    public static func codePoint(_ scalar: Unicode.Scalar) -> String {
        "U+" + hex(scalar.value, minimumDigits: 4)
    }

    static func needsEscapeOnTerminal(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        // Bidirectional overrides and isolates, marks, line and paragraph separators.
        case 0x061C, 0x200E, 0x200F, 0x2028...0x202E, 0x2066...0x2069: true
        case 0xFEFF, 0xFFFE, 0xFFFF: true
        default: false
        }
    }

    private static func escaping(_ text: String, where escaped: (Unicode.Scalar) -> Bool) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            if !escaped(scalar) {
                result.unicodeScalars.append(scalar)
            } else if scalar.value < 0x80 {
                result += "\\x" + hex(scalar.value, minimumDigits: 2)
            } else {
                result += "\\u{" + hex(scalar.value, minimumDigits: 4) + "}"
            }
        }
        return result
    }

    private static func hex(_ value: UInt32, minimumDigits: Int) -> String {
        value.zeroPadded(minimumDigits, radix: 16)
    }
}
