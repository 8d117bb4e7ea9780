import Foundation
import PuenteDomain
import Logging
import PuenteFormats
import PuenteStore

/// What an export did for one site.
public struct PackageSummary: Codable, Sendable, Equatable {
    public var pos: Int
    /// The package written, relative to the Outbox (`9900/puente-9900-000001-full.zip`); nil
    /// when the site had nothing new.
    public var package: String?
    public var sequence: Int?
    public var kind: String?
    public var base: Int?
    /// Records per set (`clients`, `prices`...).
    public var records: [String: Int] = [:]
    /// A package an interrupted run had recorded but not yet given its name, finished now.
    public var completed: String?
}

/// What `puente export` did.
public struct ExportReport: Codable, Sendable, Equatable {
    public var sites: [PackageSummary] = []
    /// Stopped by a signal before every site was done (the rest is exported next time).
    public var stopped = false
}

/// Points where tests make an export fail, to prove a failure leaves nothing half done.
public enum ExportStep: Sendable {
    /// The package is complete under its temporary name; the store has not recorded it.
    case packageWritten
    /// The store has recorded the package; it does not have its final name yet.
    case recorded
}

/// Writes export packages: for each site, a full package (the first one, or when asked) or a
/// delta with what changed since the site's last package.
///
/// One site's export runs inside one immediate write transaction, which also keeps a second
/// export from interleaving. The zip is written as `.NAME.tmp` beside its final name and
/// flushed; the store records the package; after the commit the file gets its name. A failure
/// before the commit leaves no package and the sequence unused; a crash between the commit and
/// the rename leaves the flushed temporary file, which the next export renames first.
public struct PackageExporter: Sendable {
    let store: BackOfficeStore
    let configuration: Configuration
    let logger: Logger
    let clock: any PuenteClock
    /// Test-only: called at each `ExportStep`; throwing there simulates a crash at that point.
    let faultInjection: (@Sendable (ExportStep) throws -> Void)?
    /// Asked to stop (a signal): the export ends after the package it is writing.
    let stop: StopRequest?

    /// Made by `PuenteSession.packageExporter()`, which holds the run lock (tests make their own).
    init(store: BackOfficeStore, configuration: Configuration, logger: Logger, clock: any PuenteClock = SystemClock(),
         stop: StopRequest? = nil, faultInjection: (@Sendable (ExportStep) throws -> Void)? = nil) {
        self.stop = stop
        self.store = store
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        self.faultInjection = faultInjection
    }

    /// Exports for `site` (every configured site when nil); `full` forces full packages.
    @discardableResult
    public func export(site: Int? = nil, full: Bool = false) throws -> ExportReport {
        let sites = configuration.sites.map(\.pos).filter { site == nil || $0 == site }
        if let site, sites.isEmpty {
            throw PuenteError(.usage, "site \(site) is not configured (configured: "
                + configuration.sites.map { String($0.pos) }.joined(separator: ", ") + ")")
        }
        var report = ExportReport()
        for pos in sites {
            // Asked to stop: after the package being written (the other sites' next time).
            if stop?.isRequested == true {
                report.stopped = true
                logger.notice("export: stopped before site \(pos), as asked")
                break
            }
            report.sites.append(try export(pos: pos, full: full))
        }
        return report
    }

    private func export(pos: Int, full: Bool) throws -> PackageSummary {
        let folder = configuration.outboxPath.appending(path: String(pos))
        try AtomicFile.makeFolder(folder, under: configuration.outboxPath)
        let staging = folder.appending(path: ".puente-staging")
        var summary = PackageSummary(pos: pos)
        var toPublish: (temporary: URL, final: URL)?
        try store.writeTransaction { transaction in
            let last = try BackOfficeStore.lastPackage(pos: pos, in: transaction)
            if let last { summary.completed = try finishInterrupted(last, in: folder) }
            try removeLeftovers(in: folder, keeping: last)

            let covered = try BackOfficeStore.currentChangeSequence(in: transaction)
            let base = full ? nil : last
            if let base, base.changeSequence == covered { return ((), .rollback) }

            let sequence = (last?.sequence ?? 0) + 1
            let kind = base == nil ? "full" : "delta"
            let fileName = "puente-\(pos)-\(Self.sixDigits(sequence))-\(kind).zip"
            let moment = clock.now
            let package = PackageRecord(
                pos: pos, sequence: sequence, kind: kind, base: base?.sequence,
                created: Timestamp.string(moment, in: configuration.timezone), fileName: fileName,
                changeSequence: covered)

            try? FileManager.default.removeItem(at: staging)
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: staging) }

            try BackOfficeStore.prepareExport(in: transaction)
            let lists = try BackOfficeStore.currentPriceLists(in: transaction)
            let selections = try priceSelections(pos: pos, now: lists, since: base?.changeSequence, in: transaction)
            var staged: [PackageEntryResult] = []
            for file in PackageFile.all {
                let writer = try RecordFileWriter(file: file, folder: staging)
                try BackOfficeStore.exportRows(file.recordSet, pos: pos, since: base?.changeSequence,
                                               priceLists: selections, in: transaction) { row in
                    try writer.write(row)
                }
                summary.records[file.name] = writer.records
                staged += try writer.finish()
                logger.debug("export: \(file.name) written at \(elapsed(since: moment))")
            }
            if base != nil, summary.records.values.allSatisfy({ $0 == 0 }) {
                summary.records = [:]
                return ((), .rollback)
            }

