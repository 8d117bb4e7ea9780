import Foundation
import PuenteFormats
import PuenteTestSupport
import Testing

/// The XSDs in docs/schemas/ describe the files Puente reads and writes (the export's own
/// files are checked in `PackageExportTests`).
@Suite struct SchemaTests {
    static let samples = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appending(path: "Samples/orders")

    @Test func sampleOrderFilesMatchTheOrdersSchema() throws {
        let validator = try XMLSchemaValidator(schemaAt: Schemas.path("orders"))
        let file = Self.samples.appending(path: "pedidos-2026-11-28-manana.xml")
        #expect(validator.validate(fileAt: file.path) == [])
    }

    @Test func ordersSchemaRefusesStructureButNotValues() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let validator = try XMLSchemaValidator(schemaAt: Schemas.path("orders"))
        // A value that is present but unusable is the order's problem, not the file's.
        let odd = try folder.write("odd.xml", """
            <orders version="1">
              <order id="W-1" pos="9900" date="2026-13-45" client="C1"><line product="P1" quantity="abc" price="x"/></order>
            </orders>
            """)
        #expect(validator.validate(fileAt: odd.path) == [])
        let missing = try folder.write("missing.xml", """
            <orders version="1">
              <order id="W-1" pos="9900" date="2026-11-28T10:00:00-03:00"><line product="P1" quantity="1" price="1"/></order>
            </orders>
            """)
        #expect(validator.validate(fileAt: missing.path).map(\.line) == [2], "no client attribute")
        let unknown = try folder.write("unknown.xml", "<orders version=\"1\"><pedido/></orders>")
        #expect(!validator.validate(fileAt: unknown.path).isEmpty)
    }

    @Test func contractAckExamplesMatchTheAckSchema() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let validator = try XMLSchemaValidator(schemaAt: Schemas.path("ack"))
        let orders = try folder.write("orders-1.xml.ack.xml", """
            <ack version="1" file="orders-1.xml" sha256="\(String(repeating: "a", count: 64))" processed="2026-11-29T03:00:05-03:00">
              <order id="W-10045" pos="9900" outcome="accepted" number="9900-00000001"/>
              <order id="W-10046" pos="9900" outcome="held" number="9900-00000002">
                <reason code="price-mismatch" line="2" product="P01234" expected="1200.00" got="1234.50"/>
              </order>
              <order id="W-10047" pos="9900" outcome="rejected"><reason code="client-not-web-enabled"/></order>
            </ack>
            """)
        #expect(validator.validate(fileAt: orders.path) == [])
        let rejected = try folder.write("bad.xml.ack.xml", """
            <ack version="1" file="bad.xml" sha256="\(String(repeating: "b", count: 64))" processed="2026-11-29T03:00:05-03:00" outcome="rejected">
              <reason code="doctype-not-allowed" line="2" message="a DOCTYPE is not allowed"/>
            </ack>
            """)
        #expect(validator.validate(fileAt: rejected.path) == [])
    }
}
