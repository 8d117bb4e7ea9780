import Foundation
import PuenteFormats

/// A master dump opened for reading: decoded to UTF-8, its dialect detected, its header read.
///
/// Dialect (contract): UTF-8 with or without BOM, else Windows-1252; `,` or `;` from the
/// header; decimals with `.`, or `,` when the delimiter is `;` (then a `.` is refused: in a
/// Spanish dump `1.234` may be a thousands separator, and guessing could multiply a price).
struct MasterDump {
    let url: URL
    let encoding: TextEncoding
    let delimiter: UInt8
    let decimalSeparator: Character
    private var reader: CSVReader
    private let kind: MasterKind
    /// For each of `kind.columns`, its position in the file's rows (nil when absent).
    private let positions: [Int?]

    /// A dump that cannot be read at all.
    struct FileError: Error {
        let line: Int
        let message: String
    }

    init(url: URL, kind: MasterKind) throws {
        self.url = url
        self.kind = kind
        // A FIFO or a folder with a dump's name is refused, never read forever.
        let raw: [UInt8]
        do {
            raw = try UntrustedFile(path: url.path, followLinks: true).readAll()
        } catch let error as UntrustedFileError {
            throw FileError(line: 1, message: error.reason + "; nothing of this file was loaded")
        }
        let decoded: (text: [UInt8], encoding: TextEncoding)
        do {
            decoded = try TextDecoder.decodeUTF8OrWindows1252(raw)
        } catch {
            throw FileError(line: error.line, message: error.message)
        }
        encoding = decoded.encoding
        delimiter = CSVReader.detectDelimiter(utf8: decoded.text)
        decimalSeparator = delimiter == UInt8(ascii: ";") ? "," : "."
        reader = CSVReader(utf8: decoded.text, delimiter: delimiter)
        var header = CSVRecord()
        do {
            guard try reader.readRecord(into: &header) else {
                throw FileError(line: 1, message: "the file is empty: a header row is required (\(kind.columns.joined(separator: ",")))")
            }
        } catch let error as CSVError {
            throw FileError(line: error.line, message: error.message)
        }
        var index: [String: Int] = [:]
        for (position, name) in header.fields.enumerated() {
            let normalized = name.trimmingCharacters(in: .whitespaces).lowercased()
            if index[normalized] == nil { index[normalized] = position }
        }
        let missing = kind.columns.filter { index[$0] == nil && !kind.optionalColumns.contains($0) }
        guard missing.isEmpty else {
            throw FileError(line: header.line, message: "the header lacks \(missing.map { "\"\($0)\"" }.joined(separator: ", ")) (expected \(kind.columns.joined(separator: ",")))")
        }
        positions = kind.columns.map { index[$0] }
    }

    /// Reads the next data row; false at the end.
    mutating func next(into record: inout CSVRecord) throws(CSVError) -> Bool {
        try reader.readRecord(into: &record)
    }

    /// The value of `column` in `record`, blanks around it removed; empty when absent.
    func value(_ column: String, in record: CSVRecord) -> String {
        guard let index = position(of: column) else { return "" }
        return record[index].trimmingBlanks()
    }

    /// The value exactly as written (passwords keep their blanks).
    func rawValue(_ column: String, in record: CSVRecord) -> String {
        guard let index = position(of: column) else { return "" }
        return record[index]
    }

    /// A linear look-up over at most eight short ASCII names: cheaper per field than hashing.
    private func position(of column: String) -> Int? {
        guard let slot = kind.columns.firstIndex(of: column) else {
            preconditionFailure("\(column) is not a column of \(kind.fileName)")
        }
        return positions[slot]
    }
}
