import Foundation

/// A fresh folder under the system's temporary directory, removed with `remove()`.
public struct TemporaryFolder: Sendable {
    public let url: URL

    public init(_ label: String = "puente-test") throws {
        url = FileManager.default.temporaryDirectory
            .appending(path: "\(label)-\(UUID().uuidString)", directoryHint: .isDirectory)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public var path: String { url.path }

    /// Writes `text` (UTF-8) to `name` inside the folder, creating subfolders; returns its URL.
    @discardableResult
    public func write(_ name: String, _ text: String) throws -> URL {
        try write(name, bytes: Array(text.utf8))
    }

    /// Writes raw bytes to `name` inside the folder, creating subfolders; returns its URL.
    @discardableResult
    public func write(_ name: String, bytes: [UInt8]) throws -> URL {
        let file = url.appending(path: name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
        return file
    }

    public func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
