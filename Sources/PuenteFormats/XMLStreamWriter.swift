import CLibXML2
import PuenteDomain

/// The one XML writer of Puente: libxml2's streaming `xmlTextWriter`, handing its output in
/// chunks to a sink (a file, a hash), so memory does not grow with the document.
///
/// Escaping of `<`, `&`, `"`, tabs and line breaks is libxml2's. A value holding a character
/// that XML 1.0 does not allow (libxml2 would write it raw, and the document would not be
/// well-formed) is refused with an error: what Puente writes is always well-formed, and the
/// data that reaches here was refused or escaped where it came in. Not thread-safe: one
/// writer per document.
public final class XMLStreamWriter {
    public typealias Sink = (UnsafeRawBufferPointer) throws -> Void

    private let sink: Sink
    private var output: xmlOutputBufferPtr?
    private var writer: xmlTextWriterPtr?
    /// The first error the sink threw; libxml2 only sees "-1".
    private var sinkError: (any Error)?

    /// A writer whose bytes go to `sink`, in chunks of a few kilobytes.
    public init(sink: @escaping Sink) throws(PuenteError) {
        // libxml2 prints nothing by itself on this thread either (a sink that fails would
        // make it write "I/O error" to stderr): its errors become ours.
        XMLOrderReader.silenceLibxml2()
        self.sink = sink
        let context = Unmanaged.passUnretained(self).toOpaque()
        guard let output = xmlOutputBufferCreateIO({ context, bytes, length in
            guard let context, let bytes else { return -1 }
            let writer = Unmanaged<XMLStreamWriter>.fromOpaque(context).takeUnretainedValue()
            do {
                try writer.sink(UnsafeRawBufferPointer(start: bytes, count: Int(length)))
                return length
            } catch {
                if writer.sinkError == nil { writer.sinkError = error }
                return -1
            }
        }, nil, context, nil) else {
            throw PuenteError(.io, "libxml2 could not make an output buffer")
        }
        guard let writer = xmlNewTextWriter(output) else {
            xmlOutputBufferClose(output)
            throw PuenteError(.io, "libxml2 could not make a text writer")
        }
        self.output = output
        self.writer = writer  // owns `output` from here on
    }

    deinit {
        if let writer { xmlFreeTextWriter(writer) }
    }

    /// `<?xml version="1.0" encoding="UTF-8"?>`.
    public func startDocument() throws {
        try check(xmlTextWriterStartDocument(writer, "1.0", "UTF-8", nil), "start the document")
    }

    // Names and values go to libxml2 through `withCString` (no copy of a native string):
    // the implicit String-to-pointer conversion makes an array per call, an ack writes
    // several per order.
    public func startElement(_ name: String) throws {
        try check(Self.withXMLChars(name) { xmlTextWriterStartElement(writer, $0) }, "start element \(name)")
    }

    public func attribute(_ name: String, _ value: String) throws {
        // A NUL would cut the C string libxml2 is given: refused like the other controls.
        if let bad = SafeText.firstNonXMLCharacter(in: value) {
            throw PuenteError(.invalidInput, "attribute \(name) holds \(SafeText.codePoint(bad)), which XML 1.0 does not allow")
        }
        let result = Self.withXMLChars(name) { name in Self.withXMLChars(value) { xmlTextWriterWriteAttribute(writer, name, $0) } }
        try check(result, "write attribute \(name)")
    }

    private static func withXMLChars(_ text: String, _ body: (UnsafePointer<xmlChar>) -> Int32) -> Int32 {
        text.withCString { chars in chars.withMemoryRebound(to: xmlChar.self, capacity: 1, body) }
    }

    /// An attribute from C strings, for writers that stream many records (no `String` per value).
    public func attribute(_ name: UnsafePointer<UInt8>, _ value: UnsafePointer<UInt8>) throws {
        if let bad = Self.firstNonXMLByte(value) {
            throw PuenteError(.invalidInput, "attribute \(String(cString: name)) holds the byte 0x\(String(bad, radix: 16)), "
                                + "which XML 1.0 does not allow")
        }
        try check(xmlTextWriterWriteAttribute(writer, name, value), "write an attribute")
    }

    /// The first byte of a NUL-terminated UTF-8 string that starts a character XML 1.0 does
    /// not allow: a C0 control other than tab, LF, CR, or the U+FFFE/U+FFFF sequences.
    static func firstNonXMLByte(_ value: UnsafePointer<UInt8>) -> UInt8? {
        var pointer = value
        while pointer.pointee != 0 {
            let byte = pointer.pointee
            if byte < 0x20, byte != 0x09, byte != 0x0A, byte != 0x0D { return byte }
            if byte == 0xEF, pointer[1] == 0xBF, pointer[2] == 0xBE || pointer[2] == 0xBF { return byte }
            pointer += 1
        }
        return nil
    }

    public func endElement() throws {
        try check(xmlTextWriterEndElement(writer), "end an element")
    }

    /// Text written as is (already well-formed): used for line breaks between records.
    public func raw(_ text: String) throws {
        try check(Self.withXMLChars(text) { xmlTextWriterWriteRaw(writer, $0) }, "write text")
    }

    /// Bytes written as they are: whole elements a caller built with `appendAttribute`, one
    /// call to libxml2 instead of one per tag and attribute (an ack writes one per order).
    public func raw(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        let result = bytes.withUnsafeBufferPointer { xmlTextWriterWriteRawLen(writer, $0.baseAddress, Int32($0.count)) }
        try check(result, "write text")
    }

    /// Appends ` name="value"` to `element`, the value escaped as libxml2's writer escapes an
    /// attribute (`&`, `<`, `>`, `"`, tab, line feed and carriage return as references; other
    /// characters as they are), for an element written whole with `raw(_:)`. A character XML
    /// 1.0 does not allow is refused, as `attribute(_:_:)` refuses it.
    public static func appendAttribute(_ name: StaticString, _ value: String, to element: inout [UInt8]) throws {
        if let bad = SafeText.firstNonXMLCharacter(in: value) {
            throw PuenteError(.invalidInput, "attribute \(name) holds \(SafeText.codePoint(bad)), which XML 1.0 does not allow")
        }
        element.append(0x20)
        element.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        element.append(contentsOf: "=\"".utf8)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "&"): element.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "<"): element.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): element.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\""): element.append(contentsOf: "&quot;".utf8)
            case 0x09: element.append(contentsOf: "&#9;".utf8)
            case 0x0A: element.append(contentsOf: "&#10;".utf8)
            case 0x0D: element.append(contentsOf: "&#13;".utf8)
            default: element.append(byte)
            }
        }
        element.append(UInt8(ascii: "\""))
    }

    /// Closes every open element, ends the document and hands the last bytes to the sink.
    public func endDocument() throws {
        try check(xmlTextWriterEndDocument(writer), "end the document")
        try check(xmlTextWriterFlush(writer), "flush the document")
    }

    private func check(_ result: Int32, _ what: @autoclosure () -> String) throws {
        if let sinkError { throw sinkError }
        if result < 0 { throw PuenteError(.io, "libxml2 could not \(what())") }
    }
}
