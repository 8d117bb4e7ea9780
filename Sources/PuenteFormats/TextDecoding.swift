/// The text encodings Puente accepts in files from outside.
public enum TextEncoding: String, Sendable {
    case utf8 = "UTF-8"
    case windows1252 = "windows-1252"
}


/// Turns the bytes of a dump or order file into UTF-8, the only encoding the readers see.
///
/// The rule of the contract: UTF-8 (a BOM is allowed and removed) when the bytes are strictly
/// valid UTF-8, otherwise Windows-1252. Nothing is ever replaced with U+FFFD: a byte that is
/// neither (a BOM followed by invalid UTF-8, or one of the five bytes Windows-1252 leaves
/// undefined) is an error naming its line.
public enum TextDecoder {
    public static let utf8BOM: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// A UTF-16 byte order mark (Excel's "Unicode text" saves that way) would otherwise pass
    /// as Windows-1252 bytes full of NULs: say what it is instead.
    public static func refuseUTF16(_ bytes: some Collection<UInt8>) throws(CSVFileError) {
        let first = Array(bytes.prefix(2))
        if first == [0xFF, 0xFE] || first == [0xFE, 0xFF] {
            throw CSVFileError(.encoding, line: 1, "the file is UTF-16 (it starts with a UTF-16 byte order mark): save it as UTF-8 or Windows-1252")
        }
    }

    /// Offset of the first byte that breaks strict UTF-8 (no overlongs, no surrogates), or nil.
    public static func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { buffer -> Int? in
            let count = buffer.count
            var index = 0
            while index < count {
                // Fast path: eight ASCII bytes at a time.
                while index + 8 <= count {
                    let word = UnsafeRawPointer(buffer.baseAddress! + index).loadUnaligned(as: UInt64.self)
                    if word & 0x8080_8080_8080_8080 != 0 { break }
                    index += 8
                }
                guard index < count else { return nil }
                let lead = buffer[index]
                if lead < 0x80 { index += 1; continue }
                let length: Int
                var lower: UInt8 = 0x80
                var upper: UInt8 = 0xBF
                switch lead {
                case 0xC2...0xDF: length = 2
                case 0xE0: length = 3; lower = 0xA0
                case 0xE1...0xEC, 0xEE...0xEF: length = 3
                case 0xED: length = 3; upper = 0x9F
                case 0xF0: length = 4; lower = 0x90
                case 0xF1...0xF3: length = 4
                case 0xF4: length = 4; upper = 0x8F
                default: return index
                }
                guard index + length <= count else { return index }
                let second = buffer[index + 1]
                guard second >= lower, second <= upper else { return index }
                for offset in 2..<length where buffer[index + offset] & 0xC0 != 0x80 { return index }
                index += length
            }
            return nil
        }
    }

    /// Windows-1252 → UTF-8. The bytes 0x81, 0x8D, 0x8F, 0x90 and 0x9D have no character.
    public static func windows1252ToUTF8(_ bytes: [UInt8]) throws(CSVFileError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bytes.count / 8)
        for (offset, byte) in bytes.enumerated() {
            if byte < 0x80 {
                output.append(byte)
                continue
            }
            let scalar: UInt32
            if byte >= 0xA0 {
                scalar = UInt32(byte)
            } else {
                scalar = UInt32(windows1252High[Int(byte - 0x80)])
                if scalar == 0 {
                    throw CSVFileError(.encoding, line: lineNumber(at: offset, in: bytes), "byte 0x\(hex(byte)) is neither UTF-8 nor a Windows-1252 character")
                }
            }
            appendUTF8(scalar, to: &output)
        }
        return output
    }

    /// The 1-based line on which `offset` lies (LF, CRLF and a lone CR end a line).
    public static func lineNumber(at offset: Int, in bytes: [UInt8]) -> Int {
        lineBreaks(in: bytes[..<min(offset, bytes.count)]) + 1
    }

    /// How many line ends `bytes` holds (LF, CRLF and a lone CR each count once; a CR that is
    /// the last byte counts, so a CRLF cut between two pieces counts in the first).
    public static func lineBreaks(in bytes: ArraySlice<UInt8>) -> Int {
        // CRs and LFs, less the LFs that end a CRLF: counted without a branch per byte (the
        // encoding pass runs this over every byte of a CSV file).
        bytes.withUnsafeBufferPointer { bytes in
            guard !bytes.isEmpty else { return 0 }
            var count = bytes[0] == 0x0D || bytes[0] == 0x0A ? 1 : 0
            for index in 1..<bytes.count {
                let byte = bytes[index]
                let isCR = byte == 0x0D
                let isLoneLF = byte == 0x0A && bytes[index - 1] != 0x0D
                count &+= (isCR ? 1 : 0) &+ (isLoneLF ? 1 : 0)
            }
            return count
        }
    }

    private static func appendUTF8(_ scalar: UInt32, to output: inout [UInt8]) {
        if scalar < 0x80 {
            output.append(UInt8(scalar))
        } else if scalar < 0x800 {
            output.append(UInt8(0xC0 | (scalar >> 6)))
            output.append(UInt8(0x80 | (scalar & 0x3F)))
        } else {
            output.append(UInt8(0xE0 | (scalar >> 12)))
            output.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            output.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }

    /// Code points of the bytes 0x80–0x9F in Windows-1252; 0 where the byte is undefined.
    private static let windows1252High: [UInt16] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ]
}
