import Foundation
import PuenteDomain
import PuenteFormats
import PuenteTestSupport
import Testing

@Suite struct XMLStreamWriterTests {
    func written(_ body: (XMLStreamWriter) throws -> Void) throws -> String {
        final class Bytes: @unchecked Sendable { var value: [UInt8] = [] }
        let bytes = Bytes()
        let writer = try XMLStreamWriter { bytes.value += $0 }
        try body(writer)
        return String(decoding: bytes.value, as: UTF8.self)
    }

    @Test func escapesWhatAttributesCannotHoldAsIs() throws {
        let text = try written { xml in
            try xml.startDocument()
            try xml.startElement("client")
            try xml.attribute("name", "Pérez & Hijos <\"S.A.\">\tcasa")
            try xml.endDocument()
        }
        #expect(text == """
            <?xml version="1.0" encoding="UTF-8"?>
            <client name="Pérez &amp; Hijos &lt;&quot;S.A.&quot;&gt;&#9;casa"/>

            """)
    }

    @Test func anElementBuiltWholeIsWhatTheWriterWritesTagByTag() throws {
        // Every ASCII character XML allows, and letters of two, three and four bytes.
        var values = (0x20...0x7E).map { String(UnicodeScalar(UInt8($0))) } + ["\t", "\n", "\r", "\r\n"]
        values += ["", "Pérez & Hijos <\"S.A.\">\tcasa", "ñandú €", "😀 x", "a\"b'c", "&amp;", "]]>", String(repeating: "x&", count: 500)]
        for value in values {
            let tagByTag = try written { xml in
                try xml.startDocument()
                try xml.startElement("ack")
                try xml.raw("\n")
                try xml.startElement("order")
                try xml.attribute("id", value)
                try xml.attribute("pos", "9900")
                try xml.endElement()
                try xml.endDocument()
            }
            let whole = try written { xml in
                try xml.startDocument()
                try xml.startElement("ack")
                var element = Array("\n<order".utf8)
                try XMLStreamWriter.appendAttribute("id", value, to: &element)
                try XMLStreamWriter.appendAttribute("pos", "9900", to: &element)
                element += Array("/>".utf8)
                try xml.raw(element)
                try xml.endDocument()
            }
            #expect(whole == tagByTag, "\(value.unicodeScalars.map { $0.value })")
        }
        var element: [UInt8] = []
        #expect(throws: PuenteError.self) { try XMLStreamWriter.appendAttribute("id", "a\u{1B}", to: &element) }
    }

    @Test func aSinkThatFailsStopsTheWriter() throws {
        struct DiskFull: Error {}
        let writer = try XMLStreamWriter { _ in throw DiskFull() }
        try writer.startDocument()
        try writer.startElement("prices")
        #expect(throws: DiskFull.self) { try writer.endDocument() }
    }

    @Test func validatorReportsLineAndMessage() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let schema = try folder.write("one.xsd", """
            <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
              <xs:element name="one"><xs:complexType><xs:attribute name="n" type="xs:integer" use="required"/></xs:complexType></xs:element>
            </xs:schema>
            """)
        let validator = try XMLSchemaValidator(schemaAt: schema.path)
        let good = try folder.write("good.xml", "<one n=\"1\"/>")
        let bad = try folder.write("bad.xml", "<?xml version=\"1.0\"?>\n\n<one n=\"x\"/>")
        let broken = try folder.write("broken.xml", "<one n=\"1\">")
        #expect(validator.validate(fileAt: good.path) == [])
        let issues = validator.validate(fileAt: bad.path)
        #expect(issues.map(\.line) == [3])
        #expect(issues.first?.message.contains("'x' is not a valid value") == true)
        #expect(!validator.validate(fileAt: broken.path).isEmpty)
    }

    @Test func decimalTextIsTheOneNumberFormatter() {
        func text(_ units: Int64, scale: Int) -> String {
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: DecimalText.capacity) { buffer in
                let count = DecimalText.write(units, scale: scale, minimumFractionDigits: 2,
                                              decimalSeparator: UInt8(ascii: "."), to: buffer.baseAddress!)
                #expect(buffer[count] == 0, "NUL-terminated")
                return String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<count]), as: UTF8.self)
            }
        }
        #expect(text(1200_5000, scale: 4) == "1200.50")
        #expect(text(1300_0001, scale: 4) == "1300.0001")
        #expect(text(0, scale: 4) == "0.00")
        #expect(text(-5, scale: 4) == "-0.0005")
        #expect(text(2100, scale: 2) == "21.00")
        #expect(text(Int64.max, scale: 4) == "922337203685477.5807")
        #expect(Money(units: 1200_5000).formatted(decimalSeparator: ",") == "1200,50")
    }
}
