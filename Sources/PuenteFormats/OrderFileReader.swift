import CLibXML2
import Foundation
import PuenteDomain

/// A whole file could not be read: the contract's file-level reason, the line and what was wrong.
public struct OrderFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: ReasonCode
    /// 0 when the problem is not on a line (size, encoding).
    public let line: Int
    public let message: String

    public init(_ code: ReasonCode, line: Int = 0, _ message: String) {
        self.code = code
        self.line = line
        self.message = message
    }

    public var description: String {
        line > 0 ? "\(code.rawValue) at line \(line): \(message)" : "\(code.rawValue): \(message)"
    }
}

/// The one door order files come in by. The file is opened once as an `UntrustedFile` (no
/// symbolic link, no FIFO, only a regular file, read up to its size when opened). XML goes
/// through libxml2's SAX parser with only `XML_PARSE_NONET` (no entity substitution, no
/// DTD loading, no XInclude, no recovery, no huge mode), in the encoding Puente decided from
/// the prolog before libxml2 saw a byte, any DOCTYPE refused, and the orders XSD checked as it
/// reads; CSV through Puente's CSV reader. Orders are handed over one at a time as they are
/// read; a file-level error can still come after some were handed over (a schema violation
/// near the end), so the caller must be able to undo them (the importer reads a file inside
/// one transaction). libxml2 prints nothing by itself: its errors become `OrderFileError`s.
public enum OrderFileReader {
    /// How an XML file is held to the orders schema as it is read (CSV files have no schema).
    public enum SchemaCheck: Sendable {
        /// libxml2's XSD validator plugged into the parser: the authority on every file.
        case orderSchema
        /// Puente's own check that the file has the plain shape the schema allows (the root
        /// with `version="1"`, orders with their attributes, a note, lines with their three,
        /// blanks between them, comments anywhere), which costs a third of what libxml2's
        /// validator does (measured in Benchmarks/README.md). It only vouches, never refuses:
        /// anything else — a schema violation, but also what the schema allows and the check
        /// does not know (an `xsi:` attribute, a namespace declaration, a CDATA section
        /// outside a note), and any file-level error — ends the read with `ReadWithTheSchema`,
        /// and the caller undoes what it was given and reads the file again with
        /// `.orderSchema`, whose verdict is the file's.
        case plainShapeFirst
    }

    /// A `.plainShapeFirst` read met what the plain shape does not vouch for: read the file
    /// again with `.orderSchema`. `why` names the construct, never a value from the file.
    public struct ReadWithTheSchema: Error, Sendable, CustomStringConvertible {
        public let line: Int
        public let why: String
        public var description: String { "line \(line): \(why)" }
    }

    /// Opens and reads the file at `path` (XML or CSV by its extension), calling `body` for each order.
    public static func read(path: String, maxBytes: Int, schema: SchemaCheck = .orderSchema,
                            _ body: (OrderDraft) throws -> Void) throws {
        try read(UntrustedFile(path: path), maxBytes: maxBytes, schema: schema, body)
    }

    /// Reads an opened file (XML or CSV by its name's extension), calling `body` for each order.
    public static func read(_ file: UntrustedFile, maxBytes: Int, schema: SchemaCheck = .orderSchema,
                            _ body: (OrderDraft) throws -> Void) throws {
        if file.size > Int64(maxBytes) {
            throw OrderFileError(.fileTooLarge, "\(file.size) bytes, over the limit of \(maxBytes)")
        }
        if isCSV(file.path) {
            try CSVOrderReader.read(file, body)
        } else if schema == .plainShapeFirst {
            do {
                try XMLOrderReader.read(file, plainShape: true, body)
            } catch let error as OrderFileError {
                // The schema's reading gives the verdict (and its message) of a file that fails.
                // The check's own words name no value; libxml2's may, so only its code is kept.
                let own = error.code == .schemaViolation && error.message.hasPrefix(XMLOrderReader.notPlain)
                throw ReadWithTheSchema(line: error.line, why: own ? error.message : error.code.rawValue)
            }
        } else {
            try XMLOrderReader.read(file, plainShape: false, body)
        }
    }

    static func isCSV(_ path: String) -> Bool { path.lowercased().hasSuffix(".csv") }

