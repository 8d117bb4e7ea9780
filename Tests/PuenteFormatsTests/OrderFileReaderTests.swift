import Foundation
import PuenteDomain
import PuenteFormats
import PuenteTestSupport
import Testing

@Suite struct OrderFileReaderTests {
    static let repository = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func read(_ file: URL, maxBytes: Int = 1 << 30) throws -> [OrderDraft] {
        var orders: [OrderDraft] = []
        try OrderFileReader.read(path: file.path, maxBytes: maxBytes) { orders.append($0) }
        return orders
    }

    func failure(_ file: URL, maxBytes: Int = 1 << 30) -> OrderFileError? {
        do {
            _ = try read(file, maxBytes: maxBytes)
            return nil
        } catch let error as OrderFileError {
            return error
        } catch {
            return OrderFileError(.malformedXML, "unexpected \(error)")
        }
    }

    @Test func theEmbeddedSchemaIsTheOneInDocs() throws {
        let shipped = try String(contentsOf: Self.repository.appending(path: "docs/schemas/orders.xsd"), encoding: .utf8)
        #expect(OrdersSchema.text + "\n" == shipped)
    }

    @Test func readsTheSampleXMLWithLines() throws {
        let orders = try read(Self.repository.appending(path: "Samples/orders/pedidos-2026-11-28-manana.xml"))
        #expect(orders.map(\.id) == ["W-10045", "W-10046", "W-10047", "W-10048", "W-10049", "W-10050", "W-10051", "W-10052"])
        let first = try #require(orders.first)
        #expect(first.client == "C0001" && first.pos == "9900" && first.seller == "")
        #expect(first.note == "Entregar por la tarde")
        #expect(first.line == 4)
        #expect(first.lines.map(\.line) == [6, 7])
        #expect(orders[1].seller == "V01")
    }

    @Test func readsTheSampleCSVGroupingRowsIntoOrders() throws {
        let orders = try read(Self.repository.appending(path: "Samples/orders/pedidos-2026-11-28-tarde.csv"))
        #expect(orders.map(\.id) == ["W-10045", "W-10053", "W-10054", "W-10055", "W-10046", "W-10056"])
        #expect(orders[0].lines.count == 2 && orders[0].date == "2026-11-28T10:15:00-03:00")
        #expect(orders[1].note == "Dejar en el kiosco, timbre \"B\"")
        #expect(orders[1].lines.map(\.line) == [4, 5, 6])
        #expect(orders[3].lines.first?.quantity == "abc")
    }

