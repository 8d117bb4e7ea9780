import Foundation

/// `url` relative to `folder` when it lies inside it (`processed/2026-11-29/a.xml`), else its
/// whole path: how summaries name files for a person.
public func relativePath(_ url: URL, to folder: URL) -> String {
    let path = url.standardizedFileURL.path
    let base = folder.standardizedFileURL.path
    return path.hasPrefix(base + "/") ? String(path.dropFirst(base.count + 1)) : path
}
