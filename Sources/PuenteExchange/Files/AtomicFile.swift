import Foundation
import PuenteFormats

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
        try renameWithoutReplacing(temporary, to: final, operation: "publish \(temporary.lastPathComponent) as")
        try synchronize(final.deletingLastPathComponent())
    }

    /// Makes `folder` and the folders above it when missing; a failure says which and why.
    ///
    /// Below `root` (the Inbox or the Outbox, which the web side can write) every folder must
    /// be a real folder: one replaced by a symbolic link would make Puente move or write files
    /// wherever the link points, so it is refused.
    public static func makeFolder(_ folder: URL, under root: URL? = nil) throws {
        if let root {
            try makeFolder(root)
            let base = root.standardizedFileURL.pathComponents
            let components = folder.standardizedFileURL.pathComponents
            guard components.starts(with: base) else {
                throw FileError(operation: "make the folder", path: folder.path, message: "it is not inside \(root.path)")
            }
            var path = root.standardizedFileURL
            for component in components.dropFirst(base.count) {
                path = path.appending(path: component)
                if mkdir(path.path, 0o755) != 0, errno != EEXIST { throw FileError.system("make the folder", path.path) }
                var info = stat()
                guard lstat(path.path, &info) == 0 else { throw FileError.system("look at", path.path) }
                guard (info.st_mode & S_IFMT) == S_IFDIR else {
                    throw FileError(operation: "use the folder", path: path.path,
                                    message: "it is \(UntrustedFile.nonRegularKind(atPath: path.path) ?? "a file"), not a folder")
                }
            }
            return
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            let reason = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.localizedDescription
                ?? error.localizedDescription
            throw FileError(operation: "make the folder", path: folder.path, message: reason)
        }
    }

    /// Creates a new, empty file at `url` for writing and returns its descriptor: whatever was
    /// at that name (a file left by a crash, a symbolic link) is removed first, and the file is
    /// created exclusively, so nothing is ever written through a link.
    static func createNew(_ url: URL) throws -> Int32 {
        if unlink(url.path) != 0, errno != ENOENT { throw FileError.system("remove", url.path) }
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileError.system("create", url.path) }
        return descriptor
    }

    /// Writes `data` to a new file at `url` (a small file beside one Puente moved, like
    /// `NAME.reason.txt`), never through a link.
    public static func write(_ data: Data, to url: URL) throws {
        let descriptor = try createNew(url)
        defer { close(descriptor) }
        let written = data.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        guard written == data.count else { throw FileError.system("write", url.path) }
    }

    /// Moves a file within one file system (an Inbox file to `processed/DATE/`), never
    /// replacing what is at `target`.
    public static func move(_ source: URL, to target: URL) throws {
        try renameWithoutReplacing(source, to: target, operation: "move \(source.lastPathComponent) to")
    }

    /// `link` + `unlink`: the portable rename that fails, changing nothing, when `target`
    /// exists. Some shares (SMB/CIFS) have no hard links: there, after checking that `target`
    /// is free, a plain `rename` (Puente holds the run lock, so nothing of its own races it).
    static func renameWithoutReplacing(_ source: URL, to target: URL, operation: String) throws {
        if link(source.path, target.path) == 0 {
            guard unlink(source.path) == 0 else { throw FileError.system("remove", source.path) }
            return
        }
        let code = errno
        if code == EXDEV {
            // Another file system (a file named on the command line): copy beside the target
            // under a temporary name, flush, give it its name, then remove the original.
            let temporary = temporaryURL(for: target)
            if unlink(temporary.path) != 0, errno != ENOENT { throw FileError.system("remove", temporary.path) }
            do {
                try FileManager.default.copyItem(at: source, to: temporary)
            } catch {
                throw FileError(operation: operation, path: target.path, message: "copying across file systems: \(error.localizedDescription)")
            }
            try synchronize(temporary)
            try renameWithoutReplacing(temporary, to: target, operation: operation)
            guard unlink(source.path) == 0 else { throw FileError.system("remove", source.path) }
            return
        }
        guard code == EPERM || code == EOPNOTSUPP || code == ENOTSUP || code == EMLINK || code == ENOSYS else {
            errno = code
            throw FileError.system(operation, target.path)
        }
        var info = stat()
        guard lstat(target.path, &info) != 0, errno == ENOENT else {
            throw FileError(operation: operation, path: target.path, message: "a file of that name is already there")
        }
        guard rename(source.path, target.path) == 0 else { throw FileError.system(operation, target.path) }
    }
}
