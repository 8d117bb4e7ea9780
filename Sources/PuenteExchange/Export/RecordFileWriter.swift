import Foundation
import PuenteDomain
import PuenteFormats
import PuenteSecurity
import PuenteStore

/// Writes one record set as `NAME.xml` (libxml2's streaming writer) and `NAME.csv` (the
/// machine dialect) side by side, row by row, so memory stays flat whatever the count.
final class RecordFileWriter {
    let file: PackageFile
    private let xmlEntry: PackageEntry
    private let csvEntry: PackageEntry
    private let xml: XMLStreamWriter
    private var csv = CSVWriter(dialect: .machine)
    /// Attribute names as C strings, made once.
    private let attributeNames: [UnsafeMutablePointer<UInt8>]
    /// Scratch space for a formatted number or flag.
    private let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: DecimalText.capacity)
    private(set) var records = 0

    init(file: PackageFile, folder: URL) throws {
        self.file = file
        xmlEntry = try PackageEntry(name: file.name + ".xml", spoolFolder: folder)
        csvEntry = try PackageEntry(name: file.name + ".csv", spoolFolder: folder)
        let entry = xmlEntry
        xml = try XMLStreamWriter { entry.write($0) }
        attributeNames = file.fields.map { field in
            let bytes = Array(field.name.utf8) + [0]
            let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: bytes.count)
            pointer.initialize(from: bytes, count: bytes.count)
            return pointer
        }
        try xml.startDocument()
        try xml.startElement(file.name)
        try xml.attribute("version", "1")
        csv.write(file.fields.map(\.name))
    }

    deinit {
        attributeNames.forEach { $0.deallocate() }
        scratch.deallocate()
    }

    /// Appends one record from the store's row.
    func write(_ row: ExportRow) throws {
        try xml.raw("\n")
        try xml.startElement(file.element)
        for (index, field) in file.fields.enumerated() {
            let column = Int32(index)
            let value: UnsafeBufferPointer<UInt8>
            switch field.format {
            case .text:
                value = row.text(column)
            case .money:
                value = formatted(row.integer(column), scale: Money.scale)
            case .rate:
                value = formatted(row.integer(column), scale: Percentage.scale)
            case .flag:
                value = row.integer(column) == 0 ? Self.falseText : Self.trueText
            case .orderNumber:
                let packed = Int(row.integer(column))
                let text = Array(OrderNumber(pos: packed / 100_000_000, sequence: packed % 100_000_000).description.utf8)
                text.withUnsafeBufferPointer { scratch.initialize(from: $0.baseAddress!, count: text.count) }
                scratch[text.count] = 0
                value = UnsafeBufferPointer(start: scratch, count: text.count)
            }
            do {
                try xml.attribute(attributeNames[index], value.baseAddress!)
            } catch let error as PuenteError where error.code == .invalidInput {
                // Refused at the door since; a record stored before then is named to be fixed.
                let key = String(decoding: row.text(0), as: UTF8.self)
                throw PuenteError(.invalidInput, "\(file.name) record \(SafeText.escapingNonXMLCharacters(key)): \(error.message)")
            }
            csv.writeField(value, first: index == 0)
        }
        try xml.endElement()
        csv.endRecord()
        records += 1
        if csv.buffer.count >= 1 << 16 { drainCSV() }
    }

    /// Ends both documents and returns them as the manifest will list them.
    func finish() throws -> [PackageEntryResult] {
        try xml.raw("\n")
        try xml.endElement()
        try xml.endDocument()
        drainCSV()
        return [try xmlEntry.finish(records: records), try csvEntry.finish(records: records)]
    }

    private func drainCSV() {
        let entry = csvEntry
        csv.drain { entry.write(UnsafeRawBufferPointer($0)) }
    }

    private func formatted(_ units: Int64, scale: Int) -> UnsafeBufferPointer<UInt8> {
        let count = DecimalText.write(units, scale: scale, minimumFractionDigits: 2,
                                      decimalSeparator: UInt8(ascii: "."), to: scratch)
        return UnsafeBufferPointer(start: scratch, count: count)
    }

    private static var trueText: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: ("true" as StaticString).utf8Start, count: 4)
    }
    private static var falseText: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: ("false" as StaticString).utf8Start, count: 5)
    }
}
