import Foundation
import PuenteDomain
@testable import PuenteExchange
import PuenteFormats
import PuenteTestSupport
import Testing

/// What an ack says of each order, read back for the tests (our own files, one element a line).
struct AckContents {
    struct Order: Equatable {
        var id: String
        var outcome: String
        var number: String?
        var reasons: [String] = []
        var items: [Int?] = []
    }

    var fileReason: String?
    var orders: [Order] = []

    init(_ text: String) {
        func attribute(_ name: String, in line: Substring) -> String? {
            guard let range = line.range(of: " \(name)=\"") else { return nil }
            let rest = line[range.upperBound...]
            return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
        }
        var fileRejected = false
        for line in text.split(separator: "\n") {
            let trimmed = line.drop(while: { $0 == " " })
            if trimmed.hasPrefix("<ack ") {
                fileRejected = attribute("outcome", in: trimmed) == "rejected"
            } else if trimmed.hasPrefix("<order ") {
                orders.append(Order(id: attribute("id", in: trimmed) ?? "", outcome: attribute("outcome", in: trimmed) ?? "",
                                    number: attribute("number", in: trimmed)))
            } else if trimmed.hasPrefix("<reason ") {
                if fileRejected {
                    fileReason = fileReason ?? attribute("code", in: trimmed)
                } else {
                    orders[orders.count - 1].reasons.append(attribute("code", in: trimmed) ?? "")
                    orders[orders.count - 1].items.append(attribute("item", in: trimmed).flatMap { Int($0) })
                }
            }
        }
    }

    /// In the form of `Tests/HostileCorpus/expected.tsv`.
    var summary: String {
        if let fileReason { return "file \(fileReason)" }
        if orders.isEmpty { return "none" }
        return orders.map { order in
            ([order.id, order.outcome] + (order.reasons.isEmpty || order.outcome == "duplicate" ? [] : [order.reasons.joined(separator: ",")]))
                .joined(separator: " ")
        }.joined(separator: "; ")
    }
}

/// The hostile-input corpus: every file ends in the contract's outcome, with an ack that is
/// well-formed and valid, and the Inbox left empty.
@Suite struct HostileInputTests {
    static let corpus = ImportFixture.repository.appending(path: "Tests/HostileCorpus")

    static func expected() throws -> [(file: String, outcome: String)] {
        try String(contentsOf: corpus.appending(path: "expected.tsv"), encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("#") }
            .map { line in
                let parts = line.split(separator: "\t", maxSplits: 1)
                return (String(parts[0]), String(parts[1]))
            }
    }

    /// Imports the named files and returns each one's ack as read back (validated first).
    static func importAll(_ fixture: ImportFixture, _ names: [String]) throws -> [String: AckContents] {
        let report = try fixture.importer().run()
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(Set(report.files.map(\.file)) == Set(names))
        let validator = try XMLSchemaValidator(schemaAt: Schemas.path("ack"))
        var acks: [String: AckContents] = [:]
        for file in report.files {
            let ack = try #require(file.ack.map { fixture.outbox.appending(path: $0) })
            #expect(validator.validate(fileAt: ack.path).isEmpty, "ack of \(file.file): \(validator.validate(fileAt: ack.path))")
            acks[file.file] = AckContents(try String(contentsOf: ack, encoding: .utf8))
        }
        #expect(fixture.files(fixture.inbox).filter { !$0.contains("/") }.isEmpty, "nothing is left in the Inbox")
        return acks
    }