    @Test func refusesDoctypesAndNeverReadsEntities() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let secret = try folder.write("secret.txt", "TOP-SECRET")
        let files = [
            "file-entity.xml": """
                <?xml version="1.0"?>
                <!DOCTYPE orders [ <!ENTITY s SYSTEM "file://\(secret.path)"> ]>
                <orders version="1"><order id="&s;" pos="9900" date="d" client="c"/></orders>
                """,
            "http-entity.xml": """
                <?xml version="1.0"?>
                <!DOCTYPE orders [ <!ENTITY s SYSTEM "http://127.0.0.1:9/x"> ]>
                <orders version="1"><order id="&s;" pos="9900" date="d" client="c"/></orders>
                """,
            "external-dtd.xml": """
                <?xml version="1.0"?>
                <!DOCTYPE orders SYSTEM "http://127.0.0.1:9/orders.dtd">
                <orders version="1"/>
                """,
            "billion-laughs.xml": """
                <?xml version="1.0"?>
                <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
                <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
                <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
                <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
                <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
                <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
                <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
                <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
                <orders version="1"><order id="&lol9;" pos="9900" date="d" client="c"/></orders>
                """,
            "quadratic.xml": "<?xml version=\"1.0\"?>\n<!DOCTYPE orders [<!ENTITY a \"\(String(repeating: "x", count: 50_000))\">]>\n<orders version=\"1\"><order id=\"\(String(repeating: "&a;", count: 5_000))\" pos=\"9900\" date=\"d\" client=\"c\"/></orders>",
        ]
        for (name, text) in files {
            let file = try folder.write(name, text)
            let start = Date()
            let error = failure(file)
            #expect(error?.code == .doctypeNotAllowed, "\(name): \(String(describing: error))")
            #expect(error?.line == 2, "\(name)")
            #expect(Date().timeIntervalSince(start) < 5, "\(name) is refused without expanding anything")
        }
        // Past the 64 KiB the prolog check reads: libxml2's parser meets the DOCTYPE and is
        // stopped there, before a declaration of its internal subset is parsed.
        let comment = "<?xml version=\"1.0\"?>\n<!-- \(String(repeating: "x", count: 70_000)) -->\n"
        for (name, text) in [("late-file-entity.xml", files["file-entity.xml"]!), ("late-billion-laughs.xml", files["billion-laughs.xml"]!)] {
            let late = comment + text.drop(while: { $0 != "\n" }).dropFirst()
            let start = Date()
            let error = failure(try folder.write(name, late))
            #expect(error?.code == .doctypeNotAllowed && error?.line == 3, "\(name): \(String(describing: error))")
            #expect(Date().timeIntervalSince(start) < 5, "\(name) is refused without expanding anything")
        }
        // The sample that tries to read /etc/passwd.
        let sample = failure(Self.repository.appending(path: "Samples/orders/pedido-con-doctype.xml"))
        #expect(sample?.code == .doctypeNotAllowed)
    }

    @Test func anHTTPEntityOrDTDIsNeverFetched() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        // A listening socket on loopback: any attempt to fetch would connect to it.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(listener >= 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        #expect(listen(listener, 8) == 0)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        let port = UInt16(bigEndian: address.sin_port)
        let files = [
            "entity.xml": "<?xml version=\"1.0\"?>\n<!DOCTYPE orders [ <!ENTITY s SYSTEM \"http://127.0.0.1:\(port)/x\"> ]>\n<orders version=\"1\"><order id=\"&s;\" pos=\"9900\" date=\"d\" client=\"c\"/></orders>",
            "dtd.xml": "<?xml version=\"1.0\"?>\n<!DOCTYPE orders SYSTEM \"http://127.0.0.1:\(port)/orders.dtd\">\n<orders version=\"1\"/>",
            "schema-location.xml": "<orders version=\"1\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:noNamespaceSchemaLocation=\"http://127.0.0.1:\(port)/o.xsd\"/>",
        ]
        for (name, text) in files {
            _ = failure(try folder.write(name, text))
        }
        // Nothing is waiting to be accepted.
        _ = fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK)
        let connection = accept(listener, nil, nil)
        #expect(connection < 0, "a file made Puente connect to the network")
        if connection >= 0 { close(connection) }
    }

    @Test func xmlLinesPastTheSixteenBitRangeAndEscapedValuesAreReadAsWritten() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        // 40,000 orders of a line each, three lines of text per order: past line 65,535, where
        // libxml2's streaming reader gave element lines wrong (65,535 or one off).
        var text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<orders version=\"1\">\n"
        for order in 0..<40_000 {
            text += "  <order id=\"W-\(order)\" pos=\"9900\" date=\"2026-11-28T10:00:00-03:00\" client=\"C1\">\n"
            text += "    <line product=\"P\(order)\" quantity=\"1\" price=\"10.00\"/>\n  </order>\n"
        }
        text += """
              <order id="A &amp; B &#38; C &lt;x&gt; &#241; &amp;#38;" pos="9900" date="d" client="Pe\u{F1}a &quot;x&quot;">
                <note>a &amp; <![CDATA[<b> & ]]>c\u{20AC}</note>
              </order>
            </orders>

            """
        let orders = try read(try folder.write("long.xml", text))
        #expect(orders.count == 40_001)
        #expect(orders.prefix(40_000).map(\.line) == (0..<40_000).map { 3 + 3 * $0 })
        #expect(orders.prefix(40_000).map { $0.lines.first?.line ?? 0 } == (0..<40_000).map { 4 + 3 * $0 })
        #expect(orders[39_999].lines.first?.product == "P39999")
        let last = try #require(orders.last)
        #expect(last.id == "A & B & C <x> ñ &#38;")
        #expect(last.client == "Peña \"x\"")
        #expect(last.note == "a & <b> & c€")
        #expect(last.line == 120_003)
    }

    @Test func anOrderIsHandedOverOnlyOnceTheSchemaAcceptedAllOfIt() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let head = "<orders version=\"1\">\n<order id=\"W-1\" pos=\"9900\" date=\"d\" client=\"c\"><line product=\"P\" quantity=\"1\" price=\"1\"/></order>\n"
        for (name, bad) in [("after.xml", "<order id=\"W-2\" pos=\"9900\" date=\"d\" client=\"c\"><line product=\"P\" quantity=\"1\" price=\"1\"/>\n<note>late</note></order>"),
                            ("text.xml", "<order id=\"W-2\" pos=\"9900\" date=\"d\" client=\"c\">\nloose text</order>")] {
            let file = try folder.write(name, head + bad + "\n</orders>\n")
            var handed: [String] = []
            var error: OrderFileError?
            do {
                try OrderFileReader.read(path: file.path, maxBytes: 1 << 20) { handed.append($0.id) }
            } catch let caught as OrderFileError {
                error = caught
            }
            #expect(error?.code == .schemaViolation, "\(name)")
            #expect(error?.line == 4, "\(name): \(String(describing: error))")
            #expect(handed == ["W-1"], "\(name): the order the schema refused was never handed over")
        }
    }

    @Test func fileLevelRejections() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        func code(_ name: String, _ bytes: [UInt8], maxBytes: Int = 1 << 30) throws -> OrderFileError? {
            failure(try folder.write(name, bytes: bytes), maxBytes: maxBytes)
        }
        let good = Array("<orders version=\"1\"><order id=\"W\" pos=\"9900\" date=\"d\" client=\"c\"/></orders>".utf8)
        #expect(try code("ok.xml", good) == nil)
        #expect(try code("empty.xml", [])?.code == .malformedXML)
        #expect(try code("empty.csv", [])?.code == .malformedCSV)
        #expect(try code("broken.xml", Array("<orders version=\"1\"><order id=\"W\"".utf8))?.code == .malformedXML)
        #expect(try code("two-roots.xml", good + Array("<orders version=\"1\"/>".utf8))?.code == .malformedXML)
        #expect(try code("unknown.xml", Array("<orders version=\"1\"><pedido/></orders>".utf8))?.code == .schemaViolation)
        let missing = try code("missing.xml", Array("<orders version=\"1\">\n<order id=\"W\" pos=\"9900\" date=\"d\"/></orders>".utf8))
        #expect(missing?.code == .schemaViolation && missing?.line == 2)
        #expect(try code("big.xml", good, maxBytes: 10)?.code == .fileTooLarge)
        #expect(try code("utf16.xml", [0xFF, 0xFE, 0x3C, 0x00])?.code == .unsupportedEncoding)
        #expect(try code("ebcdic.xml", Array("<?xml version=\"1.0\" encoding=\"EBCDIC-US\"?><orders version=\"1\"/>".utf8))?.code
                == .unsupportedEncoding)
        #expect(try code("bom.xml", [0xEF, 0xBB, 0xBF] + Array("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><orders version=\"1\"/>".utf8))?.code
                == .unsupportedEncoding, "a BOM that contradicts the declaration")
        let latin = Array("<?xml version=\"1.0\" encoding=\"windows-1252\"?><orders version=\"1\"><order id=\"W\" pos=\"9900\" date=\"d\" client=\"Pe".utf8)
            + [0xF1] + Array("a\"/></orders>".utf8)
        let orders = try read(try folder.write("latin.xml", bytes: latin))
        #expect(orders.first?.client == "Peña")
        // libxml2 converts ahead of its parsing: the line is the undefined byte's own.
        let undefined = Array("<?xml version=\"1.0\" encoding=\"windows-1252\"?>\r\n<orders version=\"1\">\n<order id=\"W".utf8) + [0x81]
            + Array("\" pos=\"9900\" date=\"d\" client=\"c\"/></orders>".utf8)
        let conversion = try code("undefined.xml", undefined)
        #expect(conversion?.code == .malformedXML && conversion?.line == 3, "\(String(describing: conversion))")
        #expect(try code("quote.csv", Array("order,pos,date,client,seller,product,quantity,price,note\nW,9900,d,c,,P,1,1,\"open\n".utf8))?.code
                == .malformedCSV)
        #expect(try code("columns.csv", Array("order,pos,date\nW,9900,d\n".utf8))?.code == .malformedCSV)
    }
}

