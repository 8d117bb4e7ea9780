import PuenteFormats
import Testing

@Suite struct CSVReaderTests {
    func records(_ text: String, delimiter: Character = ",") throws -> [(Int, [String])] {
        var reader = CSVReader(utf8: Array(text.utf8), delimiter: delimiter.asciiValue!)
        var record = CSVRecord()
        var result: [(Int, [String])] = []
        while try reader.readRecord(into: &record) { result.append((record.line, record.fields)) }
        return result
    }

    @Test func readsPlainAndQuotedFields() throws {
        let rows = try records("a,b,c\n1,\"dos, tres\",\"con \"\"comillas\"\"\"\n")
        #expect(rows.map(\.1) == [["a", "b", "c"], ["1", "dos, tres", "con \"comillas\""]])
    }

    @Test func keepsEmbeddedNewlinesAndCountsPhysicalLines() throws {
        let rows = try records("h1,h2\r\n\"línea\r\nsegunda\",x\r\nfin,y\r\n")
        #expect(rows.map(\.1) == [["h1", "h2"], ["línea\r\nsegunda", "x"], ["fin", "y"]])
        #expect(rows.map(\.0) == [1, 2, 4])
    }

    @Test func skipsBlankLinesAndHandlesMissingFinalNewline() throws {
        let rows = try records("a;b\n\n1;2\n\n\n3;4", delimiter: ";")
        #expect(rows.map(\.1) == [["a", "b"], ["1", "2"], ["3", "4"]])
        #expect(rows.map(\.0) == [1, 3, 6])
    }

    @Test func emptyFieldsAndTrailingDelimiter() throws {
        let rows = try records(",,\nx,\n")
        #expect(rows.map(\.1) == [["", "", ""], ["x", ""]])
    }

    @Test func bareQuoteInsideUnquotedFieldIsLiteral() throws {
        let rows = try records("Tornillo 1/2\" x 3,u\n")
        #expect(rows.map(\.1) == [["Tornillo 1/2\" x 3", "u"]])
    }

    @Test func unclosedQuoteIsAnErrorNamingItsLine() {
        #expect(throws: CSVFileError(.malformed, line: 2, "a quoted field opened on line 2 is never closed")) {
            try records("a,b\n\"never,closed\n3,4\n")
        }
    }

    @Test func textAfterClosingQuoteIsAnError() {
        #expect(throws: CSVFileError.self) { try records("\"abc\"def,1\n") }
    }

    @Test func detectsTheDelimiterFromTheHeader() {
        #expect(CSVReader.detectDelimiter(utf8: Array("price_list;product;price\n1,5;2;3".utf8)) == UInt8(ascii: ";"))
        #expect(CSVReader.detectDelimiter(utf8: Array("code,name\n".utf8)) == UInt8(ascii: ","))
    }
}

@Suite struct CSVWriterTests {
    @Test func quotesOnlyWhatNeedsIt() {
        var writer = CSVWriter(dialect: .machine)
        writer.write(["P01", "Aceite girasol 1,5 l", "dice \"hola\"", "dos\nlíneas", " borde", "1234.50"])
        let text = String(decoding: writer.takeBytes(), as: UTF8.self)
        #expect(text == "P01,\"Aceite girasol 1,5 l\",\"dice \"\"hola\"\"\",\"dos\nlíneas\",\" borde\",1234.50\n")
    }

    @Test func excelDialectHasBOMSemicolonsAndCRLF() {
        var writer = CSVWriter(dialect: .excelSpanish)
        writer.write(["a;b", "1234,50"])
        #expect(writer.takeBytes() == [0xEF, 0xBB, 0xBF] + Array("\"a;b\";1234,50\r\n".utf8))
    }

    @Test func whatTheWriterWritesTheReaderReadsBack() throws {
        let rows = [["código", "descripción"], ["P\"1", "a,b\r\nc"], ["", " x "]]
        var writer = CSVWriter(dialect: .machine)
        for row in rows { writer.write(row) }
        var reader = CSVReader(utf8: writer.takeBytes())
        var record = CSVRecord()
        var back: [[String]] = []
        while try reader.readRecord(into: &record) { back.append(record.fields) }
        #expect(back == rows)
    }
}
