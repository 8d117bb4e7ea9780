import Foundation
import PuenteFormats

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