@Suite struct CSVOrderStreamingTests {
    @Test func ordersAndQuotedLineBreaksSurviveThePieceBoundaries() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        // About 12 MiB: twelve 1 MiB pieces, with quoted notes holding line breaks and commas
        // and multi-byte letters everywhere, so boundaries fall inside all of them.
        var text = "order,pos,date,client,seller,product,quantity,price,note\n"
        var expectedLines: [Int] = []
        var line = 2
        for order in 0..<40_000 {
            expectedLines.append(line)
            text += "W-\(order),9900,2026-11-28T10:00:00-03:00,C\(order),,P1,1,10.00,\"nota, ñandú\nsegunda línea \"\"x\"\"\"\n"
            line += 2
            for extra in 0..<3 {
                text += "W-\(order),9900,,,,P\(extra + 2),2,3.50,\n"
                line += 1
            }
        }
        let file = try folder.write("big.csv", text)
        var orders: [OrderDraft] = []
        try OrderFileReader.read(path: file.path, maxBytes: 1 << 30) { orders.append($0) }
        #expect(orders.count == 40_000)
        #expect(orders.map(\.line) == expectedLines)
        #expect(orders.allSatisfy { $0.lines.count == 4 && $0.note == "nota, ñandú\nsegunda línea \"x\"" })
        #expect(orders.last?.id == "W-39999")

        // The same in Windows-1252, decided from the whole file though its first pieces are ASCII.
        var latin = Array("order,pos,date,client,seller,product,quantity,price,note\n".utf8)
        for order in 0..<120_000 { latin += Array("W-\(order),9900,2026-11-28T10:00:00-03:00,C1,,P1,1,1,x\n".utf8) }
        latin += Array("W-LAST,9900,2026-11-28T10:00:00-03:00,C1,,P1,1,1,Pe".utf8) + [0xF1] + Array("a\n".utf8)
        let latinFile = try folder.write("latin.csv", bytes: latin)
        var notes: [String] = []
        try OrderFileReader.read(path: latinFile.path, maxBytes: 1 << 30) { notes.append($0.note) }
        #expect(notes.count == 120_001)
        #expect(notes.last == "Peña" && notes.dropLast().allSatisfy { $0 == "x" })
    }
}
