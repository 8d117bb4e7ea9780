/// A CSV file (or text decoded for one) that cannot be read as the contract's dialect says: a
/// byte no encoding of the contract allows, a break of RFC 4180, or a file that cannot be read.
/// The one {line, message} error of the format layer, for order files and master dumps alike.
public struct CSVFileError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Not UTF-8 nor Windows-1252 (UTF-16, a BOM before invalid UTF-8, an undefined byte).
        case encoding
        /// Not CSV: an unclosed quote, text after a closing quote, an empty file, no header.
        case malformed
        /// The file could not be opened or read at all.
        case unreadable
    }

    public let kind: Kind
    /// 1-based physical line (the header is line 1).
    public let line: Int
    public let message: String

    public init(_ kind: Kind, line: Int, _ message: String) {
        self.kind = kind
        self.line = line
        self.message = message
    }

    public var description: String { "line \(line): \(message)" }
}

/// The one way a CSV file comes in (order files and master dumps alike): opened through the
/// `UntrustedFile` door, its encoding decided on the whole file (UTF-8, with or without BOM,
/// when every byte is valid UTF-8; else Windows-1252), its delimiter from the header line (`;`
/// when it has more semicolons than commas, else `,`), its header read and normalized (blanks
/// trimmed, lower case), then its records streamed in pieces of at most 4 MiB, decoded as they
/// come: memory stays flat whatever the file's size.
public struct CSVFile {
    public let encoding: TextEncoding
    public private(set) var delimiter = UInt8(ascii: ",")
    /// The header's names, blanks trimmed and lower-cased, in file order.
    public private(set) var header: [String] = []
    public private(set) var headerLine = 1

    private let file: UntrustedFile
    private let skipBOM: Bool
    private var piece: [UInt8]
    private var offset: Int64 = 0
    private var atEnd = false
    private var text: [UInt8] = []
    private var reader = CSVReader(utf8: [])

    public static let pieceSize = 1 << 22

    /// Opens `file`: decides its encoding (one pass over it), reads its header.
    public init(_ file: UntrustedFile, pieceSize: Int = CSVFile.pieceSize) throws(CSVFileError) {
        self.file = file
        (encoding, skipBOM) = try Self.detectEncoding(file, pieceSize: pieceSize)
        // A small file needs no 4 MiB buffer (an Inbox holds many small files).
        piece = [UInt8](repeating: 0, count: Int(min(Int64(pieceSize), file.size + 1)))
        try load(carry: [], startingAt: 1)
        guard !text.isEmpty else { throw CSVFileError(.malformed, line: 1, "the file is empty: a header row is required") }
        delimiter = CSVReader.detectDelimiter(utf8: text)
        reader = CSVReader(utf8: text, delimiter: delimiter, firstLine: 1)
        var record = CSVRecord()
        guard try next(into: &record) else {
            throw CSVFileError(.malformed, line: 1, "the file is empty: a header row is required")
        }
        header = record.fields.map { $0.trimmingBlanks().lowercased() }
        headerLine = record.line
    }

    /// The position in a record of each of `names` (nil for one the header lacks).
    public func positions(of names: [String]) -> [Int?] {
        names.map { name in header.firstIndex(of: name) }
    }

    /// Reads the next record into `record` (the header first, inside `init`); false at the
    /// end of the file. A piece that ends inside a record is read on into the next one.
    public mutating func next(into record: inout CSVRecord) throws(CSVFileError) -> Bool {
        while true {
            let start = reader.offset
            let startLine = reader.line
            let complete: Bool
            do {
                complete = try reader.readRecord(into: &record)
            } catch {
                // A quoted field may go on in the next piece.
                guard !atEnd else { throw error }
                try load(carry: Array(text[start...]), startingAt: startLine)
                continue
            }
            if !complete {
                // Only blank lines were left in this piece: they go on with the next one (a
                // CRLF cut between the two is one line end, not two).
                if atEnd { return false }
                try load(carry: Array(text[start...]), startingAt: startLine)
                continue
            }
            if reader.lastRecordTerminated || atEnd { return true }
            // The piece ended inside (or right after the CR of) this record: read it again
            // with the next piece after it.
            try load(carry: Array(text[start...]), startingAt: startLine)
        }
    }

