import CLibXML2

/// A problem found while validating a document: the line and libxml2's message.
public struct XMLValidationIssue: Sendable, Equatable, CustomStringConvertible {
    public let line: Int
    public let message: String

    public var description: String { "line \(line): \(message)" }

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    /// libxml2's error, its message without the trailing line break.
    public init(_ error: UnsafePointer<xmlError>) {
        line = Int(error.pointee.line)
        let message = error.pointee.message.map { String(cString: $0) } ?? "invalid"
        self.message = String(message.reversed().drop(while: \.isWhitespace).reversed())
    }
}