    /// An order is held in memory while it is read and checked: one with more lines than this
    /// (no real order has) makes the file unreadable instead of the process huge.
    public static let maximumLinesPerOrder = 10_000

    static func tooManyLines(_ id: String) -> String {
        "order \(SafeText.escapingNonXMLCharacters(id)) has more than \(maximumLinesPerOrder) lines"
    }
}

/// XML order files, streamed.
enum XMLOrderReader {
    /// The contract's encodings, by the name a declaration gives (any case), and the name
    /// libxml2 is told to use.
    static let acceptedEncodings = ["utf-8": "UTF-8", "iso-8859-1": "ISO-8859-1", "windows-1252": "windows-1252"]

    /// The compiled orders schema (compiled once; libxml2 lets validation contexts share it).
    nonisolated(unsafe) static let schema: xmlSchemaPtr? = {
        XMLOrderReader.silenceLibxml2()
        return OrdersSchema.text.withCString { text in
            guard let context = xmlSchemaNewMemParserCtxt(text, Int32(strlen(text))) else { return nil }
            defer { xmlSchemaFreeParserCtxt(context) }
            return xmlSchemaParse(context)
        }
    }()

    /// What the parse has come to, for libxml2's callbacks (which cannot throw): the order
    /// being read, the one read whole and not yet handed over, and the first failure.
    final class State {
        let body: (OrderDraft) throws -> Void
        /// `SchemaCheck.plainShapeFirst`: the handler checks the plain shape, no validator is plugged in.
        let plainShape: Bool
        /// Where the plain-shape check is among the file's elements.
        var place = Place.beforeRoot
        /// Whether the order being read had its note, its first line (the plain shape's order).
        var noteSeen = false
        var lineSeen = false
        var parser: xmlParserCtxtPtr?
        /// The first problem (libxml2's, the file's reading, or `body`'s own error).
        var failure: (any Error)?
        private var stopped = false
        var order: OrderDraft?
        /// An order whose end tag was read, handed over at the next event or at the end:
        /// libxml2 validates an end tag after the handler saw it, so an order goes out only
        /// once the schema had its say on all of it.
        var ready: OrderDraft?
        var inNote = false
        /// The note's text as it comes (libxml2 may hand a long text over in pieces).
        var note: [UInt8] = []

        init(plainShape: Bool, _ body: @escaping (OrderDraft) throws -> Void) {
            self.plainShape = plainShape
            self.body = body
        }

        /// Records that the file is not of the plain shape (`why` names no value of the file),
        /// and stops the parser.
        func notPlain(_ why: String) {
            fail(OrderFileError(.schemaViolation, line: line, XMLOrderReader.notPlain + why))
            _ = handOver()
        }

        var line: Int { parser.map { Int(xmlSAX2GetLineNumber($0)) } ?? 0 }

        /// Keeps the first problem. Only an element's event stops the parser: libxml2's error
        /// handlers are also called from inside its input's decoding, where stopping (which
        /// frees the input buffer) would pull the buffer from under the code that reports.
        func fail(_ error: any Error) {
            if failure == nil { failure = error }
        }

        /// From an element's event: stops the parser once there is a problem.
        private func stopIfFailed() -> Bool {
            guard failure != nil else { return false }
            if !stopped, let parser {
                stopped = true
                xmlStopParser(parser)
            }
            return true
        }

        /// From an element's event: hands over the order read before, if any; false once the
        /// parse has failed (and the parser is stopped).
        func handOver() -> Bool {
            if stopIfFailed() { return false }
            if let order = ready {
                ready = nil
                do { try body(order) } catch { fail(error) }
            }
            return !stopIfFailed()
        }

        static func from(_ context: UnsafeMutableRawPointer?) -> State {
            Unmanaged<State>.fromOpaque(context!).takeUnretainedValue()
        }
    }

    /// The elements of the plain shape, outside in.
    enum Place { case beforeRoot, orders, order, note, line, afterRoot }

    /// How a `ReadWithTheSchema` of the plain-shape check's own starts.
    static let notPlain = "not of the plain shape: "

    /// Whether the root's attributes are `version="1"` alone, in no namespace.
    static func isPlainRoot(_ count: Int32, _ attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?) -> Bool {
        guard count == 1, let attribute = attributes, attribute[1] == nil, attribute[2] == nil,
              isNamed(attribute[0], "version"), let start = attribute[3], let end = attribute[4] else { return false }
        return end - start == 1 && start[0] == UInt8(ascii: "1")
    }