    @Test func everyCorpusFileEndsInTheContractsOutcome() throws {
        let fixture = try ImportFixture()
        defer { fixture.remove() }
        let expected = try Self.expected()
        #expect(expected.count >= 50)
        for (file, _) in expected {
            try FileManager.default.copyItem(at: Self.corpus.appending(path: "files/\(file)"), to: fixture.inbox.appending(path: file))
        }
        let acks = try Self.importAll(fixture, expected.map(\.file))
        for (file, outcome) in expected {
            #expect(acks[file]?.summary == outcome, "\(file)")
        }
        // A site that writes its XML on one line learns which line each reason is about.
        #expect(acks["one-line.xml"]?.orders.first?.items == [2, 3])
        #expect(acks["duplicate-and-conflict.csv"]?.orders[2].number == acks["duplicate-and-conflict.csv"]?.orders[0].number)
        // Nothing that cannot be represented was posted, and no total is wrong.
        let totals = try fixture.base.rows("""
            SELECT o.web_id, o.total, (SELECT sum(amount) FROM order_lines l WHERE l.order_id = o.id) AS lines FROM orders o
            """)
        for row in totals { #expect(row["total"] as Int64 == row["lines"] as Int64, "\(row["web_id"] as String)") }
        #expect(try fixture.orders().allSatisfy { !$0.contains(" OV") && !$0.contains(" OC") })
        // Each declared encoding was decoded as declared, never guessed.
        let notes = try fixture.base.rows("SELECT web_id, note FROM orders WHERE web_id IN ('L1', 'W1', 'WC1', 'QN1') ORDER BY web_id")
            .map { "\($0["web_id"] as String)=\($0["note"] as String)" }
        #expect(notes == ["L1=Peña, entregar después", "QN1=línea 1\r\nlínea 2\rlínea 3", "W1=5 € de envío “urgente”", "WC1=Peña “ya”"])
    }

    /// Files too large to keep in the repository: deep nesting, huge values, a long field.
    @Test func hugeAndDeepFilesEndInBoundedOutcomes() throws {
        let fixture = try ImportFixture()
        defer { fixture.remove() }
        let header = "order,pos,date,client,seller,product,quantity,price,note\n"
        let head = "<?xml version=\"1.0\"?>\n<orders version=\"1\">\n"
        let line = "<line product=\"P00001\" quantity=\"1\" price=\"6732.49\"/>"
        let cases: [(String, String, String)] = [
            // Only the schema's elements may appear, so the first <a> already refuses the file.
            ("deep.xml", head + String(repeating: "<a>", count: 10_000) + String(repeating: "</a>", count: 10_000) + "</orders>\n",
             "file schema-violation"),
            ("deep-note.xml", head + "<order id=\"DN1\" pos=\"9900\" date=\"2026-11-28T10:15:00-03:00\" client=\"C0001\"><note>"
                + String(repeating: "<b>", count: 10_000) + String(repeating: "</b>", count: 10_000) + "</note>\(line)</order></orders>\n",
             "file schema-violation"),
            ("unclosed-deep.xml", head + String(repeating: "<order>", count: 10_000), "file schema-violation"),
            ("huge-note.xml", head + "<order id=\"H1\" pos=\"9900\" date=\"2026-11-28T10:15:00-03:00\" client=\"C0001\"><note>"
                + String(repeating: "x", count: 20 << 20) + "</note>\(line)</order></orders>\n", "file malformed-xml"),
            ("huge-attribute.xml", head + "<order id=\"" + String(repeating: "x", count: 20 << 20)
                + "\" pos=\"9900\" date=\"2026-11-28T10:15:00-03:00\" client=\"C0001\">\(line)</order></orders>\n", "file malformed-xml"),
            ("too-many-lines.xml", head + "<order id=\"TM1\" pos=\"9900\" date=\"2026-11-28T10:15:00-03:00\" client=\"C0001\">"
                + String(repeating: line, count: 10_001) + "</order></orders>\n", "file schema-violation"),
            ("too-many-lines.csv", header + String(repeating: "TM2,9900,2026-11-28T10:15:00-03:00,C0001,,P00001,1,6732.49,\n",
                                                   count: 10_001), "file malformed-csv"),
            ("ten-thousand-lines.csv", header + String(repeating: "TT1,9900,2026-11-28T10:15:00-03:00,C0001,,P00001,1,6732.49,\n",
                                                       count: 10_000), "TT1 accepted"),
            ("long-field.csv", header + "LF1,9900,2026-11-28T10:15:00-03:00,C0001,,P00001,1,6732.49,\""
                + String(repeating: "y", count: 1 << 20) + "\"\n", "LF1 accepted"),
        ]
        for (name, text, _) in cases { _ = try fixture.drop(name, text) }
        let acks = try Self.importAll(fixture, cases.map(\.0))
        for (name, _, outcome) in cases {
            #expect(acks[name]?.summary == outcome, "\(name)")
        }
    }

    @Test func aFileOverTheLimitIsRejectedUnread() throws {
        let fixture = try ImportFixture()
        defer { fixture.remove() }
        var configuration = fixture.base.configuration
        configuration.inbox.maxFileMB = 1
        configuration.inbox.settleSeconds = 0
        _ = try fixture.drop("big.xml", String(repeating: " ", count: 2 << 20))
        let report = try OrderImporter(store: fixture.store, configuration: configuration, logger: fixture.base.session.logger,
                                   clock: ImportFixture.clock).run()
        #expect(report.files.first?.reason == .fileTooLarge)
    }
}