            let final = folder.appending(path: fileName)
            let temporary = AtomicFile.temporaryURL(for: final)
            let manifest = try writeManifest(package, files: staged, in: staging)
            try writeZip(at: temporary, entries: [manifest] + staged, modified: moment)
            logger.debug("export: package assembled at \(elapsed(since: moment))")
            try faultInjection?(.packageWritten)

            if base == nil { try BackOfficeStore.forgetSiteRecords(pos: pos, in: transaction) }
            _ = try BackOfficeStore.recordPackage(
                package, publishedUnix: Int64(moment.timeIntervalSince1970), priceLists: lists, in: transaction)
            summary.package = "\(pos)/\(fileName)"
            summary.sequence = sequence
            summary.kind = kind
            summary.base = base?.sequence
            toPublish = (temporary, final)
            logger.debug("export: package recorded at \(elapsed(since: moment))")
            return ((), .commit)
        }
        if let toPublish {
            try faultInjection?(.recorded)
            try AtomicFile.publish(toPublish.temporary, as: toPublish.final)
            logger.info("export: wrote \(summary.package ?? "")")
        }
        return summary
    }

    /// Which prices each list contributes: all of a list the site lacks, the changes of a list
    /// it keeps, and a withdrawal of every price of a list it no longer needs.
    private func priceSelections(pos: Int, now: [String], since: Int64?, in transaction: StoreTransaction) throws -> [PriceSelection] {
        guard let since else { return now.map { .all($0) } }
        let before = Set(try BackOfficeStore.sitePriceLists(pos: pos, in: transaction))
        let current = Set(now)
        return before.union(current).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { list in
            switch (before.contains(list), current.contains(list)) {
            case (true, true): .changed(list, since: since)
            case (false, _): .all(list)
            case (true, false): .withdrawn(list, since: since)
            }
        }
    }

    /// A package the store recorded whose rename a crash prevented gets its name now (or, cut
    /// halfway, loses its temporary name).
    private func finishInterrupted(_ last: PackageRecord, in folder: URL) throws -> String? {
        let final = folder.appending(path: last.fileName)
        guard try AtomicFile.finishPublishing(AtomicFile.temporaryURL(for: final), as: final) else { return nil }
        logger.warning("export: \(last.fileName) was recorded by an interrupted run; it now has its name")
        return "\(last.pos)/\(last.fileName)"
    }

    /// Temporary packages of runs that failed before recording them.
    private func removeLeftovers(in folder: URL, keeping last: PackageRecord?) throws {
        let keep = last.map { AtomicFile.temporaryURL(for: folder.appending(path: $0.fileName)).lastPathComponent }
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path)
        where name.hasPrefix(".puente-") && name.hasSuffix(".zip.tmp") && name != keep {
            try FileManager.default.removeItem(at: folder.appending(path: name))
        }
    }

    private func writeManifest(_ package: PackageRecord, files: [PackageEntryResult], in folder: URL) throws -> PackageEntryResult {
        let entry = try PackageEntry(name: "manifest.xml", spoolFolder: folder)
        let xml = try XMLStreamWriter { entry.write($0) }
        try xml.startDocument()
        try xml.startElement("package")
        try xml.attribute("version", "1")
        try xml.attribute("pos", String(package.pos))
        try xml.attribute("sequence", String(package.sequence))
        try xml.attribute("kind", package.kind)
        try xml.attribute("base", package.base.map(String.init) ?? "")
        try xml.attribute("created", package.created)
        for file in files {
            try xml.raw("\n")
            try xml.startElement("file")
            try xml.attribute("name", file.name)
            try xml.attribute("records", String(file.records))
            try xml.attribute("sha256", file.sha256)
            try xml.endElement()
        }
        try xml.raw("\n")
        try xml.endElement()
        try xml.endDocument()
        return try entry.finish(records: files.count)
    }

    private func elapsed(since start: Date) -> String {
        "\(Int(clock.now.timeIntervalSince(start) * 1000)) ms"
    }

    private static func sixDigits(_ number: Int) -> String { number.zeroPadded(6) }

    /// Assembles the archive from the deflated spools and flushes it to disk.
    private func writeZip(at url: URL, entries: [PackageEntryResult], modified: Date) throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = configuration.timezone
        var layout = ZipArchiveLayout(modified: calendar.dateComponents(
            [.year, .month, .day, .hour, .minute, .second], from: modified))
        let output = try HashingFileOutput(creating: url, hashing: false)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        for entry in entries {
            try layout.localHeader(for: entry.zip).withUnsafeBytes { try output.write($0) }
            let spool = open(entry.spool.path, O_RDONLY | O_CLOEXEC)
            guard spool >= 0 else { throw PuenteError.system("read", entry.spool.path) }
            defer { close(spool) }
            while true {
                let count = buffer.withUnsafeMutableBytes { read(spool, $0.baseAddress, $0.count) }
                if count < 0 { throw PuenteError.system("read", entry.spool.path) }
                if count == 0 { break }
                try buffer.withUnsafeBytes { try output.write(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            }
        }
        try layout.centralDirectory().withUnsafeBytes { try output.write($0) }
        _ = try output.close(synchronize: true)
    }
}