    /// The plain-shape check of an element's end, which moves `state.place` out of it.
    static func plainEnd(_ state: State) {
        switch state.place {
        case .note, .line: state.place = .order
        case .order: state.place = .orders
        case .orders, .beforeRoot, .afterRoot: state.place = .afterRoot
        }
    }

    /// Text (or, with `cdata`, a CDATA section) outside a note is of the plain shape only as
    /// blanks between the elements of `orders` and of an `order`.
    static func plainText(_ characters: UnsafePointer<xmlChar>, _ count: Int32, cdata: Bool, _ state: State) -> String? {
        guard !cdata else { return "a CDATA section outside a note" }
        guard state.place == .orders || state.place == .order else { return "text inside a line" }
        for index in 0..<Int(count) {
            switch characters[index] {
            case 0x20, 0x09, 0x0A, 0x0D: continue
            default: return "text between the elements"
            }
        }
        return nil
    }

    /// Where libxml2 reads from: the opened file, through `pread`, never past its size.
    final class Input {
        let file: UntrustedFile
        var offset: Int64 = 0
        var failure: (any Error)?
        init(_ file: UntrustedFile) { self.file = file }
    }

    /// libxml2 reports some problems (I/O, encoding) outside a reader's error handler, to
    /// stderr by default, and per thread: route them, structured and generic, to handlers that
    /// drop them (the reader's own handler and the thread's last error give the file's verdict
    /// its message). Call on the reading thread.
    static func silenceLibxml2() {
        xmlSetStructuredErrorFunc(nil) { _, _ in }
        puente_xmlSilenceGenericErrors()
        xmlResetLastError()
    }

    /// The first error libxml2 reports, the parser's and the schema's alike, as the file's verdict.
    private static let recordError: xmlStructuredErrorFunc = { context, error in
        guard let context, let error else { return }
        let state = State.from(context)
        let issue = XMLValidationIssue(error)
        let code: ReasonCode = error.pointee.domain == Int32(XML_FROM_SCHEMASV.rawValue) ? .schemaViolation : .malformedXML
        // The input is decoded ahead of the parser: a decoding error is on no line the parser
        // knows (`read` finds the byte's own line).
        let line = if error.pointee.domain == Int32(XML_FROM_I18N.rawValue) { 0 }
            else if issue.line > 0 { issue.line } else { state.line }
        state.fail(OrderFileError(code, line: line, issue.message))
    }

    /// `XML_MAX_TEXT_LENGTH`: the longest text libxml2 keeps without `XML_PARSE_HUGE`.
    static let maximumTextLength = Int(XML_MAX_TEXT_LENGTH)

