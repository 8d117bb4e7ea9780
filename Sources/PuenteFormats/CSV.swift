/// One record of a CSV file: its fields and the physical line it starts on (header = line 1).
public struct CSVRecord: Sendable {
    public var line: Int = 0
    public var fields: [String] = []

    public init() {}

    /// The field at `index`, or an empty string when the row is shorter.
    public subscript(_ index: Int) -> String {
        index < fields.count ? fields[index] : ""
    }
}

/// The one CSV reader of Puente: RFC 4180 over UTF-8 bytes, quoted fields with `""` escapes
/// and embedded newlines, CRLF, LF or CR-only line ends (old Mac and some ERP exports), any
/// one-byte delimiter.
///
/// It scans bytes, not characters, and reuses the caller's record, so a million-row price
/// dump reads in a fraction of a second. Blank lines are skipped. A quote inside an unquoted
/// field is taken literally (ERP dumps write `1/2"`); text after a closing quote, or a quote
/// that is never closed, is an error.
public struct CSVReader {
    private let bytes: [UInt8]
    public let delimiter: UInt8
    private var position = 0
    /// The line the next record starts on (after blank lines).
    public private(set) var line = 1
    /// Whether the last record read surely ended with a line end (false: it ran to the end of
    /// the text, or ended with a CR that is the text's last byte, which an LF may follow in
    /// the next piece of a file read in pieces).
    public private(set) var lastRecordTerminated = false
    private var scratch: [UInt8] = []

    /// `text` must be UTF-8 without a BOM (see `TextDecoder`). `firstLine` numbers its first
    /// line, for a text that continues an earlier one (a file read in pieces).
    public init(utf8 text: [UInt8], delimiter: UInt8 = UInt8(ascii: ","), firstLine: Int = 1) {
        self.bytes = text
        self.delimiter = delimiter
        self.line = firstLine
    }

    /// The offset in the text where the next record (or blank lines before it) starts.
    public var offset: Int { position }

    /// The delimiter a header line uses: `;` when it has more semicolons than commas, else `,`.
    public static func detectDelimiter(utf8 text: [UInt8]) -> UInt8 {
        var commas = 0
        var semicolons = 0
        for byte in text {
            if byte == 0x0A || byte == 0x0D { break }
            if byte == UInt8(ascii: ",") { commas += 1 }
            if byte == UInt8(ascii: ";") { semicolons += 1 }
        }
        return semicolons > commas ? UInt8(ascii: ";") : UInt8(ascii: ",")
    }

    /// The length of the line end at `index` (2 for CRLF, 1 for LF or a lone CR), 0 if none.
    @inline(__always)
    private static func lineEnd(at index: Int, in buffer: UnsafeBufferPointer<UInt8>) -> Int {
        let byte = buffer[index]
        if byte == 0x0A { return 1 }
        if byte == 0x0D { return index + 1 < buffer.count && buffer[index + 1] == 0x0A ? 2 : 1 }
        return 0
    }

    /// Reads the next record into `record`; false at the end of the text.
    public mutating func readRecord(into record: inout CSVRecord) throws(CSVFileError) -> Bool {
        record.fields.removeAll(keepingCapacity: true)
        let quote = UInt8(ascii: "\"")
        let newline: UInt8 = 0x0A
        let carriageReturn: UInt8 = 0x0D
        let count = bytes.count
        return try bytes.withUnsafeBufferPointer { buffer throws(CSVFileError) -> Bool in
            // Skip blank lines.
            while position < count {
                let end = Self.lineEnd(at: position, in: buffer)
                guard end > 0 else { break }
                line += 1
                position += end
            }
            guard position < count else { return false }
            record.line = line
            lastRecordTerminated = false
            /// Ends the record at the line end at `position` (of `length` bytes).
            func endRecord(_ length: Int) -> Bool {
                // A CR that ends the text may be the first half of a CRLF cut by a piece.
                lastRecordTerminated = !(length == 1 && buffer[position] == carriageReturn && position + 1 == count)
                position += length
                line += 1
                return true
            }
            while true {
                if position < count, buffer[position] == quote {
                    // Quoted field.
                    let openedOn = line
                    position += 1
                    scratch.removeAll(keepingCapacity: true)
                    var segmentStart = position
                    while true {
                        guard position < count else {
                            throw CSVFileError(.malformed, line: openedOn, "a quoted field opened on line \(openedOn) is never closed")
                        }
                        let byte = buffer[position]
                        if byte == quote {
                            scratch.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[segmentStart..<position]))
                            if position + 1 < count, buffer[position + 1] == quote {
                                scratch.append(quote)
                                position += 2
                                segmentStart = position
                                continue
                            }
                            position += 1
                            break
                        }
                        // Line breaks inside the field are kept; count CRLF once, a lone CR too.
                        if byte == newline || (byte == carriageReturn && (position + 1 >= count || buffer[position + 1] != newline)) {
                            line += 1
                        }
                        position += 1
                    }
                    record.fields.append(String(decoding: scratch, as: UTF8.self))
                    // After the closing quote: a delimiter, a line end or the end of the text.
                    if position >= count { return true }
                    if buffer[position] == delimiter {
                        position += 1
                        continue
                    }
                    let end = Self.lineEnd(at: position, in: buffer)
                    if end > 0 { return endRecord(end) }
                    throw CSVFileError(.malformed, line: line, "unexpected text after the closing quote of a field")
                }
                // Unquoted field: up to the delimiter or the line end.
                let start = position
                while position < count {
                    let byte = buffer[position]
                    if byte == delimiter || byte == newline || byte == carriageReturn { break }
                    position += 1
                }
                record.fields.append(String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<position]), as: UTF8.self))
                if position >= count { return true }
                if buffer[position] == delimiter {
                    position += 1
                    if position >= count {
                        record.fields.append("")
                        return true
                    }
                    continue
                }
                return endRecord(Self.lineEnd(at: position, in: buffer))
            }
        }
    }
}

