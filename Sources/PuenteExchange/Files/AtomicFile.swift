import Foundation

/// A file operation failed: what was attempted, on which path, and the system's reason.
public struct FileError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let path: String
    public let message: String

    public init(operation: String, path: String, message: String) {
        self.operation = operation
        self.path = path
        self.message = message
    }

    /// An error from the current `errno`.
    static func system(_ operation: String, _ path: String) -> FileError {
        FileError(operation: operation, path: path, message: String(cString: strerror(errno)))
    }

    public var description: String { "could not \(operation) \(path): \(message)" }
}

/// The one way Puente makes a file appear in the Outbox: written under a temporary name in
/// the same folder (`.NAME.tmp`, which watchers ignore), flushed to disk, then given its final
/// name without ever replacing an existing file, and the folder flushed too.
public enum AtomicFile {
    /// The temporary name used for `final`.
    public static func temporaryURL(for final: URL) -> URL {
        final.deletingLastPathComponent().appending(path: "." + final.lastPathComponent + ".tmp")
    }

    /// Flushes `url`'s contents to disk.
    public static func synchronize(_ url: URL) throws {
        let descriptor = open(url.path, O_RDONLY)
        guard descriptor >= 0 else { throw FileError.system("open", url.path) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw FileError.system("flush", url.path) }
    }

    /// Gives the flushed `temporary` its `final` name. Fails, changing nothing, when `final`
    /// exists: nothing is ever overwritten. `link` + `unlink` is the portable no-replace rename.
    public static func publish(_ temporary: URL, as final: URL) throws {
        guard link(temporary.path, final.path) == 0 else {
            throw FileError.system("publish \(temporary.lastPathComponent) as", final.path)
        }
        guard unlink(temporary.path) == 0 else { throw FileError.system("remove", temporary.path) }
        try synchronize(final.deletingLastPathComponent())
    }
}