    /// libxml2's SAX interface with the orders schema plugged in: the events of the file as the
    /// parser meets them, no node built per element (the streaming reader builds and frees one
    /// for each, twice the work for these files). The contract's elements and attributes are
    /// in no namespace; anything in one is not ours (the schema refuses it).
    private static func handler() -> xmlSAXHandler {
        var handler = xmlSAXHandler()
        handler.initialized = XML_SAX2_MAGIC
        handler.startElementNs = { context, name, _, uri, namespaces, _, count, _, attributes in
            let state = State.from(context)
            guard state.handOver() else { return }
            if state.plainShape, uri != nil || namespaces != 0 {
                state.notPlain("an element in a namespace, or a namespace declared")
                return
            }
            guard uri == nil else { return }
            // Names compared as C strings: no String for a name (tens per order).
            if XMLOrderReader.isNamed(name, "line") {
                var item = OrderDraft.Line(product: "", quantity: "", price: "", line: state.line)
                var seen = 0
                let known = XMLOrderReader.forEachAttribute(count, attributes) { name, value in
                    if XMLOrderReader.isNamed(name, "product") { item.product = value(); seen |= 1 }
                    else if XMLOrderReader.isNamed(name, "quantity") { item.quantity = value(); seen |= 2 }
                    else if XMLOrderReader.isNamed(name, "price") { item.price = value(); seen |= 4 }
                    else { return false }
                    return true
                }
                if state.plainShape {
                    guard state.place == .order, known, seen == 0b111 else {
                        state.notPlain("a line out of place, or with attributes other than product, quantity and price")
                        return
                    }
                    state.place = .line
                    state.lineSeen = true
                }
                if let order = state.order, order.lines.count >= OrderFileReader.maximumLinesPerOrder {
                    state.fail(OrderFileError(.schemaViolation, line: item.line, OrderFileReader.tooManyLines(order.id)))
                    _ = state.handOver()
                    return
                }
                state.order?.lines.append(item)
            } else if XMLOrderReader.isNamed(name, "order") {
                var order = OrderDraft(id: "", pos: "", date: "", client: "", line: state.line)
                order.lines.reserveCapacity(16)
                var seen = 0
                let known = XMLOrderReader.forEachAttribute(count, attributes) { name, value in
                    if XMLOrderReader.isNamed(name, "id") { order.id = value(); seen |= 1 }
                    else if XMLOrderReader.isNamed(name, "pos") { order.pos = value(); seen |= 2 }
                    else if XMLOrderReader.isNamed(name, "date") { order.date = value(); seen |= 4 }
                    else if XMLOrderReader.isNamed(name, "client") { order.client = value(); seen |= 8 }
                    else if XMLOrderReader.isNamed(name, "seller") { order.seller = value() }
                    else { return false }
                    return true
                }
                if state.plainShape {
                    guard state.place == .orders, known, seen == 0b1111, !order.id.isEmpty else {
                        state.notPlain("an order out of place, or its attributes not id (not empty), pos, date, client and seller or not")
                        return
                    }
                    state.place = .order
                    state.noteSeen = false
                    state.lineSeen = false
                }
                state.order = order
            } else if XMLOrderReader.isNamed(name, "note") {
                if state.plainShape {
                    guard state.place == .order, !state.noteSeen, !state.lineSeen, count == 0 else {
                        state.notPlain("a note out of place, after a note or a line, or with attributes")
                        return
                    }
                    state.place = .note
                    state.noteSeen = true
                }
                state.inNote = true
                state.note.removeAll(keepingCapacity: true)
            } else if state.plainShape {
                guard state.place == .beforeRoot, XMLOrderReader.isNamed(name, "orders"),
                      XMLOrderReader.isPlainRoot(count, attributes) else {
                    state.notPlain("an element other than orders, order, note and line, or a root without version=\"1\" alone")
                    return
                }
                state.place = .orders
            }
        }
        handler.endElementNs = { context, name, _, uri in
            let state = State.from(context)
            guard state.handOver() else { return }
            if state.plainShape { XMLOrderReader.plainEnd(state) }
            guard uri == nil else { return }
            if XMLOrderReader.isNamed(name, "note"), state.inNote {
                state.inNote = false
                state.order?.note = String(decoding: state.note, as: UTF8.self)
            } else if XMLOrderReader.isNamed(name, "order"), let order = state.order {
                state.order = nil
                state.ready = order
            }
        }
        handler.characters = { context, characters, count in XMLOrderReader.text(context, characters, count, cdata: false) }
        handler.cdataBlock = { context, characters, count in XMLOrderReader.text(context, characters, count, cdata: true) }
        // The prolog check refuses a DOCTYPE before the root element is reached; this is the
        // parser's own word on one it finds (after 64 KiB of comments, say).
        handler.internalSubset = { context, _, _, _ in
            let state = State.from(context)
            state.fail(OrderFileError(.doctypeNotAllowed, line: state.line, "a DOCTYPE is not allowed in an order file"))
            // Stopped here, before a declaration of its internal subset is parsed.
            _ = state.handOver()
        }
        return handler
    }

    /// Text or a CDATA section: a note's, kept; blanks between elements; anything else is the
    /// schema's business (or, in the plain shape, not of it).
    private static func text(_ context: UnsafeMutableRawPointer?, _ characters: UnsafePointer<xmlChar>?, _ count: Int32,
                             cdata: Bool) {
        let state = State.from(context)
        guard state.failure == nil, let characters, count > 0 else { return }
        guard state.inNote else {
            if state.plainShape, let why = plainText(characters, count, cdata: cdata, state) { state.notPlain(why) }
            return
        }
        // libxml2's own limit on a text without huge mode, which its tree builder (and so
        // its reader) enforces and its SAX interface leaves to whoever keeps the text.
        guard state.note.count + Int(count) <= XMLOrderReader.maximumTextLength else {
            state.fail(OrderFileError(.malformedXML, line: state.line,
                                      "a note longer than \(XMLOrderReader.maximumTextLength) bytes"))
            _ = state.handOver()
            return
        }
        state.note.append(contentsOf: UnsafeBufferPointer(start: characters, count: Int(count)))
    }