    /// Reads the next piece into `text`, after `carry` (the unfinished record of the last one,
    /// which starts on line `line`), and starts reading it.
    private mutating func load(carry: [UInt8], startingAt line: Int) throws(CSVFileError) {
        let first = offset == 0
        let count: Int
        do {
            count = try file.fill(&piece, at: offset)
        } catch {
            throw CSVFileError(.unreadable, line: line, "the file cannot be read: \(error)")
        }
        offset += Int64(count)
        atEnd = count < piece.count
        var bytes = piece[0..<count]
        if first, skipBOM { bytes = bytes.dropFirst(3) }
        var decoded = carry
        if encoding == .windows1252 {
            do {
                decoded += try TextDecoder.windows1252ToUTF8(Array(bytes))
            } catch {
                let piecesFirstLine = line + TextDecoder.lineBreaks(in: carry[...])
                throw CSVFileError(.encoding, line: piecesFirstLine + error.line - 1, error.message)
            }
        } else {
            decoded += bytes
        }
        text = decoded
        reader = CSVReader(utf8: text, delimiter: delimiter, firstLine: line)
    }

    /// UTF-8 (a BOM allowed) when the whole file is valid UTF-8, else Windows-1252.
    static func detectEncoding(_ file: UntrustedFile, pieceSize: Int) throws(CSVFileError) -> (TextEncoding, bom: Bool) {
        var offset: Int64 = 0
        var piece = [UInt8](repeating: 0, count: Int(min(Int64(pieceSize), file.size + 1)))
        var carry: [UInt8] = []
        var bom = false
        var first = true
        var lines = 1
        var previousEndedWithCR = false
        while true {
            let count: Int
            do {
                count = try file.fill(&piece, at: offset)
            } catch {
                throw CSVFileError(.unreadable, line: 1, "the file cannot be read: \(error)")
            }
            offset += Int64(count)
            var bytes = carry + piece[0..<count]
            if first {
                if bytes.isEmpty { throw CSVFileError(.malformed, line: 1, "the file is empty: a header row is required") }
                try TextDecoder.refuseUTF16(bytes)
                bom = bytes.starts(with: TextDecoder.utf8BOM)
                if bom { bytes.removeFirst(3) }
                first = false
            }
            // Leave a sequence cut at the end of the piece for the next one.
            var end = bytes.count
            if count == piece.count {
                var back = 0
                while back < 3, end - back - 1 >= 0, bytes[end - back - 1] & 0xC0 == 0x80 { back += 1 }
                if end - back - 1 >= 0, bytes[end - back - 1] >= 0xC0 { end = end - back - 1 }
            }
            let checked = Array(bytes[0..<end])
            if let offset = TextDecoder.firstInvalidUTF8Offset(checked) {
                if bom {
                    throw CSVFileError(.encoding, line: lines + TextDecoder.lineNumber(at: offset, in: checked) - 1,
                                       "the file starts with a UTF-8 byte order mark but byte 0x"
                                       + String(checked[offset], radix: 16, uppercase: true) + " is not valid UTF-8")
                }
                return (.windows1252, false)
            }
            lines += TextDecoder.lineBreaks(in: checked[...])
            // A CRLF cut between two pieces was counted at its CR.
            if previousEndedWithCR, checked.first == 0x0A { lines -= 1 }
            previousEndedWithCR = checked.last == 0x0D
            carry = Array(bytes[end...])
            if count < piece.count { break }
        }
        if !carry.isEmpty {
            // The file ends inside a UTF-8 sequence.
            if bom {
                throw CSVFileError(.encoding, line: lines, "the file starts with a UTF-8 byte order mark but is not valid UTF-8")
            }
            return (.windows1252, false)
        }
        return (.utf8, bom)
    }
}
