import Foundation

/// Why a Puente operation could not be done: the one error type of the library's failures,
/// after swift-nio's `FileSystemError` and GRDB's `DatabaseError`. A `code` that programs
/// switch on (the command line's exit status comes from it), a message for people (a whole
/// sentence: what, where, why), where it happened (file, line, configuration key) and the
/// underlying cause (the system's `errno`, SQLite's result code, a parser's error).
///
/// What a person reads may name files and keys, never a customer's values: these errors are
/// logged.
///
/// Not errors of this kind: the outcomes the contract names (an order's or a file's reason
/// codes, a refused master dump, a status transition not allowed), which are results.
public struct PuenteError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Sendable {
            case usage, invalidInput, io, store, busy, configuration
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// Asked for something that cannot be: a path that is not there, a site not configured.
        public static let usage = Code(.usage)
        /// Input that breaks the contract as a whole.
        public static let invalidInput = Code(.invalidInput)
        /// A file or folder could not be read or written (permissions, a full disk, a share away).
        public static let io = Code(.io)
        /// The store could not be opened, read or written.
        public static let store = Code(.store)
        /// Another run holds the store: try later.
        public static let busy = Code(.busy)
        /// `puente.toml` is wrong.
        public static let configuration = Code(.configuration)

        public var description: String { wrapped.rawValue }
    }

    public var code: Code
    /// A sentence for people: what was attempted, on what, and why not.
    public var message: String
    public var path: String?
    public var line: Int?
    /// A configuration key (`inbox.settle_seconds`).
    public var key: String?
    /// What the system or a library said.
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, path: String? = nil, line: Int? = nil, key: String? = nil,
                cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.line = line
        self.key = key
        self.cause = cause
    }

    public var description: String { message }

    /// `could not OPERATION PATH: REASON`, from the current `errno`.
    public static func system(_ operation: String, _ path: String) -> PuenteError {
        let number = errno
        return PuenteError(.io, "could not \(operation) \(path): \(String(cString: strerror(number)))", path: path,
                           cause: POSIXErrorCode(rawValue: number).map { POSIXError($0) })
    }

    /// `could not OPERATION PATH: REASON`.
    public static func file(operation: String, path: String, reason: String) -> PuenteError {
        PuenteError(.io, "could not \(operation) \(path): \(reason)", path: path)
    }
}

/// SQLite's (extended) result code, the cause of a store error.
public struct SQLiteResultCode: Error, Sendable, Equatable, CustomStringConvertible {
    public let rawValue: Int32

    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    public var description: String { "SQLite result code \(rawValue)" }
}