    /// Reads an XML order file with libxml2's validator of the orders schema plugged in, or,
    /// with `plainShape`, with the handler's own check of the plain shape instead.
    static func read(_ file: UntrustedFile, plainShape: Bool, _ body: (OrderDraft) throws -> Void) throws {
        silenceLibxml2()
        let encoding = try checkProlog(file)
        var validation: xmlSchemaValidCtxtPtr?
        if !plainShape {
            guard let schema, let context = xmlSchemaNewValidCtxt(schema) else {
                throw OrderFileError(.schemaViolation, "the orders schema could not be compiled")
            }
            validation = context
        }
        defer { if let validation { xmlSchemaFreeValidCtxt(validation) } }
        try withoutActuallyEscaping(body) { body in
            let state = State(plainShape: plainShape, body)
            let input = Input(file)
            let stateContext = Unmanaged.passUnretained(state).toOpaque()
            // The handler must outlive the parse: the schema's plug calls through this pointer.
            let sax = UnsafeMutablePointer<xmlSAXHandler>.allocate(capacity: 1)
            sax.initialize(to: handler())
            defer { sax.deinitialize(count: 1); sax.deallocate() }
            var plugged: xmlSAXHandlerPtr? = sax
            var userData: UnsafeMutableRawPointer? = stateContext
            var plug: xmlSchemaSAXPlugPtr?
            if let validation {
                plug = xmlSchemaSAXPlug(validation, &plugged, &userData)
                guard plug != nil else { throw OrderFileError(.schemaViolation, "cannot attach the orders schema") }
                xmlSchemaSetValidStructuredErrors(validation, recordError, stateContext)
                // Schema errors are placed where the parser is (the end of the tag it read).
                xmlSchemaValidateSetLocator(validation, { context, file, line in
                    file?.pointee = nil
                    line?.pointee = UInt(State.from(context).line)
                    return 0
                }, stateContext)
            }
            defer { if let plug { xmlSchemaSAXUnplug(plug) } }
            // The parser's own errors come to the thread's structured handler (the handler
            // above has none of its own): to this file's state while it is parsed.
            xmlSetStructuredErrorFunc(stateContext, recordError)
            defer { silenceLibxml2() }
            guard let parser = xmlCreateIOParserCtxt(plugged, userData, { context, buffer, length in
                guard let context, let buffer, length > 0 else { return 0 }
                let input = Unmanaged<Input>.fromOpaque(context).takeUnretainedValue()
                do {
                    let count = try input.file.read(at: input.offset, into: buffer, count: Int(length))
                    input.offset += Int64(count)
                    return Int32(count)
                } catch {
                    input.failure = error
                    return -1
                }
            }, nil, Unmanaged.passUnretained(input).toOpaque(), XML_CHAR_ENCODING_NONE) else {
                throw OrderFileError(.malformedXML, "libxml2 could not start reading the file")
            }
            defer { xmlFreeParserCtxt(parser) }
            state.parser = parser
            // NONET: nothing from the network; no NOENT (no entity substitution), no DTD
            // loading, no recovery, no huge mode (no BIG_LINES either: it only widens the line a
            // tree node keeps, and no node is built; the parser's own line is never cut).
            // IGNORE_ENC keeps libxml2 to the encoding decided here, whatever the file declares
            // (UTF-8 is its own: naming it would add a conversion pass that changes nothing).
            xmlCtxtUseOptions(parser, Int32(XML_PARSE_NONET.rawValue | XML_PARSE_IGNORE_ENC.rawValue))
            if encoding != "UTF-8" {
                guard let converter = xmlFindCharEncodingHandler(encoding), xmlSwitchToEncoding(parser, converter) == 0 else {
                    throw OrderFileError(.unsupportedEncoding, line: 1, "libxml2 cannot read \(encoding)")
                }
            }
            try withExtendedLifetime((state, input)) {
                let result = xmlParseDocument(parser)
                // The file could not be read (not its content's fault): an I/O problem.
                if let failure = input.failure { throw failure }
                if let failure = state.failure as? OrderFileError, failure.line == 0, encoding == "windows-1252",
                   let line = try firstUndefinedWindows1252Line(file) {
                    throw OrderFileError(failure.code, line: line, failure.message)
                }
                if let failure = state.failure { throw failure }
                if result != 0 || parser.pointee.wellFormed == 0 {
                    // Some errors (a text over libxml2's limits) reach only the thread's last error.
                    let message = xmlGetLastError().map { XMLValidationIssue($0).message } ?? "not well-formed"
                    throw OrderFileError(.malformedXML, line: state.line, message)
                }
                if let validation, xmlSchemaIsValid(validation) != 1 {
                    throw OrderFileError(.schemaViolation, line: state.line, "not valid against the orders schema")
                }
                if plainShape, state.place != .afterRoot {
                    throw OrderFileError(.schemaViolation, line: state.line, notPlain + "the root element is not closed")
                }
                _ = state.handOver()
                if let failure = state.failure { throw failure }
            }
        }
    }

