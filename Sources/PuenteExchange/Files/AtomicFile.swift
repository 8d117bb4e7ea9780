import CPosix
import Foundation
import PuenteDomain
import PuenteFormats

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
        guard descriptor >= 0 else { throw PuenteError.system("open", url.path) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw PuenteError.system("flush", url.path) }
    }

    /// Gives the flushed `temporary` its `final` name. Fails, changing nothing, when `final`
    /// exists: nothing is ever overwritten. `link` + `unlink` is the portable no-replace rename.
    public static func publish(_ temporary: URL, as final: URL) throws {
        try renameWithoutReplacing(temporary, to: final, operation: "publish \(temporary.lastPathComponent) as")
        try synchronize(final.deletingLastPathComponent())
    }

    /// Completes a `publish` a crash may have cut, and says whether it published: a temporary
    /// name alone gets its final name; a temporary name beside the final one and the same file
    /// (the crash came between the link that gave the final name and the unlink of the
    /// temporary one) loses the temporary name, which would otherwise stay for good.
    public static func finishPublishing(_ temporary: URL, as final: URL) throws -> Bool {
        var temporaryInfo = stat()
        guard lstat(temporary.path, &temporaryInfo) == 0 else { return false }
        var finalInfo = stat()
        guard lstat(final.path, &finalInfo) == 0 else {
            try publish(temporary, as: final)
            return true
        }
        if finalInfo.st_dev == temporaryInfo.st_dev, finalInfo.st_ino == temporaryInfo.st_ino {
            guard unlink(temporary.path) == 0 || errno == ENOENT else { throw PuenteError.system("remove", temporary.path) }
            try synchronize(final.deletingLastPathComponent())
        }
        return false
    }

    /// Gives the flushed `temporary` the name `final`, replacing a file there (a report a person
    /// asked for again), and flushes the folder: readers see the old file or the new one whole.
    public static func replace(_ temporary: URL, as final: URL) throws {
        guard rename(temporary.path, final.path) == 0 else { throw PuenteError.system("write", final.path) }
        try synchronize(final.deletingLastPathComponent())
    }

    /// Makes every file written in `folder` durable at once (Linux: `syncfs` of its file
    /// system, one call for a batch of files; elsewhere each file and the folder are flushed).
    public static func synchronizeFileSystem(of folder: URL) throws {
        guard puente_has_syncfs() == 1 else {
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
                try synchronize(folder.appending(path: name))
            }
            return try synchronize(folder)
        }
        let descriptor = open(folder.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw PuenteError.system("open", folder.path) }
        defer { close(descriptor) }
        guard puente_syncfs(descriptor) == 0 else { throw PuenteError.system("flush", folder.path) }
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
                throw PuenteError.file(operation: "make the folder", path: folder.path, reason: "it is not inside \(root.path)")
            }
            var path = root.standardizedFileURL
            for component in components.dropFirst(base.count) {
                path = path.appending(path: component)
                if mkdir(path.path, 0o755) != 0, errno != EEXIST { throw PuenteError.system("make the folder", path.path) }
                var info = stat()
                guard lstat(path.path, &info) == 0 else { throw PuenteError.system("look at", path.path) }
                guard (info.st_mode & S_IFMT) == S_IFDIR else {
                    throw PuenteError.file(operation: "use the folder", path: path.path,
                                    reason: "it is \(UntrustedFile.nonRegularKind(atPath: path.path) ?? "a file"), not a folder")
                }
            }
            return
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            let reason = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.localizedDescription
                ?? error.localizedDescription
            throw PuenteError.file(operation: "make the folder", path: folder.path, reason: reason)
        }
    }

    /// Creates a new, empty file at `url` for writing and returns its descriptor: whatever was
    /// at that name (a file left by a crash, a symbolic link) is removed first, and the file is
    /// created exclusively, so nothing is ever written through a link.
    static func createNew(_ url: URL) throws -> Int32 {
        if unlink(url.path) != 0, errno != ENOENT { throw PuenteError.system("remove", url.path) }
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw PuenteError.system("create", url.path) }
        return descriptor
    }

    /// Writes `data` as the file `url` (a small file beside one Puente moved, like
    /// `NAME.reason.txt`) atomically: under its temporary name, flushed, then renamed over
    /// whatever had the name (a link is replaced, never written through) and the folder
    /// flushed. Readers see no file or the whole file.
    public static func write(_ data: Data, to url: URL) throws {
        let temporary = temporaryURL(for: url)
        try writeNew(data, to: temporary, synchronize: true)
        try replace(temporary, as: url)
    }

    /// Writes `data` to a new file at `url` (what was there removed, a link never followed);
    /// flushed to disk when `synchronize`.
    static func writeNew(_ data: Data, to url: URL, synchronize: Bool) throws {
        let descriptor = try createNew(url)
        defer { close(descriptor) }
        let written = data.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        guard written == data.count else { throw PuenteError.system("write", url.path) }
        if synchronize, fsync(descriptor) != 0 { throw PuenteError.system("flush", url.path) }
    }

    /// Moves a file within one file system (an Inbox file to `processed/DATE/`), never
    /// replacing what is at `target`.
    public static func move(_ source: URL, to target: URL) throws {
        try renameWithoutReplacing(source, to: target, operation: "move \(source.lastPathComponent) to")
    }

    /// `link` + `unlink`: the portable rename that fails, changing nothing, when `target`
    /// exists. Some shares (SMB/CIFS) have no hard links: there, after checking that `target`
    /// is free, a plain `rename` (Puente holds the run lock, so nothing of its own races it).
    public static func renameWithoutReplacing(_ source: URL, to target: URL, operation: String) throws {
        if link(source.path, target.path) == 0 {
            guard unlink(source.path) == 0 else { throw PuenteError.system("remove", source.path) }
            return
        }
        let code = errno
        if code == EXDEV {
            // Another file system (a file named on the command line): copy beside the target
            // under a temporary name, flush, give it its name, then remove the original.
            let temporary = temporaryURL(for: target)
            if unlink(temporary.path) != 0, errno != ENOENT { throw PuenteError.system("remove", temporary.path) }
            do {
                try FileManager.default.copyItem(at: source, to: temporary)
            } catch {
                throw PuenteError.file(operation: operation, path: target.path, reason: "copying across file systems: \(error.localizedDescription)")
            }
            try synchronize(temporary)
            try renameWithoutReplacing(temporary, to: target, operation: operation)
            guard unlink(source.path) == 0 else { throw PuenteError.system("remove", source.path) }
            return
        }
        guard code == EPERM || code == EOPNOTSUPP || code == ENOTSUP || code == EMLINK || code == ENOSYS else {
            errno = code
            throw PuenteError.system(operation, target.path)
        }
        var info = stat()
        guard lstat(target.path, &info) != 0, errno == ENOENT else {
            throw PuenteError.file(operation: operation, path: target.path, reason: "a file of that name is already there")
        }
        guard rename(source.path, target.path) == 0 else { throw PuenteError.system(operation, target.path) }
    }
}
