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

    /// One order's outcome, number and reasons.
    func order(_ order: CheckedOrder) throws {
        let draft = order.draft
        try start(rejected: false)
        try xml.raw("\n  ")
        try xml.startElement("order")
        try attribute("id", draft.id)
        try attribute("pos", draft.pos)
        try xml.attribute("outcome", order.outcome.rawValue)
        if let number = order.number { try xml.attribute("number", number.description) }
        for reason in order.reasons {
            try xml.raw("\n    ")
            try xml.startElement("reason")
            try xml.attribute("code", reason.code.rawValue)
            try xml.attribute("line", String(reason.line))
            if let item = reason.item { try xml.attribute("item", String(item)) }
            if let product = reason.product { try attribute("product", product) }
            if let expected = reason.expected { try attribute("expected", expected) }
            if let got = reason.got { try attribute("got", got) }
            if let message = reason.message { try attribute("message", message) }
            try xml.endElement()
        }
        if !order.reasons.isEmpty { try xml.raw("\n  ") }
        try xml.endElement()
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
