import Dispatch
import Foundation
import PuenteFormats
import PuenteSecurity

/// One file of a package while it is written: the bytes are hashed (SHA-256, for the
/// manifest) and deflated on a queue of the entry's own, so that a record set's XML and CSV
/// compress on other cores while the rows are still being read; the compressed bytes wait in
/// a spool file until the archive is assembled. At most a few chunks are in flight, so memory
/// stays flat.
final class PackageEntry: @unchecked Sendable {
    // @unchecked: `pending` belongs to the producing thread; everything else is touched only on
    // `queue`, and `finish()` waits for the queue before reading it.
    let name: String
    private let queue: DispatchQueue
    private let inFlight = DispatchSemaphore(value: 4)
    private var pending: [UInt8] = []
    private let chunk = 1 << 18
    private var hasher = SHA256()
    private let deflate: DeflateStream
    private let spool: HashingFileOutput
    private var failure: (any Error)?

    init(name: String, spoolFolder: URL) throws {
        self.name = name
        queue = DispatchQueue(label: "puente.package.\(name)")
        deflate = try DeflateStream()
        spool = try HashingFileOutput(creating: spoolFolder.appending(path: name + ".deflated"), hashing: false)
        pending.reserveCapacity(chunk)
    }

    /// Appends bytes to the file (from the one producing thread).
    func write(_ bytes: UnsafeRawBufferPointer) {
        pending.append(contentsOf: bytes)
        if pending.count >= chunk { submit() }
    }

    /// Waits for the queue, ends the deflate stream and returns the finished entry.
    func finish(records: Int) throws -> PackageEntryResult {
        submit()
        try queue.sync {
            if let failure { throw failure }
            let spool = self.spool
            try deflate.finish { try spool.write($0) }
            _ = try spool.close(synchronize: false)
        }
        return PackageEntryResult(
            name: name, records: records, sha256: hasher.finalize().hexString, spool: spool.url,
            zip: ZipArchiveLayout.Entry(name: name, crc32: deflate.crc32, compressedSize: deflate.compressedSize,
                                        uncompressedSize: deflate.uncompressedSize))
    }

    private func submit() {
        guard !pending.isEmpty else { return }
        let bytes = pending
        pending = []
        pending.reserveCapacity(chunk)
        inFlight.wait()
        queue.async { [self] in
            defer { inFlight.signal() }
            guard failure == nil else { return }
            do {
                try bytes.withUnsafeBytes { raw in
                    hasher.update(raw.bindMemory(to: UInt8.self))
                    let spool = self.spool
                    try deflate.write(raw) { try spool.write($0) }
                }
            } catch {
                failure = error
            }
        }
    }
}

/// A finished file of a package: what the manifest says of it and where its deflated bytes are.
struct PackageEntryResult: Sendable {
    let name: String
    let records: Int
    let sha256: String
    let spool: URL
    let zip: ZipArchiveLayout.Entry
}
