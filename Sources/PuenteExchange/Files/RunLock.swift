import Foundation
import PuenteDomain

/// Another run holds the lock: code `busy`.
enum RunLockBusy {
    static func error(_ path: String) -> PuenteError {
        PuenteError(.busy, "another puente run is using the store \(path): try later", path: path)
    }
}

/// The run lock: one puente run at a time writes a store. It is a kernel `flock` on the store
/// file itself, taken before anything touches the store, so
/// - a lock left by a killed run never blocks the next one (the kernel drops it);
/// - deleting a lock file cannot let a second run in: there is no separate lock file, and a
///   run that finds the store file replaced while it took the lock takes it again on the new one;
/// - two runs in one process exclude each other too (a registry of the stores held here).
///
/// The descriptor the lock is taken on is kept open for the life of the process: closing any
/// descriptor of a SQLite file would silently drop the POSIX locks SQLite itself holds on it.
public final class RunLock: @unchecked Sendable {
    // @unchecked: `released` is guarded by `Self.guardLock`; the rest never changes.
    private let path: String
    private let descriptor: Int32
    private var released = false

    /// Takes the lock at once or throws `RunLockBusy`. With `create` false a missing store is
    /// not created (a dry run writes nothing) and the result is nil.
    public static func take(database: URL, create: Bool) throws -> RunLock? {
        let path = database.path
        guardLock.lock()
        defer { guardLock.unlock() }
        guard !registry.held.contains(path) else { throw RunLockBusy.error(path) }
        for _ in 0..<8 {
            guard let descriptor = try registry.descriptor(for: path, create: create) else { return nil }
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
                if errno == EWOULDBLOCK { throw RunLockBusy.error(path) }
                throw PuenteError.system("lock", path)
            }
            // The file may have been replaced (or deleted) while the lock was taken.
            if registry.isCurrent(descriptor, path: path) {
                registry.held.insert(path)
                return RunLock(path: path, descriptor: descriptor)
            }
            flock(descriptor, LOCK_UN)
        }
        throw PuenteError.file(operation: "lock", path: path, reason: "the store file keeps being replaced")
    }

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// Gives up the lock now (also done when the lock is released from memory).
    public func release() {
        Self.guardLock.lock()
        defer { Self.guardLock.unlock() }
        guard !released else { return }
        released = true
        flock(descriptor, LOCK_UN)
        Self.registry.held.remove(path)
    }

    deinit { release() }

    private struct State {
        var held: Set<String> = []
        var descriptors: [String: Int32] = [:]

        /// The process's descriptor of the store file at `path`, opened (and the file created
        /// when `create`) the first time, and again when the file was replaced since.
        mutating func descriptor(for path: String, create: Bool) throws -> Int32? {
            if let known = descriptors[path] {
                if isCurrent(known, path: path) { return known }
                // A stale descriptor of a file that is gone: no SQLite connection of ours is on it.
                close(known)
                descriptors[path] = nil
            }
            let descriptor = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0o644)
            guard descriptor >= 0 else {
                if !create, errno == ENOENT { return nil }
                throw PuenteError.system("open the store to lock it", path)
            }
            descriptors[path] = descriptor
            return descriptor
        }

        func isCurrent(_ descriptor: Int32, path: String) -> Bool {
            var open = stat()
            var named = stat()
            return fstat(descriptor, &open) == 0 && stat(path, &named) == 0
                && open.st_dev == named.st_dev && open.st_ino == named.st_ino
        }
    }

    nonisolated(unsafe) private static var registry = State()
    private static let guardLock = NSLock()
}