    /// The line of the first byte Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90,
    /// 0x9D), if any: where libxml2's conversion of a windows-1252 file failed.
    static func firstUndefinedWindows1252Line(_ file: UntrustedFile) throws -> Int? {
        var piece = [UInt8](repeating: 0, count: 1 << 16)
        var offset: Int64 = 0
        var line = 1
        var lastWasCR = false
        while offset < file.size {
            let count = try file.fill(&piece, at: offset)
            guard count > 0 else { break }
            for byte in piece[..<count] {
                switch byte {
                case 0x81, 0x8D, 0x8F, 0x90, 0x9D: return line
                // LF, or a CR not followed by LF, ends a line (as libxml2 counts).
                case 0x0A: if !lastWasCR { line += 1 }
                case 0x0D: line += 1
                default: break
                }
                lastWasCR = byte == 0x0D
            }
            offset += Int64(count)
        }
        return nil
    }

    /// Calls `body` with the name and value of each of the element's `count` attributes that
    /// is in no namespace (libxml2 gives five pointers each: local name, prefix, URI, value,
    /// value's end). Namespace declarations are not among them. `body` gets the value as a
    /// `String` when it asks for it, and says whether it knew the name. Returns whether every
    /// attribute was in no namespace and known to `body` (the plain shape's question).
    private static func forEachAttribute(_ count: Int32, _ attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?,
                                         _ body: (UnsafePointer<xmlChar>?, () -> String) -> Bool) -> Bool {
        guard let attributes, count > 0 else { return true }
        var known = true
        for index in 0..<Int(count) {
            let attribute = attributes + 5 * index
            guard attribute[1] == nil, attribute[2] == nil, let start = attribute[3], let end = attribute[4] else {
                known = false
                continue
            }
            if !body(attribute[0], { value(UnsafeBufferPointer(start: start, count: end - start)) }) { known = false }
        }
        return known
    }

