import Foundation
import PuenteFormats

/// An Inbox file opened through the door and hashed on a thread of its own, one file ahead of
/// the import: the first file's SHA-256 is read while the masters load, the next one's while
/// this one is posted. The import takes it with `get()`, which waits for the hash and rethrows
/// what the door refused (`UntrustedFileError`), exactly as opening it then would have.
final class OpenedFile: @unchecked Sendable {
    // @unchecked: `result` is written once by the hashing thread, under `condition`.
    private let condition = NSCondition()
    private var result: Result<(file: UntrustedFile, sha256: String), any Error>?

    /// Starts opening and hashing `url`.
    init(_ url: URL) {
        Thread.detachNewThread { [self] in
            let result = Result { () throws -> (file: UntrustedFile, sha256: String) in
                let file = try UntrustedFile(path: url.path)
                return (file, try file.sha256())
            }
            condition.lock()
            self.result = result
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The opened file and its SHA-256, once hashed.
    func get() throws -> (file: UntrustedFile, sha256: String) {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        return try result!.get()
    }
}

extension UntrustedFile {
    /// Whether the entry at `path` is still this file as it was opened: the same inode, size,
    /// modification and change times (`lstat`, no link followed). What the importer asks right
    /// after its commit, instead of hashing the file again; an answer of no is checked by hash.
    func isUnchanged(atPath path: String) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0 else { return false }
        return info.st_dev == opened.st_dev && info.st_ino == opened.st_ino && info.st_size == opened.st_size
            && info.st_mtim.tv_sec == opened.st_mtim.tv_sec && info.st_mtim.tv_nsec == opened.st_mtim.tv_nsec
            && info.st_ctim.tv_sec == opened.st_ctim.tv_sec && info.st_ctim.tv_nsec == opened.st_ctim.tv_nsec
    }
}
