import Foundation
import PuenteDomain
import PuenteFormats
import PuenteTestSupport
import Testing

/// The plain-shape check (`SchemaCheck.plainShapeFirst`) only vouches: whatever it lets through,
/// libxml2's validator of the orders schema accepts too, with the same orders; everything else
/// it hands back (`ReadWithTheSchema`), and the validator decides.
@Suite struct PlainShapeTests {
    /// What a read made of a file: the orders, or the error that ended it.
    enum Reading: Equatable {
        case orders([OrderDraft])
        case failed(OrderFileError)
        case readWithTheSchema
    }

    static func reading(_ path: String, _ schema: OrderFileReader.SchemaCheck) -> Reading {
        var orders: [OrderDraft] = []
        do {
            try OrderFileReader.read(path: path, maxBytes: 1 << 30, schema: schema) { orders.append($0) }
            return .orders(orders)
        } catch let error as OrderFileError {
            return .failed(error)
        } catch is OrderFileReader.ReadWithTheSchema {
            return .readWithTheSchema
        } catch {
            return .failed(OrderFileError(.malformedXML, "unexpected \(error)"))
        }
    }

    /// Reads `path` both ways; the plain shape either agrees with the schema's reading of an
    /// accepted file or hands it back. Returns both readings.
    @discardableResult
    static func compare(_ path: String, _ comment: Comment? = nil) -> (schema: Reading, plain: Reading) {
        let schema = reading(path, .orderSchema)
        let plain = reading(path, .plainShapeFirst)
        if case .orders = plain {
            #expect(plain == schema, "the plain shape vouched for a file the schema reads otherwise: \(comment ?? "")")
        } else {
            #expect(plain == .readWithTheSchema, "the plain shape never gives a verdict of its own: \(comment ?? "")")
        }
        return (schema, plain)
    }

    static let head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<orders version=\"1\">\n"
    static let order = "<order id=\"W-1\" pos=\"9900\" date=\"2026-11-28T10:00:00-03:00\" client=\"C1\">\n"
        + "  <note>n</note>\n  <line product=\"P1\" quantity=\"2\" price=\"10.00\"/>\n</order>\n"
    static let tail = "</orders>\n"

    @Test func vouchesForTheSamplesAndTheBenchmarksShape() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let samples = OrderFileReaderTests.repository.appending(path: "Samples/orders")
        let names = try FileManager.default.contentsOfDirectory(atPath: samples.path).filter { $0.hasSuffix(".xml") }
        #expect(!names.isEmpty)
        for name in names {
            let (schema, plain) = Self.compare(samples.appending(path: name).path, "\(name)")
            // (pedido-con-doctype.xml is the sample of a refused file.)
            if case .orders = schema { #expect(plain == schema, "\(name): a sample is of the plain shape") }
        }
        // The generator's shape (Benchmarks/generate.py): notes or none, sellers or none, a
        // self-closed order, Latin-1, character references, comments, blanks of all kinds.
        var text = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\r\n<!-- exported -->\n<orders version=\"1\">\n"
        for index in 0..<500 {
            let seller = index % 3 == 0 ? " seller=\"V\(index % 7)\"" : ""
            let note = index % 4 == 0 ? "\t<note>Pe\u{F1}a &amp; <![CDATA[<x>]]> &#233;</note>\r\n" : ""
            text += "  <order id=\"W-\(index)\"\tpos=\"9900\" date=\"2026-11-0\(index % 9 + 1)T08:00:00-03:00\"\n client=\"C\(index)\"\(seller)>\n"
                + note + "    <!-- a line -->\n    <line product=\"P\(index)\" quantity=\"\(index % 5)\" price=\"1\(index).50\"/>\n"
                + "    <line price=\"3\" quantity=\"abc\" product=\"P&#38;\"></line>\n  </order>\n"
        }
        text += "  <order id=\"W-last\" pos=\"9900\" date=\"d\" client=\"C\"/>\n</orders>\n<?pi after?>\n"
        let file = try folder.write("latin.xml", bytes: Array(text.unicodeScalars.map { UInt8($0.value) }))
        let (schema, plain) = Self.compare(file.path)
        guard case .orders(let orders) = schema else {
            Issue.record("the schema refused the generator's shape: \(schema)")
            return
        }
        #expect(orders.count == 501)
        #expect(plain == schema, "of the plain shape")
    }

