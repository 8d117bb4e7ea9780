import Foundation
import Synchronization

/// A file from outside could not be opened as a regular file: what it is, and why.
public struct UntrustedFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Problem: Sendable, Equatable {
        /// A symbolic link (never followed: it could point anywhere).
        case symbolicLink
        /// A FIFO, socket, device or folder.
        case notRegular(String)
        /// Nothing is there (any more).
        case missing
        /// The system refused to open or read it (permission, I/O).
        case unreadable(String)
    }

    public let path: String
    public let problem: Problem

    public init(path: String, problem: Problem) {
        self.path = path
        self.problem = problem
    }

    /// `is a symbolic link`, `is a FIFO, not a regular file`, `cannot be read: Permission denied`.
    public var reason: String {
        switch problem {
        case .symbolicLink: "is a symbolic link (not followed)"
        case .notRegular(let kind): "is \(kind), not a regular file"
        case .missing: "is not there"
        case .unreadable(let message): "cannot be read: \(message)"
        }
    }

    public var description: String { "\(path) \(reason)" }
}

/// The first step of the one door: a file from outside opened once, without following a
/// symbolic link and without blocking on a FIFO, and let through only when it is a regular
/// file. Everything after reads through this descriptor, up to the size it had when opened
/// (a file that grows meanwhile is read as it was), so the bytes hashed, checked and parsed
/// are the same bytes.
public final class UntrustedFile: @unchecked Sendable {
    // @unchecked: the descriptor and size never change; `pread` is safe from any thread.
    public let path: String
    public let descriptor: Int32
    /// The size when opened; nothing past it is read.
    public let size: Int64
    /// What `fstat` said when it was opened (to tell later whether the path still holds it).
    public let opened: stat
    /// Where the last read ended: how far a reader going through the file has come (for
    /// progress shown to people).
    public var position: Int64 { lastReadEnd.load(ordering: .relaxed) }
    private let lastReadEnd = Atomic<Int64>(0)

    /// Opens `path`. `followLinks` is for files an administrator names (the back office's
    /// dumps, which may sit behind a link); an Inbox file never is.
    public init(path: String, followLinks: Bool = false) throws(UntrustedFileError) {
        self.path = path
        // O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: a link fails (ELOOP).
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | (followLinks ? 0 : O_NOFOLLOW))
        guard descriptor >= 0 else {
            let code = errno
            var info = stat()
            if code == ELOOP, lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK {
                throw UntrustedFileError(path: path, problem: .symbolicLink)
            }
            if code == ENOENT || code == ENOTDIR { throw UntrustedFileError(path: path, problem: .missing) }
            throw UntrustedFileError(path: path, problem: .unreadable(String(cString: strerror(code))))
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let message = String(cString: strerror(errno))
            close(descriptor)
            throw UntrustedFileError(path: path, problem: .unreadable(message))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw UntrustedFileError(path: path, problem: .notRegular(Self.kind(of: info.st_mode)))
        }
        self.descriptor = descriptor
        self.size = Int64(info.st_size)
        self.opened = info
    }

    deinit { close(descriptor) }

    /// Reads up to `count` bytes at `offset` (never past `size`) into `buffer`; the number
    /// read, 0 at the end.
    public func read(at offset: Int64, into buffer: UnsafeMutableRawPointer, count: Int) throws(UntrustedFileError) -> Int {
        let wanted = Int(min(Int64(count), max(0, size - offset)))
        guard wanted > 0 else { return 0 }
        while true {
            let result = pread(descriptor, buffer, wanted, off_t(offset))
            if result >= 0 {
                lastReadEnd.store(offset + Int64(result), ordering: .relaxed)
                return result
            }
            if errno == EINTR || errno == EAGAIN { continue }
            throw UntrustedFileError(path: path, problem: .unreadable(String(cString: strerror(errno))))
        }
    }

    /// Reads the file in pieces of `pieceSize` bytes, handing each to `body`.
    public func forEachPiece(
        pieceSize: Int = 1 << 20, _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: pieceSize, alignment: 16)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while true {
            let count = try read(at: offset, into: buffer, count: pieceSize)
            if count == 0 { return }
            try body(UnsafeRawBufferPointer(start: buffer, count: count))
            offset += Int64(count)
        }
    }

    /// Fills `bytes` from `offset` as far as the file goes (a read may return less than asked);
    /// the count read, less than `bytes.count` only at the end of the file.
    public func fill(_ bytes: inout [UInt8], at offset: Int64) throws -> Int {
        var filled = 0
        while filled < bytes.count {
            let count = try bytes.withUnsafeMutableBytes { buffer in
                try read(at: offset + Int64(filled), into: buffer.baseAddress! + filled, count: buffer.count - filled)
            }
            if count == 0 { break }
            filled += count
        }
        return filled
    }

    /// What a file mode names, for messages: `a folder`, `a FIFO`, `a symbolic link`…
    public static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a folder"
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        case S_IFCHR, S_IFBLK: "a device"
        case S_IFLNK: "a symbolic link"
        default: "something other than a file"
        }
    }

    /// What an Inbox entry is, without following a link: nil for a regular file, else its
    /// kind (`a symbolic link`, `a FIFO`…), or nil when it is gone.
    public static func nonRegularKind(atPath path: String) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG else { return nil }
        return kind(of: info.st_mode)
    }
}
