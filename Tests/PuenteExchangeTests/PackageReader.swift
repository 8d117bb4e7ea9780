import Foundation
import PuenteFormats
import PuenteSecurity
import Testing
import ZIPFoundation

/// An export package opened with ZIPFoundation (a reader independent of Puente's writer),
/// its CSV files parsed into records.
struct PackageReader {
    let url: URL
    /// Entry name → bytes.
    let entries: [String: [UInt8]]

    init(_ url: URL) throws {
        self.url = url
        let archive = try Archive(url: url, accessMode: .read)
        var entries: [String: [UInt8]] = [:]
        for entry in archive {
            var data = Data()
            _ = try archive.extract(entry) { data.append($0) }
            entries[entry.path] = Array(data)
        }
        self.entries = entries
    }

    /// The records of `NAME.csv` as field → value dictionaries.
    func records(_ name: String) throws -> [[String: String]] {
        var reader = CSVReader(utf8: try #require(entries[name + ".csv"]))
        var record = CSVRecord()
        guard try reader.readRecord(into: &record) else { return [] }
        let header = record.fields
        var result: [[String: String]] = []
        while try reader.readRecord(into: &record) {
            result.append(Dictionary(uniqueKeysWithValues: zip(header, record.fields)))
        }
        return result
    }

    /// The manifest's attributes and its `<file>` lines, read with a plain pattern match.
    var manifest: (package: [String: String], files: [[String: String]]) {
        let text = String(decoding: entries["manifest.xml"] ?? [], as: UTF8.self)
        func attributes(_ element: Substring) -> [String: String] {
            var result: [String: String] = [:]
            for match in element.matches(of: /([a-z0-9_]+)="([^"]*)"/) { result[String(match.1)] = String(match.2) }
            return result
        }
        let package = text.firstMatch(of: /<package [^>]*>/).map { attributes($0.0) } ?? [:]
        let files = text.matches(of: /<file [^>]*\/>/).map { attributes($0.0) }
        return (package, files)
    }

    /// Every record of every set as "set key → fields", the way a site would apply it.
    func apply(to state: inout [String: [String: String]]) throws {
        for (set, keys) in PackageReader.keys {
            for record in try records(set) {
                let key = set + ":" + keys.map { record[$0] ?? "" }.joined(separator: "/")
                if record["active"] == "false" { state.removeValue(forKey: key) } else { state[key] = record }
            }
        }
    }

    static let keys: [(String, [String])] = [
        ("clients", ["code"]), ("sellers", ["code"]), ("seller_clients", ["seller", "client"]),
        ("products", ["code"]), ("price_lists", ["code"]), ("prices", ["price_list", "product"]),
        ("order_status", ["number"]),
    ]
}