    /// Files the schema accepts that the plain shape does not know: handed back, and read whole by the schema.
    @Test func handsBackWhatTheSchemaAllowsAndItDoesNotKnow() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let xsi = "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
        let allowed = [
            "xsi-root": "<?xml version=\"1.0\"?>\n<orders version=\"1\" \(xsi) xsi:noNamespaceSchemaLocation=\"orders.xsd\">\n" + Self.order + Self.tail,
            "xsi-declared-on-order": Self.head + Self.order.replacingOccurrences(of: "client=\"C1\"", with: "client=\"C1\" \(xsi)") + Self.tail,
            "empty-default-namespace": "<orders version=\"1\" xmlns=\"\">\n" + Self.order + Self.tail,
            "cdata-blank-between": Self.head + "<![CDATA[ ]]>" + Self.order + Self.tail,
        ]
        for (name, text) in allowed.sorted(by: { $0.key < $1.key }) {
            let file = try folder.write(name + ".xml", text)
            let (schema, plain) = Self.compare(file.path, "\(name)")
            #expect(plain == .readWithTheSchema, "\(name)")
            if name != "cdata-blank-between" {
                guard case .orders(let orders) = schema else {
                    Issue.record("\(name): the schema refused it: \(schema)")
                    continue
                }
                #expect(orders.map(\.id) == ["W-1"], "\(name)")
            }
        }
    }

    /// Schema violations and broken files, each a step from the plain shape: never vouched for.
    @Test func neverVouchesForAFileTheSchemaRefuses() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let order = Self.order
        let variants: [String: String] = [
            "version-2": Self.head.replacingOccurrences(of: "version=\"1\">", with: "version=\"2\">") + order + Self.tail,
            "version-blank": Self.head.replacingOccurrences(of: "version=\"1\">", with: "version=\" 1\">") + order + Self.tail,
            "no-version": "<orders>\n" + order + Self.tail,
            "root-extra-attribute": "<orders version=\"1\" site=\"x\">\n" + order + Self.tail,
            "root-other": "<pedidos version=\"1\">\n" + order + "</pedidos>\n",
            "root-order": order,
            "root-namespaced": "<orders xmlns=\"urn:x\" version=\"1\">\n" + order + Self.tail,
            "empty-id": Self.head + order.replacingOccurrences(of: "id=\"W-1\"", with: "id=\"\"") + Self.tail,
            "no-client": Self.head + order.replacingOccurrences(of: " client=\"C1\"", with: "") + Self.tail,
            "no-pos": Self.head + order.replacingOccurrences(of: " pos=\"9900\"", with: "") + Self.tail,
            "order-extra-attribute": Self.head + order.replacingOccurrences(of: "client=", with: "total=\"1\" client=") + Self.tail,
            "order-xml-lang": Self.head + order.replacingOccurrences(of: "client=", with: "xml:lang=\"es\" client=") + Self.tail,
            "order-xsi-type": Self.head + order.replacingOccurrences(
                of: "client=", with: "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"x\" client=") + Self.tail,
            "line-no-price": Self.head + order.replacingOccurrences(of: " price=\"10.00\"", with: "") + Self.tail,
            "line-extra-attribute": Self.head + order.replacingOccurrences(of: "price=\"10.00\"", with: "price=\"10.00\" tax=\"1\"") + Self.tail,
            "line-prefixed-attribute": Self.head + order.replacingOccurrences(
                of: "price=\"10.00\"", with: "xmlns:p=\"urn:p\" p:price=\"10.00\"") + Self.tail,
            "line-text": Self.head + order.replacingOccurrences(of: "price=\"10.00\"/>", with: "price=\"10.00\">x</line>") + Self.tail,
            "line-blank": Self.head + order.replacingOccurrences(of: "price=\"10.00\"/>", with: "price=\"10.00\"> </line>") + Self.tail,
            "line-child": Self.head + order.replacingOccurrences(of: "price=\"10.00\"/>", with: "price=\"10.00\"><note/></line>") + Self.tail,
            "note-after-line": Self.head + order.replacingOccurrences(of: "</order>", with: "<note>late</note></order>") + Self.tail,
            "two-notes": Self.head + order.replacingOccurrences(of: "<note>n</note>", with: "<note>n</note><note>m</note>") + Self.tail,
            "note-attribute": Self.head + order.replacingOccurrences(of: "<note>", with: "<note lang=\"es\">") + Self.tail,
            "note-child": Self.head + order.replacingOccurrences(of: "<note>n</note>", with: "<note>n<b>x</b></note>") + Self.tail,
            "text-in-order": Self.head + order.replacingOccurrences(of: "</order>", with: "loose</order>") + Self.tail,
            "text-in-orders": Self.head + "loose\n" + order + Self.tail,
            "nbsp-in-orders": Self.head + "\u{A0}\n" + order + Self.tail,
            "cdata-in-order": Self.head + order.replacingOccurrences(of: "</order>", with: "<![CDATA[x]]></order>") + Self.tail,
            "unknown-element": Self.head + order.replacingOccurrences(of: "</order>", with: "<gift/></order>") + Self.tail,
            "order-in-order": Self.head + order.replacingOccurrences(of: "</order>", with: order + "</order>") + Self.tail,
            "orders-in-orders": Self.head + "<orders version=\"1\"/>\n" + order + Self.tail,
            "line-in-orders": Self.head + "<line product=\"P\" quantity=\"1\" price=\"1\"/>\n" + order + Self.tail,
            "not-closed": Self.head + order,
            "bad-tag": Self.head + order.replacingOccurrences(of: "</order>", with: "</ordre>") + Self.tail,
            "undefined-entity": Self.head + order.replacingOccurrences(of: "<note>n", with: "<note>&nbsp;") + Self.tail,
            "doctype-late": Self.head.replacingOccurrences(of: "<orders", with: String(repeating: "<!-- x -->", count: 7_000) + "<!DOCTYPE orders []><orders")
                + order + Self.tail,
        ]
        for (name, text) in variants.sorted(by: { $0.key < $1.key }) {
            let file = try folder.write(name + ".xml", text)
            let (schema, plain) = Self.compare(file.path, "\(name)")
            #expect(plain == .readWithTheSchema, "\(name): \(plain)")
            guard case .failed(let error) = schema else {
                Issue.record("\(name): the schema accepted it")
                continue
            }
            #expect([.schemaViolation, .malformedXML, .doctypeNotAllowed].contains(error.code), "\(name): \(error)")
        }
    }

    /// Thousands of files a step or two from the plain shape, cut and spliced at random (a fixed
    /// seed): whatever the plain shape vouches for, the schema reads the same.
    @Test func randomMutationsNeverFoolIt() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let base = Array((Self.head + Self.order + Self.order.replacingOccurrences(of: "W-1", with: "W-2")
            .replacingOccurrences(of: "client=\"C1\"", with: "client=\"C1\" seller=\"V1\"") + Self.tail).utf8)
        let pieces = ["<", ">", "/", "\"", " ", "=", "<note>", "</note>", "<line", "/>", "</line>", "<order", "</order>",
                      "version=\"1\"", "id=\"\"", "xmlns=\"u\"", "x:a=\"1\"", "xmlns:x=\"u\"", "<![CDATA[", "]]>", "<!--", "-->",
                      "&#38;", "&amp;", "a", "\n", "product=\"P\"", "quantity=\"1\"", "price=\"2\"", "seller=\"S\"",
                      "pos=\"9900\"", "date=\"d\"", "client=\"C\"", "<orders", "</orders>", "<?pi?>", "\u{A0}"].map { Array($0.utf8) }
        var random = SplitMix(seed: 2026_12_02)
        var vouched = 0
        for index in 0..<3_000 {
            var bytes = base
            for _ in 0..<Int.random(in: 1...2, using: &random) {
                let at = Int.random(in: 0...bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes.insert(contentsOf: pieces.randomElement(using: &random)!, at: at)
                case 1: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...12, using: &random)))
                default:
                    let from = Int.random(in: 0..<bytes.count, using: &random)
                    bytes.insert(contentsOf: bytes[from..<min(bytes.count, from + Int.random(in: 1...20, using: &random))], at: at)
                }
            }
            let file = try folder.write("m\(index).xml", bytes: bytes)
            if case .orders = Self.compare(file.path, "mutation \(index): \(String(decoding: bytes, as: UTF8.self))").plain {
                vouched += 1
            }
            try FileManager.default.removeItem(at: file)
        }
        // Some of the mutations keep the plain shape (a blank added, an attribute moved): the
        // check does vouch, it is not a check that hands every file back.
        #expect(vouched > 100, "\(vouched) of 3,000 mutations vouched for")
    }
}
