import CLibXML2
import PuenteFormats

/// Test support: Puente validates no file against an XSD at run time (the orders XSD is
/// checked by the reader itself); tests check what Puente writes against the contract's.
/// An XSD loaded once, to validate documents against it with libxml2.
///
/// Documents are read with libxml2's streaming reader and only `XML_PARSE_NONET`: no entity
/// substitution, no DTD loading, no network. Schema errors do not stop the reader, so the
/// verdict is taken at the end of the document.
public final class XMLSchemaValidator: @unchecked Sendable {
    public struct SchemaError: Error, Sendable {
        public let message: String
    }

    // @unchecked: the parsed schema is immutable after init and libxml2 allows sharing it
    // between validation contexts.
    private let schema: xmlSchemaPtr

    /// Loads the XSD at `path` (one of Puente's own, never an untrusted file).
    public init(schemaAt path: String) throws(SchemaError) {
        guard let context = xmlSchemaNewParserCtxt(path) else {
            throw SchemaError(message: "cannot read the schema \(path)")
        }
        defer { xmlSchemaFreeParserCtxt(context) }
        guard let schema = xmlSchemaParse(context) else {
            throw SchemaError(message: "the schema \(path) is not a valid XSD")
        }
        self.schema = schema
    }

    deinit { xmlSchemaFree(schema) }

    /// Validates the document at `path`; an empty result means valid.
    public func validate(fileAt path: String) -> [XMLValidationIssue] {
        final class Collector { var issues: [XMLValidationIssue] = [] }
        let collector = Collector()
        guard let reader = xmlReaderForFile(path, nil, Int32(XML_PARSE_NONET.rawValue)) else {
            return [XMLValidationIssue(line: 0, message: "cannot open \(path)")]
        }
        defer { xmlFreeTextReader(reader) }
        xmlTextReaderSetStructuredErrorHandler(reader, { context, error in
            guard let context, let error else { return }
            let collector = Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue()
            collector.issues.append(XMLValidationIssue(error))
        }, Unmanaged.passUnretained(collector).toOpaque())
        guard xmlTextReaderSetSchema(reader, schema) == 0 else {
            return [XMLValidationIssue(line: 0, message: "cannot attach the schema")]
        }
        var result: Int32 = 1
        while result == 1 { result = xmlTextReaderRead(reader) }
        if result < 0, collector.issues.isEmpty {
            collector.issues.append(XMLValidationIssue(line: 0, message: "not well-formed"))
        }
        if xmlTextReaderIsValid(reader) != 1, collector.issues.isEmpty {
            collector.issues.append(XMLValidationIssue(line: 0, message: "not valid against the schema"))
        }
        return withExtendedLifetime(collector) { collector.issues }
    }
}
