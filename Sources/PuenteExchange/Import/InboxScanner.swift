import Foundation
import PuenteDomain
import PuenteFormats

/// An Inbox entry Puente leaves where it is, and why: a person should look at it.
public struct InboxEntryProblem: Codable, Sendable, Equatable, CustomStringConvertible {
    /// The entry's name (bytes that are not UTF-8 shown as `\xF1`).
    public var entry: String
    /// What is wrong and what happened: `is a symbolic link (not followed); left in the Inbox`.
    public var problem: String

    public init(entry: String, problem: String) {
        self.entry = entry
        self.problem = problem
    }

    public var description: String { "\(entry): \(problem)" }
}

/// Finds the Inbox files that are ready to take, by the contract's rules: `*.xml` and `*.csv`
/// (any case); not names starting with `.` or ending `.tmp`, `.part`, `.partial`, `.filepart`,
/// `.crdownload`; with `done_markers`, only when `NAME.done` exists; and only once stable: the
/// same size and modification time across two looks `settle_seconds` apart, both made by this
/// run (never comparing file times with the clock).
///
/// Only regular files that are in the Inbox itself are taken: an entry with such a name that
/// is a symbolic link (never followed), a FIFO, a socket or a folder, or whose name is not
/// UTF-8, is left alone and reported.
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

    /// What a scan found: the files ready now, in name order, and the entries left alone.
    public struct Scan: Sendable {
        public var ready: [URL] = []
        public var problems: [InboxEntryProblem] = []
    }

    static let ignoredSuffixes = [".tmp", ".part", ".partial", ".filepart", ".crdownload"]

    /// Whether a name is one Puente takes (before the stability and marker checks).
    public static func isCandidate(_ name: String) -> Bool {
        let lower = name.lowercased()
        guard !name.hasPrefix("."), lower.hasSuffix(".xml") || lower.hasSuffix(".csv") else { return false }
        return !ignoredSuffixes.contains { lower.hasSuffix($0) }
    }

    /// The files ready now, in name order.
    public func readyFiles() throws -> [URL] { try scan().ready }

    /// Looks twice, `settleSeconds` apart, and says what is ready and what is left alone.
    public func scan() throws -> Scan {
        var result = Scan()
        let first = try look(problems: &result.problems)
        guard !first.isEmpty else { return result }
        wait(settleSeconds)
        var ignored: [InboxEntryProblem] = []
        let second = try look(problems: &ignored)
        result.ready = first.filter { second[$0.key] == $0.value }.keys
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .map { folder.appending(path: $0) }
        return result
    }

    /// An Inbox entry as `puente status` shows it: whether the next run takes it, and if not, why.
    public struct Entry: Codable, Sendable, Equatable {
        public enum State: String, Codable, Sendable {
            /// Stable, and its marker there if markers are on: the next run takes it.
            case ready
            /// Its size or time changed while it was watched: still being written.
            case unstable
            /// `inbox.done_markers` is on and `NAME.done` is not there yet.
            case waitingForMarker = "waiting-for-marker"
            /// A temporary name (`.part`, `.tmp`…): the site has not finished it; never taken as is.
            case temporaryName = "temporary-name"
            /// A link, FIFO, folder…: never taken (a person should look).
            case notRegularFile = "not-regular-file"
            /// Cannot be opened for reading (permissions): a person should look.
            case unreadable
            /// Its name is not UTF-8: a person should rename it.
            case badName = "bad-name"
        }

        public var name: String
        public var state: State
        public var size: Int64?
        /// Why it is not taken, in words (empty when ready).
        public var detail: String

        /// A person must act for it to be taken.
        public var needsAttention: Bool { [.notRegularFile, .unreadable, .badName].contains(state) }
    }

    /// Every Inbox entry an order file might be, and what the next run would do with it:
    /// two looks `gap` seconds apart (at most `settleSeconds`), as a run makes them.
    public func survey(gap: Double) throws -> [Entry] {
        var entries: [String: Entry] = [:]
        var files: [String: Look] = [:]
        for sighting in try sightings() {
            switch sighting {
            case .badName(let shown):
                entries[shown] = Entry(name: shown, state: .badName, detail: "the name is not valid UTF-8: rename it to have it taken")
            case .temporaryName(let name):
                entries[name] = Entry(name: name, state: .temporaryName, detail: "a temporary name: left alone until the site renames it")
            case .notRegular(let name, let kind, _):
                entries[name] = Entry(name: name, state: .notRegularFile, detail: "is \(kind), not a regular file: never taken")
            case .file(let name, let look, let marked):
                // Taken only if it can be read: the run would leave it alone otherwise.
                let descriptor = open(folder.appending(path: name).path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
                guard descriptor >= 0 else {
                    entries[name] = Entry(name: name, state: .unreadable, size: look.size,
                                          detail: "cannot be read: \(String(cString: strerror(errno)))")
                    continue
                }
                close(descriptor)
                if marked {
                    files[name] = look
                } else {
                    entries[name] = Entry(name: name, state: .waitingForMarker, size: look.size,
                                          detail: "waiting for \(name).done (inbox.done_markers is on)")
                }
            }
        }
        if !files.isEmpty {
            wait(min(gap, settleSeconds))
            var ignored: [InboxEntryProblem] = []
            let second = try look(problems: &ignored)
            for (name, first) in files {
                let same = second[name] == first
                entries[name] = Entry(name: name, state: same ? .ready : .unstable, size: second[name]?.size ?? first.size,
                                      detail: same ? "" : "changed while watched: still being written")
            }
        }
        return entries.values.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    private struct Look: Equatable {
        let size: Int64
        let modified: timespec
        static func == (a: Look, b: Look) -> Bool {
            a.size == b.size && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
        }
    }

    private func look(problems: inout [InboxEntryProblem]) throws -> [String: Look] {
        var result: [String: Look] = [:]
        for sighting in try sightings() {
            switch sighting {
            case .badName(let shown):
                // Not UTF-8 (a Latin-1 name from an old share, say): it cannot be named in an ack.
                problems.append(InboxEntryProblem(
                    entry: shown, problem: "the name is not valid UTF-8; left in the Inbox (rename it to take it)"))
            case .notRegular(let name, let kind, let marked) where marked:
                problems.append(InboxEntryProblem(entry: name, problem: "is \(kind), not a regular file; left in the Inbox"))
            case .file(let name, let look, let marked) where marked:
                result[name] = look
            default:
                continue
            }
        }
        return result
    }

    /// What one look at the folder sees of each entry that is, or is on its way to be, an
    /// order file. `marked`: its `NAME.done` is there, or markers are off.
    private enum Sighting {
        case badName(String)
        case temporaryName(String)
        case notRegular(String, kind: String, marked: Bool)
        case file(String, Look, marked: Bool)
    }

    private func sightings() throws -> [Sighting] {
        let names = try Self.entryNames(in: folder)
        let present = Set(names.compactMap(\.text))
        return names.compactMap { name -> Sighting? in
            guard let text = name.text else {
                let shown = name.escaped
                return Self.isCandidate(shown) ? .badName(shown) : nil
            }
            let lower = text.lowercased()
            // `pedidos.xml.part`: an order file on its way in.
            if let suffix = Self.ignoredSuffixes.first(where: { lower.hasSuffix($0) }),
               Self.isCandidate(String(text.dropLast(suffix.count))) {
                return .temporaryName(text)
            }
            guard Self.isCandidate(text) else { return nil }
            let marked = !doneMarkers || present.contains(text + ".done")
            var info = stat()
            guard lstat(folder.appending(path: text).path, &info) == 0 else { return nil }
            guard (info.st_mode & S_IFMT) == S_IFREG else {
                return .notRegular(text, kind: UntrustedFile.kind(of: info.st_mode), marked: marked)
            }
            return .file(text, Look(size: Int64(info.st_size), modified: info.st_mtim), marked: marked)
        }
    }

    /// A directory entry's name as the file system holds it.
    struct EntryName {
        let bytes: [UInt8]
        /// The name, when it is valid UTF-8.
        var text: String? { String(validating: bytes, as: UTF8.self) }
        /// The name with every byte that is not UTF-8 written `\xF1`.
        var escaped: String {
            var result = ""
            var index = 0
            while index < bytes.count {
                var length = 1
                while length <= 4, index + length <= bytes.count {
                    if let scalar = String(validating: bytes[index..<index + length], as: UTF8.self) {
                        result += scalar
                        break
                    }
                    length += 1
                }
                if length > 4 || index + length > bytes.count {
                    result += "\\x" + String(bytes[index], radix: 16, uppercase: true)
                    length = 1
                }
                index += length
            }
            return result
        }
    }

    /// The folder's entries, names as raw bytes (Foundation's listing loses the names that are
    /// not UTF-8). A folder that is missing or cannot be read is an error naming it.
    static func entryNames(in folder: URL) throws -> [EntryName] {
        guard let directory = opendir(folder.path) else {
            let code = errno
            let what = code == ENOENT ? "the Inbox folder does not exist (inbox.path; a share not mounted?)"
                : String(cString: strerror(code))
            throw PuenteError.file(operation: "list the Inbox", path: folder.path, reason: what)
        }
        defer { closedir(directory) }
        var names: [EntryName] = []
        while let entry = readdir(directory) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix(while: { $0 != 0 }))
            }
            if bytes == [0x2E] || bytes == [0x2E, 0x2E] { continue }
            names.append(EntryName(bytes: bytes))
        }
        return names
    }
}
