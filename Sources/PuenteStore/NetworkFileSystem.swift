import CPosix
import Foundation
import PuenteDomain

/// SQLite's locking (POSIX advisory locks, and the WAL's shared memory) is not safe on network
/// file systems: two machines can both believe they hold the write lock, and the store is
/// corrupted. The store is refused there; the Inbox and Outbox may be on a share.
public enum NetworkFileSystem {
    /// The network file system a Linux `statfs` magic number names, if it is one.
    public static func name(magic: Int64) -> String? {
        switch UInt32(truncatingIfNeeded: magic) {
        case 0x6969: "NFS"
        case 0x517B: "SMB"
        case 0xFF53_4D42: "CIFS"
        case 0xFE53_4D42: "SMB2"
        default: nil
        }
    }

    /// The network file system the folder holding `path` is on, if any (nil when it cannot be told).
    public static func holding(_ path: String) -> String? {
        var folder = URL(filePath: path).deletingLastPathComponent().path
        // The store's folder may not exist yet: its nearest existing ancestor is where it will be.
        while !FileManager.default.fileExists(atPath: folder), folder != "/" {
            folder = URL(filePath: folder).deletingLastPathComponent().path
        }
        let magic = puente_filesystem_magic(folder)
        return magic < 0 ? nil : name(magic: Int64(magic))
    }

    /// Throws a configuration error when the store at `path` would be on a network file system.
    public static func refuse(store path: String) throws {
        guard let kind = holding(path) else { return }
        throw PuenteError(.configuration, """
            the store \(path) is on a network file system (\(kind)): SQLite's locking is not safe there \
            and the store could be corrupted; set `database` in puente.toml to a local disk \
            (the Inbox and Outbox may stay on the share)
            """, path: path)
    }
}
