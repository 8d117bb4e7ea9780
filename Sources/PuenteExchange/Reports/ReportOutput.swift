import Foundation
import PuenteDomain

/// Where a report goes: standard output, or a file written atomically (a temporary file beside
/// it, flushed, then renamed over it: a reader never sees half a report).
public final class ReportOutput {
    private let file: HashingFileOutput?
    private let final: URL?
    private let temporary: URL?
    private var buffer: [UInt8] = []
    private var finished = false
    /// Kept in memory instead (a small report shown inside another summary).
    private let collecting: Bool
    public private(set) var collected: [UInt8] = []

    /// Standard output, or memory when `collecting` (then read `collected`).
    public init(collecting: Bool = false) {
        file = nil
        final = nil
        temporary = nil
        self.collecting = collecting
    }

    /// The file `url` (made anew under a temporary name until `finish()`).
    public init(file url: URL) throws {
        final = url
        let temporary = AtomicFile.temporaryURL(for: url)
        self.temporary = temporary
        file = try HashingFileOutput(creating: temporary, hashing: false)
        collecting = false
    }

    deinit {
        // Not finished (a failure): the temporary file goes.
        if let temporary, !finished { unlink(temporary.path) }
    }

    /// The temporary file a library writes whole by its path (an xlsx workbook); nil for
    /// standard output. `finish()` then gives it its name.
    var temporaryPath: String? { temporary?.path }

    public func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { try flush() }
    }

    public func write(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { try flush() }
    }

    /// Everything written, then the file given its name.
    public func finish() throws {
        try flush()
        if let file, let temporary, let final {
            _ = try file.close(synchronize: true)
            try AtomicFile.replace(temporary, as: final)
        }
        finished = true
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        if let file {
            try buffer.withUnsafeBytes { try file.write($0) }
        } else if collecting {
            collected += buffer
        } else {
            FileHandle.standardOutput.write(Data(buffer))
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
