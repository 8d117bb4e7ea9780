// libFuzzer target: Puente's CSV reader on arbitrary bytes. Built by Fuzz/run.sh, never by
// SwiftPM. Checks, beyond "no crash": what the reader reads, the writer writes back so that
// the reader reads the same fields again.
import PuenteFormats

@_cdecl("LLVMFuzzerTestOneInput")
public func csvReaderFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? TextDecoder.decodeUTF8OrWindows1252(bytes)
    let delimiter = CSVReader.detectDelimiter(utf8: bytes)
    var reader = CSVReader(utf8: bytes, delimiter: delimiter)
    var record = CSVRecord()
    var records: [[String]] = []
    do {
        while try reader.readRecord(into: &record) {
            // A record of one empty field is a blank line once written: not comparable.
            if record.fields != [""] { records.append(record.fields) }
        }
    } catch {
        return 0
    }
    var writer = CSVWriter(dialect: CSVWriter.Dialect(delimiter: delimiter, lineEnding: [0x0D, 0x0A], byteOrderMark: false))
    for fields in records { writer.write(fields) }
    var again = CSVReader(utf8: writer.takeBytes(), delimiter: delimiter)
    var reread: [[String]] = []
    do {
        while try again.readRecord(into: &record) { reread.append(record.fields) }
    } catch {
        fatalError("the writer wrote what the reader refuses: \(error)")
    }
    // Invalid UTF-8 became U+FFFD when the fields were made; compare what survives.
    if reread != records { fatalError("round trip changed the records: \(records) → \(reread)") }
    return 0
}