    /// An attribute's value as libxml2's SAX interface gives it: without entity substitution it
    /// writes an ampersand (`&amp;`, `&#38;`) as `&#38;` (and only then writes an `&`), which the
    /// tree builder and the schema validator undo. So is it undone here.
    static func value(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard bytes.contains(UInt8(ascii: "&")) else { return String(decoding: bytes, as: UTF8.self) }
        let escaped: [UInt8] = Array("&#38;".utf8)
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "&"), bytes.count - index >= 5, bytes[index..<index + 5].elementsEqual(escaped) {
                decoded.append(UInt8(ascii: "&"))
                index += 5
            } else {
                decoded.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    /// Whether libxml2's name `name` is `expected` (the first bytes compared before `strcmp`:
    /// most names asked about are not the one).
    private static func isNamed(_ name: UnsafePointer<xmlChar>?, _ expected: StaticString) -> Bool {
        guard let name, name[0] == expected.utf8Start[0] else { return false }
        return strcmp(UnsafeRawPointer(name).assumingMemoryBound(to: CChar.self),
                      UnsafeRawPointer(expected.utf8Start).assumingMemoryBound(to: CChar.self)) == 0
    }

    /// Before libxml2 sees the file, decides its encoding: UTF-8 unless the declaration names
    /// ISO-8859-1 or windows-1252; any other declared encoding, a UTF-16 or UTF-32 byte order
    /// mark, a start that is not ASCII-compatible (UTF-16 or UTF-32 without a BOM, EBCDIC: what
    /// libxml2 would otherwise detect and convert), or a UTF-8 BOM contradicting the
    /// declaration is `unsupported-encoding`. A DOCTYPE anywhere before the root element
    /// refuses the file at once, before any of its declarations is parsed. Returns the
    /// encoding's name for libxml2.
    static func checkProlog(_ file: UntrustedFile) throws -> String {
        var head = [UInt8](repeating: 0, count: 1 << 16)
        let count = try file.fill(&head, at: 0)
        head.removeSubrange(count...)
        if head.isEmpty { throw OrderFileError(.malformedXML, line: 1, "the file is empty") }
        let accepted = "(UTF-8, ISO-8859-1 or windows-1252)"
        if head.starts(with: [0xFE, 0xFF]) || head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0x00, 0x00, 0xFE, 0xFF]) {
            throw OrderFileError(.unsupportedEncoding, line: 1, "a UTF-16 or UTF-32 byte order mark: not accepted \(accepted)")
        }
        let bom = head.starts(with: TextDecoder.utf8BOM)
        var position = bom ? 3 : 0
        let start = head[position..<min(head.count, position + 4)]
        if start.contains(0) || start.starts(with: [0x4C, 0x6F, 0xA7, 0x94]) {
            throw OrderFileError(.unsupportedEncoding, line: 1,
                                 "the file is not in an ASCII-compatible encoding (UTF-16, UTF-32 or EBCDIC?): not accepted \(accepted)")
        }
        var encoding = "UTF-8"
        var line = 1
        func starts(_ text: String) -> Bool { head[position...].starts(with: text.utf8) }
        /// LF, or a CR not followed by LF: each ends a line, as in libxml2's counting.
        func isLineEnd(_ index: Int) -> Bool {
            head[index] == 0x0A || (head[index] == 0x0D && (index + 1 == head.count || head[index + 1] != 0x0A))
        }
        func skip(past end: String) -> Bool {
            let terminator = Array(end.utf8)
            while position < head.count {
                if head[position...].starts(with: terminator) {
                    position += terminator.count
                    return true
                }
                if isLineEnd(position) { line += 1 }
                position += 1
            }
            return false
        }
        // The XML declaration: `<?xml` and a blank (`<?xml-stylesheet` is another thing).
        if starts("<?xml"), position + 5 < head.count, [0x20, 0x09, 0x0D, 0x0A].contains(head[position + 5]) {
            let declarationStart = position
            guard skip(past: "?>") else {
                throw OrderFileError(.malformedXML, line: 1, "the XML declaration is never closed")
            }
            if let declared = encodingName(inDeclaration: head[declarationStart..<position]) {
                guard let name = acceptedEncodings[declared.lowercased()] else {
                    throw OrderFileError(.unsupportedEncoding, line: 1,
                                         "encoding \"\(SafeText.escapingNonXMLCharacters(declared))\" is not accepted \(accepted)")
                }
                if bom, name != "UTF-8" {
                    throw OrderFileError(.unsupportedEncoding, line: 1, "a UTF-8 byte order mark contradicts encoding \"\(declared)\"")
                }
                encoding = name
            }
        }
        // Whitespace, comments and processing instructions may come before the root element.
        while position < head.count {
            let byte = head[position]
            if byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A {
                if isLineEnd(position) { line += 1 }
                position += 1
            } else if starts("<!--") {
                guard skip(past: "-->") else { return encoding }
            } else if starts("<?") {
                guard skip(past: "?>") else { return encoding }
            } else if starts("<!DOCTYPE") || starts("<!doctype") {
                throw OrderFileError(.doctypeNotAllowed, line: line, "a DOCTYPE is not allowed in an order file")
            } else {
                return encoding
            }
        }
        return encoding
    }

    /// The value of `encoding="…"` in an XML declaration (`<?xml version="1.0" encoding="…"?>`),
    /// read as the declaration's grammar says: pseudo-attributes separated by blanks.
    static func encodingName(inDeclaration bytes: ArraySlice<UInt8>) -> String? {
        let text = String(decoding: bytes.dropFirst(5).dropLast(2), as: UTF8.self)
        var rest = Substring(text)
        while true {
            rest = rest.drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" })
            guard let equals = rest.firstIndex(of: "=") else { return nil }
            let name = rest[..<equals].trimmingCharacters(in: .whitespacesAndNewlines)
            rest = rest[rest.index(after: equals)...].drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" })
            guard let quote = rest.first, quote == "\"" || quote == "'" else { return nil }
            rest = rest.dropFirst()
            guard let close = rest.firstIndex(of: quote) else { return nil }
            let value = String(rest[..<close])
            if name == "encoding" { return value }
            rest = rest[rest.index(after: close)...]
        }
    }
}

