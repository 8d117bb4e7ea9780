import Foundation
import PuenteFormats

/// A master dump opened for reading: decoded to UTF-8, its dialect detected, its header read.
///
/// Dialect (contract): UTF-8 with or without BOM, else Windows-1252; `,` or `;` from the
/// header; decimals with `.`, or `,` when the delimiter is `;` (then a `.` is refused: in a
/// Spanish dump `1.234` may be a thousands separator, and guessing could multiply a price).
struct MasterDump {
    let url: URL
    var encoding: TextEncoding { csv.encoding }
    /// SHA-256 of the file's bytes, and their count (what was loaded is remembered by them).
    let sha256: String
    let size: Int64
    let decimalSeparator: Character
    private var csv: CSVFile
    private let kind: MasterKind
    /// For each of `kind.columns`, its position in the file's rows (nil when absent).
    private let positions: [Int?]

    /// Opens the dump (streamed: a million prices never sit in memory as text). A dump that
    /// cannot be read at all throws a `CSVFileError` naming its line.
    init(url: URL, kind: MasterKind) throws(CSVFileError) {
        self.url = url
        self.kind = kind
        do {
            // A FIFO or a folder with a dump's name is refused, never read forever.
            let file = try UntrustedFile(path: url.path, followLinks: true)
            sha256 = try file.sha256()
            size = file.size
            // Pieces of 1 MiB: a load keeps its memory small (an import, 4 MiB pieces).
            csv = try CSVFile(file, pieceSize: 1 << 20)
        } catch let error as UntrustedFileError {
            throw CSVFileError(.unreadable, line: 1, error.reason + "; nothing of this file was loaded")
        } catch let error as CSVFileError {
            let empty = error.kind == .malformed && error.message.hasPrefix("the file is empty")
            throw CSVFileError(error.kind, line: error.line, empty ? "\(error.message) (\(kind.columns.joined(separator: ",")))" : error.message)
        } catch {
            throw CSVFileError(.unreadable, line: 1, "\(error); nothing of this file was loaded")
        }
        decimalSeparator = csv.delimiter == UInt8(ascii: ";") ? "," : "."
        positions = csv.positions(of: kind.columns)
        let missing = zip(kind.columns, positions).filter { $0.1 == nil && !kind.optionalColumns.contains($0.0) }.map(\.0)
        guard missing.isEmpty else {
            throw CSVFileError(.malformed, line: csv.headerLine, "the header lacks \(missing.map { "\"\($0)\"" }.joined(separator: ", ")) (expected \(kind.columns.joined(separator: ",")))")
        }
    }

    /// Reads the next data row; false at the end.
    mutating func next(into record: inout CSVRecord) throws(CSVFileError) -> Bool {
        try csv.next(into: &record)
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
