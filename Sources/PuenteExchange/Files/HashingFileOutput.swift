import Foundation
import PuenteDomain
import PuenteSecurity

/// A file being written in large chunks while its SHA-256 (unless `hashing` is off) and size
/// are computed on the way.
final class HashingFileOutput {
    let url: URL
    private let hashing: Bool
    private var descriptor: Int32
    private var hasher = SHA256()
    private var buffer: [UInt8] = []
    private let chunk = 1 << 18
    private(set) var size = 0

    /// Creates the file at `url`, a new one: whatever was there (a stale temporary file, or a
    /// symbolic link someone with access to the Outbox planted to make Puente write elsewhere)
    /// is removed first, never written through.
    init(creating url: URL, hashing: Bool = true) throws {
        self.url = url
        self.hashing = hashing
        descriptor = try AtomicFile.createNew(url)
        buffer.reserveCapacity(chunk)
    }

    deinit {
        if descriptor >= 0 { Foundation.close(descriptor) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        let bytes = bytes.bindMemory(to: UInt8.self)
        if hashing { hasher.update(bytes) }
        size += bytes.count
        if buffer.count + bytes.count > chunk { try flushBuffer() }
        if bytes.count >= chunk {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    /// Writes what is buffered, closes the file (flushed to disk first when `synchronize`),
    /// and returns its SHA-256.
    func close(synchronize: Bool) throws -> [UInt8] {
        try flushBuffer()
        if synchronize, fsync(descriptor) != 0 { throw PuenteError.system("flush", url.path) }
        let result = Foundation.close(descriptor)
        descriptor = -1
        guard result == 0 else { throw PuenteError.system("close", url.path) }
        return hasher.finalize()
    }

    private func flushBuffer() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBufferPointer { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw PuenteError.system("write", url.path)
            }
            offset += written
        }
    }
}