/// CSV order files: `order,pos,date,client,seller,product,quantity,price,note`, one row per
/// line; consecutive rows with the same order and POS form one order, whose date, client,
/// seller and note come from its first row.
///
/// The file is read twice in 1 MiB pieces, never whole: once to tell UTF-8 from
/// Windows-1252 (the contract's rule is about the whole file), once to parse, each piece up
/// to its last complete record. Memory does not grow with the file.
enum CSVOrderReader {
    static let columns = ["order", "pos", "date", "client", "seller", "product", "quantity", "price", "note"]

    /// Smaller than the master dumps' 4 MiB: an import holds the masters, three threads' work
    /// and SQLite's caches at once, and a piece is held about three times over while it is
    /// checked and decoded (the benchmark's 42 MB file: the same time, a peak of 84–85 MB
    /// instead of 97–101 MB).
    static let pieceSize = 1 << 20

    static func read(_ file: UntrustedFile, _ body: (OrderDraft) throws -> Void) throws {
        do {
            try readRecords(file, body)
        } catch let error as CSVFileError {
            throw OrderFileError(error.kind == .encoding ? .unsupportedEncoding : .malformedCSV, line: error.line, error.message)
        }
    }

    private static func readRecords(_ file: UntrustedFile, _ body: (OrderDraft) throws -> Void) throws {
        var csv = try CSVFile(file, pieceSize: pieceSize)
        var index: [Int] = []
        for (column, position) in zip(columns, csv.positions(of: columns)) {
            guard let position else {
                throw OrderFileError(.malformedCSV, line: csv.headerLine, "the header has no \(column) column")
            }
            index.append(position)
        }
        let width = csv.header.count
        var current: OrderDraft?
        var record = CSVRecord()
        while try csv.next(into: &record) {
            guard record.fields.count == width else {
                throw OrderFileError(.malformedCSV, line: record.line, "\(record.fields.count) fields where the header has \(width)")
            }
            let fields = record.fields
            let id = fields[index[0]]
            let pos = fields[index[1]]
            let note = fields[index[8]]
            // The ack names an order by its id, and XML cannot carry every character: an
            // order without a usable id (or a note XML cannot hold) makes the row malformed,
            // as it would make an XML file not well-formed.
            if id.isEmpty { throw OrderFileError(.malformedCSV, line: record.line, "the order id is empty") }
            for (name, value) in [("order", id), ("note", note)] {
                if let bad = SafeText.firstNonXMLCharacter(in: value) {
                    throw OrderFileError(.malformedCSV, line: record.line,
                                         "\(name) holds the control character \(SafeText.codePoint(bad)), which an order file may not hold")
                }
            }
            if let order = current, order.id != id || order.pos != pos {
                try body(order)
                current = nil
            }
            if current == nil {
                current = OrderDraft(id: id, pos: pos, date: fields[index[2]], client: fields[index[3]],
                                     seller: fields[index[4]], note: note, line: record.line)
            }
            if let order = current, order.lines.count >= OrderFileReader.maximumLinesPerOrder {
                throw OrderFileError(.malformedCSV, line: record.line, OrderFileReader.tooManyLines(order.id))
            }
            current?.lines.append(OrderDraft.Line(product: fields[index[5]], quantity: fields[index[6]],
                                                  price: fields[index[7]], line: record.line))
        }
        if let order = current { try body(order) }
    }
}
