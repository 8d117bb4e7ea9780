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
/// through libxml2's streaming reader with only `XML_PARSE_NONET` (no entity substitution, no
/// DTD loading, no XInclude, no recovery, no huge mode), in the encoding Puente decided from
/// the prolog before libxml2 saw a byte, any DOCTYPE refused, and the orders XSD checked as it
/// reads; CSV through Puente's CSV reader. Orders are handed over one at a time as they are
/// read; a file-level error can still come after some were handed over (a schema violation
/// near the end), so the caller must be able to undo them (the importer reads a file inside
/// one transaction). libxml2 prints nothing by itself: its errors become `OrderFileError`s.
public enum OrderFileReader {
    /// Opens and reads the file at `path` (XML or CSV by its extension), calling `body` for each order.
    public static func read(path: String, maxBytes: Int, _ body: (OrderDraft) throws -> Void) throws {
        try read(UntrustedFile(path: path), maxBytes: maxBytes, body)
    }

    /// Reads an opened file (XML or CSV by its name's extension), calling `body` for each order.
    public static func read(_ file: UntrustedFile, maxBytes: Int, _ body: (OrderDraft) throws -> Void) throws {
        if file.size > Int64(maxBytes) {
            throw OrderFileError(.fileTooLarge, "\(file.size) bytes, over the limit of \(maxBytes)")
        }
        if isCSV(file.path) {
            try CSVOrderReader.read(file, body)
        } else {
            try XMLOrderReader.read(file, body)
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

    final class State {
        var firstError: OrderFileError?
        var order: OrderDraft?
        var inNote = false
        /// The note's text as it comes (libxml2 may hand a long text over in pieces).
        var note: [UInt8] = []
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

    static func read(_ file: UntrustedFile, _ body: (OrderDraft) throws -> Void) throws {
        silenceLibxml2()
        let encoding = try checkProlog(file)
        guard let schema else { throw OrderFileError(.schemaViolation, "the orders schema could not be compiled") }
        let input = Input(file)
        let context = Unmanaged.passUnretained(input).toOpaque()
        // BIG_LINES only keeps line numbers right past line 65,535 (for error messages);
        // IGNORE_ENC keeps libxml2 to the encoding decided here, whatever the file declares
        // (UTF-8 is its own: naming it would add a conversion pass that changes nothing).
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_BIG_LINES.rawValue | XML_PARSE_IGNORE_ENC.rawValue)
        guard let reader = xmlReaderForIO({ context, buffer, length in
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
        }, nil, context, nil, encoding == "UTF-8" ? nil : encoding, options) else {
            throw OrderFileError(.malformedXML, "libxml2 could not start reading the file")
        }
        defer { xmlFreeTextReader(reader) }
        let state = State()
        xmlTextReaderSetStructuredErrorHandler(reader, { context, error in
            guard let context, let error else { return }
            let state = Unmanaged<State>.fromOpaque(context).takeUnretainedValue()
            guard state.firstError == nil else { return }
            let issue = XMLValidationIssue(error)
            let code: ReasonCode = error.pointee.domain == Int32(XML_FROM_SCHEMASV.rawValue) ? .schemaViolation : .malformedXML
            state.firstError = OrderFileError(code, line: issue.line, issue.message)
        }, Unmanaged.passUnretained(state).toOpaque())
        guard xmlTextReaderSetSchema(reader, schema) == 0 else {
            throw OrderFileError(.schemaViolation, "cannot attach the orders schema")
        }
        try withExtendedLifetime((state, input)) {
            while true {
                let result = xmlTextReaderRead(reader)
                // The file could not be read (not its content's fault): an I/O problem.
                if let failure = input.failure { throw failure }
                if let error = state.firstError { throw error }
                if result == 0 { break }
                if result < 0 {
                    // Some errors (a text over libxml2's limits) reach only the thread's last error.
                    let message = xmlGetLastError().map { XMLValidationIssue($0).message } ?? "not well-formed"
                    throw OrderFileError(.malformedXML, line: line(reader), message)
                }
                try handle(reader, state, body)
            }
            if let error = state.firstError { throw error }
            if xmlTextReaderIsValid(reader) != 1 {
                throw OrderFileError(.schemaViolation, line: line(reader), "not valid against the orders schema")
            }
        }
    }

    private static func handle(_ reader: xmlTextReaderPtr, _ state: State, _ body: (OrderDraft) throws -> Void) throws {
        let type = xmlTextReaderNodeType(reader)
        switch type {
        case Int32(XML_READER_TYPE_DOCUMENT_TYPE.rawValue):
            throw OrderFileError(.doctypeNotAllowed, line: line(reader), "a DOCTYPE is not allowed in an order file")
        case Int32(XML_READER_TYPE_ELEMENT.rawValue):
            // The schema refuses elements in a namespace; never take one as ours meanwhile.
            guard xmlTextReaderConstNamespaceUri(reader) == nil else { return }
            // Names compared as C strings: no String for a name (tens per order).
            let name = xmlTextReaderConstLocalName(reader)
            let empty = xmlTextReaderIsEmptyElement(reader) == 1
            if isNamed(name, "line") {
                var item = OrderDraft.Line(product: "", quantity: "", price: "", line: line(reader))
                forEachAttribute(reader) { name, value in
                    if isNamed(name, "product") { item.product = value() }
                    else if isNamed(name, "quantity") { item.quantity = value() }
                    else if isNamed(name, "price") { item.price = value() }
                }
                if let order = state.order, order.lines.count >= OrderFileReader.maximumLinesPerOrder {
                    throw OrderFileError(.schemaViolation, line: item.line, OrderFileReader.tooManyLines(order.id))
                }
                state.order?.lines.append(item)
            } else if isNamed(name, "order") {
                var order = OrderDraft(id: "", pos: "", date: "", client: "", line: line(reader))
                order.lines.reserveCapacity(16)
                forEachAttribute(reader) { name, value in
                    if isNamed(name, "id") { order.id = value() }
                    else if isNamed(name, "pos") { order.pos = value() }
                    else if isNamed(name, "date") { order.date = value() }
                    else if isNamed(name, "client") { order.client = value() }
                    else if isNamed(name, "seller") { order.seller = value() }
                }
                state.order = order
                if empty {
                    state.order = nil
                    try body(order)
                }
            } else if isNamed(name, "note") {
                state.inNote = !empty
                state.note.removeAll(keepingCapacity: true)
            }
        case Int32(XML_READER_TYPE_TEXT.rawValue), Int32(XML_READER_TYPE_CDATA.rawValue):
            if state.inNote, let value = xmlTextReaderConstValue(reader) {
                state.note.append(contentsOf: UnsafeBufferPointer(start: value, count: strlen(value)))
            }
        case Int32(XML_READER_TYPE_END_ELEMENT.rawValue):
            guard xmlTextReaderConstNamespaceUri(reader) == nil else { return }
            let name = xmlTextReaderConstLocalName(reader)
            if isNamed(name, "note"), state.inNote {
                state.inNote = false
                state.order?.note = String(decoding: state.note, as: UTF8.self)
            }
            if isNamed(name, "order"), let order = state.order {
                state.order = nil
                try body(order)
            }
        default:
            break
        }
    }

    /// Calls `body` with the name and value of each attribute of the current element that is in
    /// no namespace: the contract's attributes. A namespace declaration (`xmlns:seller="V02"`,
    /// whose local name is `seller`) is never data, and a namespaced attribute is not ours.
    /// `body` gets the name as libxml2 holds it and the value as a `String` when asked for.
    private static func forEachAttribute(_ reader: xmlTextReaderPtr,
                                         _ body: (UnsafePointer<xmlChar>?, () -> String) -> Void) {
        while xmlTextReaderMoveToNextAttribute(reader) == 1 {
            guard xmlTextReaderConstNamespaceUri(reader) == nil, xmlTextReaderIsNamespaceDecl(reader) == 0 else { continue }
            body(xmlTextReaderConstLocalName(reader)) { constString(xmlTextReaderConstValue(reader)) }
        }
        xmlTextReaderMoveToElement(reader)
    }

    /// Whether libxml2's name `name` is `expected`.
    private static func isNamed(_ name: UnsafePointer<xmlChar>?, _ expected: StaticString) -> Bool {
        guard let name else { return false }
        return strcmp(UnsafeRawPointer(name).assumingMemoryBound(to: CChar.self),
                      UnsafeRawPointer(expected.utf8Start).assumingMemoryBound(to: CChar.self)) == 0
    }

    private static func constString(_ pointer: UnsafePointer<xmlChar>?) -> String {
        guard let pointer else { return "" }
        return String(cString: pointer)
    }

    /// The line of the current node (the parser itself may be further ahead).
    private static func line(_ reader: xmlTextReaderPtr) -> Int {
        if let node = xmlTextReaderCurrentNode(reader) {
            let line = xmlGetLineNo(node)
            if line > 0 { return Int(line) }
        }
        return Int(xmlTextReaderGetParserLineNumber(reader))
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
/// The file is read twice in 4 MiB pieces, never whole: once to tell UTF-8 from
/// Windows-1252 (the contract's rule is about the whole file), once to parse, each piece up
/// to its last complete record. Memory does not grow with the file.
enum CSVOrderReader {
    static let columns = ["order", "pos", "date", "client", "seller", "product", "quantity", "price", "note"]

    static func read(_ file: UntrustedFile, _ body: (OrderDraft) throws -> Void) throws {
        do {
            try readRecords(file, body)
        } catch let error as CSVFileError {
            throw OrderFileError(error.kind == .encoding ? .unsupportedEncoding : .malformedCSV, line: error.line, error.message)
        }
    }

    private static func readRecords(_ file: UntrustedFile, _ body: (OrderDraft) throws -> Void) throws {
        var csv = try CSVFile(file)
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
