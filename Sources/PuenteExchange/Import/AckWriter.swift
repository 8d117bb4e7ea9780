import Foundation
import PuenteDomain
import PuenteFormats

/// Writes one acknowledgement (`Outbox/acks/NAME.ack.xml`) as the file's orders are checked:
/// streamed to its temporary name, flushed by `finish()`; the importer publishes it after the
/// commit. With no final path (a dry run) the bytes go nowhere.
final class AckWriter {
    private let output: HashingFileOutput?
    private let xml: XMLStreamWriter
    private let file: String
    private let sha256: String
    private let processed: String
    private var started = false
    /// The element of the order being written, reused from order to order.
    private var element: [UInt8] = []

    init(final: URL?, file: String, sha256: String, processed: String) throws {
        self.file = file
        self.sha256 = sha256
        self.processed = processed
        let output = try final.map { try HashingFileOutput(creating: AtomicFile.temporaryURL(for: $0), hashing: false) }
        self.output = output
        xml = try XMLStreamWriter { bytes in try output?.write(bytes) }
    }

    private func start(rejected: Bool) throws {
        guard !started else { return }
        started = true
        try xml.startDocument()
        try xml.startElement("ack")
        try xml.attribute("version", "1")
        try attribute("file", file)
        try xml.attribute("sha256", sha256)
        try xml.attribute("processed", processed)
        if rejected { try xml.attribute("outcome", "rejected") }
    }

    /// One order's outcome, number and reasons: the element built here and handed to libxml2
    /// whole (the same bytes its writer writes tag by tag: a test compares them).
    func order(_ order: CheckedOrder) throws {
        let draft = order.draft
        try start(rejected: false)
        element.removeAll(keepingCapacity: true)
        element.append(contentsOf: "\n  <order".utf8)
        try Self.append("id", SafeText.escapingNonXMLCharacters(draft.id), to: &element)
        try Self.append("pos", SafeText.escapingNonXMLCharacters(draft.pos), to: &element)
        try Self.append("outcome", order.outcome.rawValue, to: &element)
        if let number = order.number { try Self.append("number", number.description, to: &element) }
        if order.reasons.isEmpty {
            element.append(contentsOf: "/>".utf8)
        } else {
            element.append(UInt8(ascii: ">"))
            for reason in order.reasons {
                element.append(contentsOf: "\n    <reason".utf8)
                try Self.append("code", reason.code.rawValue, to: &element)
                try Self.append("line", String(reason.line), to: &element)
                if let item = reason.item { try Self.append("item", String(item), to: &element) }
                if let product = reason.product { try Self.append("product", SafeText.escapingNonXMLCharacters(product), to: &element) }
                if let expected = reason.expected { try Self.append("expected", SafeText.escapingNonXMLCharacters(expected), to: &element) }
                if let got = reason.got { try Self.append("got", SafeText.escapingNonXMLCharacters(got), to: &element) }
                if let message = reason.message { try Self.append("message", SafeText.escapingNonXMLCharacters(message), to: &element) }
                element.append(contentsOf: "/>".utf8)
            }
            element.append(contentsOf: "\n  </order>".utf8)
        }
        try xml.raw(element)
    }

    private static func append(_ name: StaticString, _ value: String, to element: inout [UInt8]) throws {
        try XMLStreamWriter.appendAttribute(name, value, to: &element)
    }

    /// The ack of a file that could not be read, then `finish()`.
    func rejectFile(_ error: OrderFileError) throws {
        try start(rejected: true)
        try xml.raw("\n  ")
        try xml.startElement("reason")
        try xml.attribute("code", error.code.rawValue)
        if error.line > 0 { try xml.attribute("line", String(error.line)) }
        try attribute("message", error.message)
        try xml.endElement()
        try finish()
    }

    /// Values from the Inbox (names, ids, what the site sent) may hold characters XML 1.0 does
    /// not allow: the ack shows them escaped (`\x1B`), so it stays well-formed.
    private func attribute(_ name: String, _ value: String) throws {
        try xml.attribute(name, SafeText.escapingNonXMLCharacters(value))
    }

    /// Ends the document and flushes it to disk under its temporary name.
    func finish() throws {
        try start(rejected: false)
        try xml.raw("\n")
        try xml.endElement()
        try xml.endDocument()
        _ = try output?.close(synchronize: true)
    }
}
