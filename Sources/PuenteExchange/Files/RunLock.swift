import Foundation

/// Another run holds the lock.
public struct RunLockBusy: Error, Sendable, CustomStringConvertible {
    public let path: String
    public var description: String { "another puente run holds the lock \(path): try later" }
}

/// The lock beside the store (`<database>.lock`) that keeps two imports from running at
/// once. It is a kernel `flock`, released when the process ends however it ends, so a lock
/// left by a killed run never blocks the next one; the file itself may stay.
public final class RunLock: Sendable {
    private let descriptor: Int32

    /// Takes the lock at once or throws `RunLockBusy`.
    public init(database: URL) throws {
        let path = database.path + ".lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileError.system("open the lock", path) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            close(descriptor)
            if busy { throw RunLockBusy(path: path) }
            throw FileError.system("take the lock", path)
        }
        // Who holds it, for a person looking at the file.
        ftruncate(descriptor, 0)
        let text = "\(getpid())\n"
        _ = text.withCString { write(descriptor, $0, strlen($0)) }
        self.descriptor = descriptor
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