/// The one CSV writer of Puente. A dialect says how the file looks; the writer quotes only
/// the fields that need it (delimiter, quote, CR or LF inside, or blanks at either end).
public struct CSVWriter {
    public struct Dialect: Sendable {
        public var delimiter: UInt8
        public var lineEnding: [UInt8]
        public var byteOrderMark: Bool

        public init(delimiter: UInt8, lineEnding: [UInt8], byteOrderMark: Bool) {
            self.delimiter = delimiter
            self.lineEnding = lineEnding
            self.byteOrderMark = byteOrderMark
        }

        /// RFC 4180 for programs: `,`, LF line ends, UTF-8 without BOM.
        public static let machine = Dialect(delimiter: UInt8(ascii: ","), lineEnding: [0x0A], byteOrderMark: false)
        /// What Excel with Spanish (Argentina) settings opens cleanly: `;`, CRLF, UTF-8 with BOM.
        public static let excelSpanish = Dialect(delimiter: UInt8(ascii: ";"), lineEnding: [0x0D, 0x0A], byteOrderMark: true)
    }

    public let dialect: Dialect
    /// The bytes written so far and not yet taken with `takeBytes()`.
    public private(set) var buffer: [UInt8] = []

    public init(dialect: Dialect) {
        self.dialect = dialect
        if dialect.byteOrderMark { buffer.append(contentsOf: TextDecoder.utf8BOM) }
    }

    /// Appends one record.
    public mutating func write<S: Sequence>(_ fields: S) where S.Element: StringProtocol {
        var first = true
        for field in fields {
            if !first { buffer.append(dialect.delimiter) }
            first = false
            var field = String(field)
            field.withUTF8 { append($0) }
        }
        endRecord()
    }

    /// Appends one field of the current record from raw UTF-8 (for writers that stream rows
    /// without making a `String` per value). Call `endRecord()` after the last field.
    public mutating func writeField(_ bytes: UnsafeBufferPointer<UInt8>, first: Bool) {
        if !first { buffer.append(dialect.delimiter) }
        append(bytes)
    }

    /// Ends the current record.
    public mutating func endRecord() {
        buffer.append(contentsOf: dialect.lineEnding)
    }

    /// Hands over the bytes written so far (for streaming to a file) and empties the buffer.
    public mutating func takeBytes() -> [UInt8] {
        defer { buffer.removeAll(keepingCapacity: true) }
        return buffer
    }

    /// Hands the bytes written so far to `body` (to stream them to a file) and empties the
    /// buffer, keeping its storage for the next records.
    public mutating func drain(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        try buffer.withUnsafeBufferPointer { try body($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private mutating func append(_ utf8: UnsafeBufferPointer<UInt8>) {
        let quote = UInt8(ascii: "\"")
        var needsQuotes = false
        for byte in utf8 where byte == dialect.delimiter || byte == quote || byte == 0x0A || byte == 0x0D {
            needsQuotes = true
            break
        }
        if let first = utf8.first, first == 0x20 || first == 0x09 { needsQuotes = true }
        if let last = utf8.last, last == 0x20 || last == 0x09 { needsQuotes = true }
        guard needsQuotes else {
            buffer.append(contentsOf: utf8)
            return
        }
        buffer.append(quote)
        for byte in utf8 {
            if byte == quote { buffer.append(quote) }
            buffer.append(byte)
        }
        buffer.append(quote)
    }
}

extension String {
    /// The string without spaces and tabs at either end; cheap when there are none (most fields).
    public func trimmingBlanks() -> String {
        let utf8 = self.utf8
        guard let first = utf8.first, let lastByte = utf8.last else { return self }
        let isBlank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        if !isBlank(first) && !isBlank(lastByte) { return self }
        let bytes = Array(utf8)
        guard let start = bytes.firstIndex(where: { !isBlank($0) }) else { return "" }
        let end = bytes.lastIndex(where: { !isBlank($0) })!
        return String(decoding: bytes[start...end], as: UTF8.self)
    }
}
