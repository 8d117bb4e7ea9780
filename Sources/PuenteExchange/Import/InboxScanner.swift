import Foundation

/// Finds the Inbox files that are ready to take, by the contract's rules: `*.xml` and `*.csv`
/// (any case); not names starting with `.` or ending `.tmp`, `.part`, `.partial`, `.filepart`,
/// `.crdownload`; with `done_markers`, only when `NAME.done` exists; and only once stable: the
/// same size and modification time across two looks `settle_seconds` apart, both made by this
/// run (never comparing file times with the clock).
public struct InboxScanner: Sendable {
    let folder: URL
    let settleSeconds: Double
    let doneMarkers: Bool
    /// Waits between the two looks (tests pass a function that changes files meanwhile).
    let wait: @Sendable (Double) -> Void

    public init(folder: URL, settleSeconds: Double, doneMarkers: Bool,
                wait: @escaping @Sendable (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }) {
        self.folder = folder
        self.settleSeconds = settleSeconds
        self.doneMarkers = doneMarkers
        self.wait = wait
    }

    static let ignoredSuffixes = [".tmp", ".part", ".partial", ".filepart", ".crdownload"]

    /// Whether a name is one Puente takes (before the stability and marker checks).
    public static func isCandidate(_ name: String) -> Bool {
        let lower = name.lowercased()
        guard !name.hasPrefix("."), lower.hasSuffix(".xml") || lower.hasSuffix(".csv") else { return false }
        return !ignoredSuffixes.contains { lower.hasSuffix($0) }
    }

    /// The files ready now, in name order.
    public func readyFiles() throws -> [URL] {
        let first = try look()
        guard !first.isEmpty else { return [] }
        wait(settleSeconds)
        let second = try look()
        return first.filter { second[$0.key] == $0.value }.keys
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .map { folder.appending(path: $0) }
    }

    private struct Look: Equatable {
        let size: Int64
        let modified: timespec
        static func == (a: Look, b: Look) -> Bool {
            a.size == b.size && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
        }
    }

    private func look() throws -> [String: Look] {
        var result: [String: Look] = [:]
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        } catch {
            throw FileError(operation: "list", path: folder.path, message: "\(error)")
        }
        let present = Set(names)
        for name in names where Self.isCandidate(name) {
            if doneMarkers, !present.contains(name + ".done") { continue }
            var info = stat()
            guard stat(folder.appending(path: name).path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            result[name] = Look(size: Int64(info.st_size), modified: info.st_mtim)
        }
        return result
    }
}
