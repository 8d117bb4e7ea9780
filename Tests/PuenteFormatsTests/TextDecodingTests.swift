import PuenteFormats
import PuenteTestSupport
import Testing

/// The one CSV file pipeline (order files and master dumps): encoding, delimiter, header and
/// records, read in pieces of any size with the same result.
@Suite struct TextDecodingTests {
    /// Every record of `bytes` as a file, `pieceSize` bytes at a time, with the header first.
    func read(_ bytes: [UInt8], pieceSize: Int = CSVFile.pieceSize) throws -> (encoding: TextEncoding, rows: [[String]], lines: [Int]) {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var csv = try CSVFile(UntrustedFile(path: folder.write("dump.csv", bytes: bytes).path), pieceSize: pieceSize)
        var rows = [csv.header]
        var lines = [csv.headerLine]
        var record = CSVRecord()
        while try csv.next(into: &record) {
            rows.append(record.fields)
            lines.append(record.line)
        }
        return (csv.encoding, rows, lines)
    }

    func error(_ bytes: [UInt8], pieceSize: Int = CSVFile.pieceSize) -> CSVFileError? {
        do {
            _ = try read(bytes, pieceSize: pieceSize)
            return nil
        } catch let error as CSVFileError {
            return error
        } catch {
            return nil
        }
    }

    @Test func lineBreaksCountEachLFCRAndCRLFOnce() {
        // LF, CR and CRLF each end one line; the count agrees with a byte-by-byte reference.
        func reference(_ bytes: [UInt8]) -> Int {
            var count = 0
            var previous: UInt8 = 0
            for byte in bytes {
                if byte == 0x0D || (byte == 0x0A && previous != 0x0D) { count += 1 }
                previous = byte
            }
            return count
        }
        var state: UInt64 = 7
        for length in [0, 1, 2, 3, 17, 1_000] {
            for _ in 0..<50 {
                let bytes = (0..<length).map { _ -> UInt8 in
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    return [0x0A, 0x0D, 0x41, 0x20][Int(state >> 62)]
                }
                #expect(TextDecoder.lineBreaks(in: bytes[...]) == reference(bytes))
                #expect(TextDecoder.lineBreaks(in: bytes.dropFirst()) == reference(Array(bytes.dropFirst())))
            }
        }
        #expect(TextDecoder.lineBreaks(in: Array("a\r\nb\rc\nd\n\r".utf8)[...]) == 5)
    }

    @Test func utf8WithoutBOMStaysAsItIs() throws {
        let read = try read(Array("Code,Name\nÑandú,Güemes\n".utf8))
        #expect(read.encoding == .utf8)
        #expect(read.rows == [["code", "name"], ["Ñandú", "Güemes"]], "the header normalized, the values as written")
    }

    @Test func utf8BOMIsRemoved() throws {
        let read = try read([0xEF, 0xBB, 0xBF] + Array("code\naño\n".utf8))
        #expect(read.encoding == .utf8)
        #expect(read.rows == [["code"], ["año"]])
    }

    @Test func invalidUTF8IsReadAsWindows1252() throws {
        // "Peña €" in Windows-1252: ñ = 0xF1, € = 0x80.
        let read = try read(Array("name\n".utf8) + [0x50, 0x65, 0xF1, 0x61, 0x20, 0x80] + [0x0A])
        #expect(read.encoding == .windows1252)
        #expect(read.rows == [["name"], ["Peña €"]])
    }

    @Test func undefinedWindows1252ByteIsAnErrorNotAReplacement() {
        let bytes = Array("a\nb\n".utf8) + [0xF1, 0x81]
        for size in [1, 2, 3, 5, 64] {
            let error = error(bytes, pieceSize: size)
            #expect(error?.kind == .encoding, "piece size \(size)")
            #expect(error?.line == 3, "piece size \(size)")
        }
    }

    @Test func bomFollowedByInvalidUTF8IsAnError() {
        #expect(error([0xEF, 0xBB, 0xBF, 0x61, 0xF1])?.kind == .encoding)
        #expect(error([0xFF, 0xFE, 0x61, 0x00])?.message.contains("UTF-16") == true)
        #expect(error([])?.kind == .malformed)
    }

    @Test func semicolonsMakeTheSpanishDialect() throws {
        let read = try read(Array("code;price\nP1;1234,50\n".utf8))
        #expect(read.rows == [["code", "price"], ["P1", "1234,50"]])
    }

    /// Pieces of any size give the same records and lines: quoted line ends, CRLF and lone
    /// CR line ends, multi-byte characters and Windows-1252 bytes cut between two pieces.
    @Test func anyPieceSizeReadsTheSameRecords() throws {
        let utf8 = Array("code,name,note\r\nP1,\"Ñandú\r\nde dos líneas\",x\r\n\r\nP2,Güemes 🧉,\"a \"\"b\"\"\"\rP3,,\n".utf8)
        let latin = Array("code,name\n".utf8) + [0x50, 0x31, 0x2C, 0xF1, 0xE1, 0x0D, 0x0A, 0x50, 0x32, 0x2C, 0x80, 0x0A]
        for bytes in [utf8, latin] {
            let whole = try read(bytes)
            for size in 1...40 {
                let pieces = try read(bytes, pieceSize: size)
                #expect(pieces.rows == whole.rows, "piece size \(size)")
                #expect(pieces.lines == whole.lines, "piece size \(size)")
                #expect(pieces.encoding == whole.encoding)
            }
        }
        #expect(try read(utf8).lines == [1, 2, 5, 6])
    }

    @Test func strictUTF8RefusesOverlongsAndSurrogates() {
        #expect(TextDecoder.firstInvalidUTF8Offset([0xC0, 0xAF]) == 0)            // overlong '/'
        #expect(TextDecoder.firstInvalidUTF8Offset([0x61, 0xED, 0xA0, 0x80]) == 1)  // surrogate
        #expect(TextDecoder.firstInvalidUTF8Offset([0xF4, 0x90, 0x80, 0x80]) == 0)  // > U+10FFFF
        #expect(TextDecoder.firstInvalidUTF8Offset(Array("ok ✓ 🧉 long ascii run here".utf8)) == nil)
        #expect(TextDecoder.firstInvalidUTF8Offset([0x61, 0xE2, 0x9C]) == 1)        // truncated
    }
}
