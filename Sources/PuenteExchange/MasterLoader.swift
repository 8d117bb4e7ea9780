import Foundation
import Logging
import PuenteDomain
import PuenteFormats
import PuenteSecurity
import PuenteStore

/// What loading one dump did.
public struct MasterFileReport: Codable, Sendable, Equatable {
    public struct Issue: Codable, Sendable, Equatable, CustomStringConvertible {
        public let file: String
        /// 1-based line; the header is line 1.
        public let line: Int
        public let message: String

        public var description: String { "\(file) line \(line): \(message)" }
    }

    public let file: String
    public let master: MasterKind
    public var encoding: String = ""
    public var added = 0
    public var changed = 0
    public var deactivated = 0
    public var unchanged = 0
    /// Status changes applied (order_status.csv only).
    public var applied = 0
    /// The same bytes as the dump last loaded (which left no row unusable): nothing was read
    /// or written, every record is as that load left it (`unchanged` counts them).
    public var sameAsLastLoad = false
    /// Rows that could not be used, and a problem that stopped the whole file (line 0 never).
    public var errors: [Issue] = []
    /// True when the file could not be read at all and nothing of it was loaded.
    public var fileRejected = false
}

/// What a `puente masters load` did, file by file.
public struct MasterLoadReport: Codable, Sendable, Equatable {
    public var files: [MasterFileReport] = []

    /// True when a row or file could not be used: the run exits 65.
    public var needsAttention: Bool { files.contains { !$0.errors.isEmpty } }

    public init() {}

    private enum CodingKeys: String, CodingKey {
        case files
        case needsAttention
    }

    public init(from decoder: any Decoder) throws {
        files = try decoder.container(keyedBy: CodingKeys.self).decode([MasterFileReport].self, forKey: .files)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(files, forKey: .files)
        try container.encode(needsAttention, forKey: .needsAttention)
    }
}

/// A load that cannot start: the paths are wrong, not the data (`usage`), or a folder cannot
/// be listed (`io`).
enum MasterLoadError {
    static func notFound(_ path: String) -> PuenteError {
        PuenteError(.usage, "\(path): no such file or folder", path: path)
    }

    static func notAMasterDump(_ path: String) -> PuenteError {
        PuenteError(.usage, "\(path): not a master dump (expected one of \(MasterKind.allCases.map(\.fileName).joined(separator: ", ")))",
                    path: path)
    }

    static func noDumpsInFolder(_ path: String) -> PuenteError {
        PuenteError(.usage, "\(path): the folder holds none of \(MasterKind.allCases.map(\.fileName).joined(separator: ", "))",
                    path: path)
    }

    static func unreadable(_ path: String, _ error: any Error) -> PuenteError {
        PuenteError(.io, "\(path): cannot be read (\(error.localizedDescription))", path: path,
                    cause: error)
    }
}

/// Loads back-office dumps into the store: each file a full replacement of its master.
public struct MasterLoader: Sendable {
    let store: BackOfficeStore
    let hasher: PasswordHasher
    let fingerprint: PasswordFingerprint
    let timezone: TimeZone
    let logger: Logger
    let clock: any PuenteClock

    /// Made by `PuenteSession.masterLoader()`, which holds the run lock.
    init(store: BackOfficeStore, hasher: PasswordHasher, fingerprint: PasswordFingerprint,
         timezone: TimeZone, logger: Logger, clock: any PuenteClock = SystemClock()) {
        self.store = store
        self.hasher = hasher
        self.fingerprint = fingerprint
        self.timezone = timezone
        self.logger = logger
        self.clock = clock
    }

    /// Loads the dumps named by `paths` (files, or folders of them) in dependency order.
    ///
    /// A dump with no data rows, or one that would deactivate more than half of its master's
    /// active records, is refused (reported, nothing of it loaded) unless
    /// `allowMassDeactivation`: it is almost always a truncated or wrong file.
    public func load(paths: [URL], allowMassDeactivation: Bool = false) throws -> MasterLoadReport {
        var files: [(kind: MasterKind, url: URL)] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory) else {
                throw MasterLoadError.notFound(path.path)
            }
            if isDirectory.boolValue {
                let names: [String]
                do {
                    names = try FileManager.default.contentsOfDirectory(atPath: path.path)
                } catch {
                    throw MasterLoadError.unreadable(path.path, error)
                }
                let found = names.compactMap { name in MasterKind(fileName: name).map { ($0, path.appending(path: name)) } }
                guard !found.isEmpty else { throw MasterLoadError.noDumpsInFolder(path.path) }
                files += found
            } else {
                guard let kind = MasterKind(fileName: path.lastPathComponent) else {
                    throw MasterLoadError.notAMasterDump(path.path)
                }
                files.append((kind, path))
            }
        }
        let order = Dictionary(uniqueKeysWithValues: Self.loadOrder.enumerated().map { ($1, $0) })
        files.sort { (order[$0.kind]!, $0.url.path) < (order[$1.kind]!, $1.url.path) }

        // A dump with web passwords, the only one of its master in the load, is read and its
        // changed passwords hashed on a thread of its own from the start, while the dumps
        // before it load (the clients' bcrypt work beside the million prices: measured in
        // Benchmarks/README.md). Two of one master are prepared each in its turn: the second
        // is compared with what the first left.
        let counts = Dictionary(files.map { ($0.kind, 1) }, uniquingKeysWith: +)
        let ahead = Dictionary(files.filter { $0.kind.hasPasswords && counts[$0.kind] == 1 }.map { file in
            (file.url, WorkAhead { try self.prepare(file.url, kind: file.kind) })
        }, uniquingKeysWith: { first, _ in first })
        // A load that fails returns once the work ahead is done: no thread is left reading.
        defer { for prepared in ahead.values { _ = try? prepared.get() } }

        // 8 MiB of page cache: the load reads and writes each table in key order, and took
        // the same time with 16 MiB, 8 MB more resident (measured; Benchmarks/README.md).
        try store.setWriterPageCache(kibibytes: 8192)
        defer { try? store.setWriterPageCache(kibibytes: BackOfficeStore.pageCacheSize) }
        var report = MasterLoadReport()
        for (kind, url) in files {
            let started = ContinuousClock.now
            let prepared = try ahead[url]?.get() ?? prepare(url, kind: kind)
            let fileReport = try apply(prepared, allowMassDeactivation: allowMassDeactivation)
            logger.info("loaded master dump", metadata: [
                "file": "\(url.lastPathComponent)", "added": "\(fileReport.added)", "changed": "\(fileReport.changed)",
                "deactivated": "\(fileReport.deactivated)", "unchanged": "\(fileReport.unchanged)",
                "errors": "\(fileReport.errors.count)", "duration": "\(ContinuousClock.now - started)",
            ])
            report.files.append(fileReport)
            store.releaseMemory()
        }
        // What the next import reads of the masters, as one value (the changes above deleted
        // the old one; an unchanged load keeps it).
        let started = ContinuousClock.now
        if try store.refreshImportSnapshot() {
            logger.debug("masters: the import snapshot written in \(ContinuousClock.now - started)")
        }
        return report
    }

    /// The order dumps load in: each after the ones it names (a client names a price list and
    /// a seller, a price a list and a product); the prices before the clients, whose
    /// passwords are hashed meanwhile.
    static let loadOrder: [MasterKind] = [.priceLists, .products, .sellers, .prices, .clients, .orderStatus]

    /// A dump opened (for one with passwords: read through once, its new and changed
    /// passwords hashed); or what its load already came to (unreadable, or the same as the
    /// last load).
    enum Prepared: @unchecked Sendable {
        // @unchecked: made on one thread, then handed whole to the loading one.
        case done(MasterFileReport)
        case ready(PreparedDump)
    }

    struct PreparedDump {
        var report: MasterFileReport
        /// The dump, open; nil once its passwords were hashed (it is read again when applied,
        /// and holds no buffers meanwhile).
        var dump: MasterDump?
        var url: URL
        var sha256: String
        var kind: MasterKind
        var table: MasterTable?
        /// What the store records as the dump's content (for passwords, under the key).
        var contentID: String
        /// A dump with passwords: the new and changed ones, hashed, by line.
        var hashed: [Int: String]?
    }

    /// Opens `url` and decides whether there is anything to load; reads and hashes a dump
    /// with passwords. Store failures are thrown.
    func prepare(_ url: URL, kind: MasterKind) throws -> Prepared {
        let name = url.lastPathComponent
        var report = MasterFileReport(file: name, master: kind)
        var dump: MasterDump
        do {
            dump = try MasterDump(url: url, kind: kind)
        } catch {
            report.fileRejected = true
            report.errors = [.init(file: name, line: error.line, message: error.message)]
            return .done(report)
        }
        report.encoding = dump.encoding.rawValue
        // Passwords are fingerprinted with the store's key: the same dump under another key is
        // another load.
        let contentID = kind.hasPasswords ? "\(dump.sha256)/\(fingerprint.keyIdentity)" : dump.sha256
        if let table = kind.table, let last = try store.lastDump(of: table.name), last.clean,
           last.content == contentID, last.size == dump.size {
            report.sameAsLastLoad = true
            report.unchanged = last.records
            return .done(report)
        }
        var prepared = PreparedDump(report: report, dump: dump, url: url, sha256: dump.sha256, kind: kind, table: kind.table,
                                    contentID: contentID)
        if kind.hasPasswords, let table = kind.table {
            // The slow part, hashing, ahead; the rows are read again when applied (a read of
            // 20,000 clients held in memory would cost more than reading them twice).
            do {
                prepared.hashed = try hashChangedPasswords(&dump, table: table)
                prepared.dump = nil
            } catch let error as CSVFileError {
                return .done(Self.rejected(report, error))
            }
        }
        return .ready(prepared)
    }

    /// A dump that could not be read to its end: nothing of it loaded.
    private static func rejected(_ report: MasterFileReport, _ error: CSVFileError) -> MasterFileReport {
        var report = report
        report.fileRejected = true
        report.errors = [.init(file: report.file, line: error.line, message: error.message + "; nothing of this file was loaded")]
        return report
    }

    /// Loads a prepared dump into the store.
    func apply(_ preparedDump: Prepared, allowMassDeactivation: Bool) throws -> MasterFileReport {
        let prepared: PreparedDump
        switch preparedDump {
        case .done(let report): return report
        case .ready(let dump): prepared = dump
        }
        var report = prepared.report
        let name = report.file
        let kind = prepared.kind
        var issues: [MasterFileReport.Issue] = []
        do {
            // Read again from the start when its passwords were hashed ahead: the same bytes
            // as hashed, or nothing of it loaded.
            var dump = try prepared.dump ?? MasterDump(url: prepared.url, kind: kind)
            guard dump.sha256 == prepared.sha256 else {
                throw CSVFileError(.unreadable, line: 1, "the file changed while it was loaded")
            }
            if let table = prepared.table {
                let result: MasterReplacementResult
                if let hashed = prepared.hashed {
                    var refused: [RefusedRow] = []
                    let rows = try readPasswordRows(&dump, kind: kind, table: table, hashed: hashed, refused: &refused)
                    result = try store.replaceMaster(table, allowMassDeactivation: allowMassDeactivation) { staging in
                        for row in refused { staging.refuse(line: row.line, key: row.key, message: row.message) }
                        for row in rows { try staging.stage(line: row.line, values: row.values) }
                    }
                } else {
                    // Many rows (a million prices): parsed and staged as they are read.
                    result = try store.replaceMaster(table, allowMassDeactivation: allowMassDeactivation) { staging in
                        var record = CSVRecord()
                        while try dump.next(into: &record) {
                            switch parse(record, kind: kind, dump: dump) {
                            case .success(let values): try staging.stage(line: record.line, values: values)
                            case .failure(let message):
                                // The record keeps what it had: a bad row never deactivates it.
                                let key = table.keyColumns.map { dump.value($0, in: record) }
                                staging.refuse(line: record.line, key: key, message: message)
                            }
                        }
                    }
                }
                report.added = result.added
                report.changed = result.changed
                report.deactivated = result.deactivated
                report.unchanged = result.unchanged
                issues += result.rowErrors.map { .init(file: name, line: $0.line, message: $0.message) }
                try store.recordDump(LoadedDump(content: prepared.contentID, size: dump.size,
                                                encoding: dump.encoding.rawValue,
                                                records: result.added + result.changed + result.unchanged,
                                                clean: issues.isEmpty),
                                     of: table.name, at: Timestamp.string(clock.now, in: timezone))
            } else {
                report.applied = try applyStatusChanges(&dump, file: name, issues: &issues)
            }
        } catch let error as CSVFileError {
            // Thrown inside the replacement's transaction, before any count was taken.
            return Self.rejected(report, error)
        } catch let refusal as MassDeactivationRefused {
            report.fileRejected = true
            report.deactivated = refusal.wouldDeactivate
            let records = "\(refusal.active) active \(kind.rawValue.replacingOccurrences(of: "_", with: " "))"
            let what = refusal.noDataRows
                ? "the file has no usable data rows: it would deactivate all \(records)"
                : "it would deactivate \(refusal.wouldDeactivate) of the \(records), more than half"
            report.errors = [.init(file: name, line: 1, message: "refused: \(what); nothing of this file was loaded "
                + "(a truncated or wrong dump?). If the back office really dropped them, load it again with "
                + "--allow-mass-deactivation")]
            logger.error("master dump refused", metadata: [
                "file": "\(name)", "would_deactivate": "\(refusal.wouldDeactivate)", "active": "\(refusal.active)",
            ])
            return report
        }
        report.errors = issues.sorted { $0.line < $1.line }
        return report
    }

    // MARK: - Rows

    private enum RowResult {
        case success([MasterValue])
        case failure(String)
    }

    private func parse(_ record: CSVRecord, kind: MasterKind, dump: MasterDump) -> RowResult {
        func text(_ column: String) -> String { dump.value(column, in: record) }
        switch kind {
        case .priceLists:
            let code = text("code")
            guard !code.isEmpty else { return .failure("code is empty") }
            let currency = text("currency").isEmpty ? "ARS" : text("currency").uppercased()
            return .success([.text(code), .text(text("name")), .text(currency), .integer(1)])
        case .products:
            let code = text("code")
            guard !code.isEmpty else { return .failure("code is empty") }
            let rateText = text("tax_rate")
            guard let rate = Percentage(rateText, decimalSeparator: dump.decimalSeparator), rate >= Percentage(units: 0) else {
                return .failure("tax_rate \"\(rateText)\" is not a percentage (like \(dump.decimalSeparator == "," ? "10,5" : "10.5"))")
            }
            guard let active = ActiveFlag.parse(text("active")) else { return .failure(ActiveFlag.message(text("active"))) }
            return .success([.text(code), .text(text("description")), .text(text("unit")), .integer(rate.units), .integer(active ? 1 : 0)])
        case .prices:
            let list = text("price_list")
            let product = text("product")
            guard !list.isEmpty else { return .failure("price_list is empty") }
            guard !product.isEmpty else { return .failure("product is empty") }
            let priceText = text("price")
            guard let price = Money(priceText, decimalSeparator: dump.decimalSeparator) else {
                return .failure("price \"\(priceText)\" is not an amount (like \(dump.decimalSeparator == "," ? "1234,50" : "1234.50"), at most 4 decimals)")
            }
            guard price >= .zero else { return .failure("price \"\(priceText)\" is negative") }
            return .success([.text(list), .text(product), .integer(price.units), .integer(1)])
        case .clients, .sellers, .orderStatus:
            preconditionFailure("\(kind) rows are read elsewhere")
        }
    }

    struct StagedRow {
        let line: Int
        var values: [MasterValue]
    }

    /// A row that cannot be used, with its record's key (its record keeps what it had).
    struct RefusedRow {
        let line: Int
        let key: [String]
        let message: String
    }

    /// The passwords in a dump of clients or sellers that are new or changed (their HMAC
    /// fingerprint is not the stored one), hashed in parallel: by line.
    private func hashChangedPasswords(_ dump: inout MasterDump, table: MasterTable) throws -> [Int: String] {
        let known = try store.passwordFingerprints(in: table)
        var toHash: [(line: Int, password: String)] = []
        var record = CSVRecord()
        while try dump.next(into: &record) {
            let code = dump.value("code", in: record)
            let password = dump.rawValue("web_password", in: record)
            guard !code.isEmpty, !password.isEmpty,
                  known[code]?.fingerprint != fingerprint.fingerprint(code: code, password: password) else { continue }
            toHash.append((record.line, password))
        }
        guard !toHash.isEmpty else { return [:] }
        let started = ContinuousClock.now
        let hashes = try hasher.hashAll(toHash.map(\.password))
        logger.info("hashed web passwords", metadata: [
            "file": "\(dump.url.lastPathComponent)", "count": "\(hashes.count)", "duration": "\(ContinuousClock.now - started)",
        ])
        return Dictionary(uniqueKeysWithValues: zip(toHash.map(\.line), hashes))
    }

    /// Reads clients or sellers, with the hashes of the new and changed passwords by line
    /// (`hashChangedPasswords`, over the same bytes and the same stored fingerprints: none is
    /// missing there; one that were would be hashed here rather than lost).
    private func readPasswordRows(
        _ dump: inout MasterDump, kind: MasterKind, table: MasterTable, hashed: [Int: String], refused: inout [RefusedRow]
    ) throws -> [StagedRow] {
        let name = dump.url.lastPathComponent
        let known = try store.passwordFingerprints(in: table)
        var rows: [StagedRow] = []
        var toHash: [(row: Int, password: String)] = []
        var record = CSVRecord()
        while try dump.next(into: &record) {
            func text(_ column: String) -> String { dump.value(column, in: record) }
            let code = text("code")
            guard !code.isEmpty else {
                refused.append(RefusedRow(line: record.line, key: [code], message: "code is empty"))
                continue
            }
            guard let active = ActiveFlag.parse(text("active")) else {
                refused.append(RefusedRow(line: record.line, key: [code], message: ActiveFlag.message(text("active"))))
                continue
            }
            let priceList = kind == .clients ? text("price_list") : ""
            if kind == .clients, priceList.isEmpty {
                refused.append(RefusedRow(line: record.line, key: [code], message: "price_list is empty"))
                continue
            }
            let password = dump.rawValue("web_password", in: record)
            let print = fingerprint.fingerprint(code: code, password: password)
            // An unchanged password keeps its hash; a new or changed one was hashed ahead.
            var hash = ""
            if !password.isEmpty {
                if let stored = known[code], stored.fingerprint == print {
                    hash = stored.hash
                } else if let ahead = hashed[record.line] {
                    hash = ahead
                } else {
                    toHash.append((rows.count, password))
                }
            }
            let values: [MasterValue] = kind == .clients
                ? [.text(code), .text(text("name")), .text(text("tax_id")), .text(text("email")),
                   .text(priceList), .text(text("seller")), .text(hash), .text(print), .integer(active ? 1 : 0)]
                : [.text(code), .text(text("name")), .text(text("email")), .text(hash), .text(print), .integer(active ? 1 : 0)]
            rows.append(StagedRow(line: record.line, values: values))
        }
        if !toHash.isEmpty {
            let started = ContinuousClock.now
            let hashes = try hasher.hashAll(toHash.map(\.password))
            let hashSlot = table.stagedColumns.firstIndex(of: "password_hash")!
            for (entry, hash) in zip(toHash, hashes) { rows[entry.row].values[hashSlot] = .text(hash) }
            logger.info("hashed web passwords", metadata: [
                "file": "\(name)", "count": "\(hashes.count)", "duration": "\(ContinuousClock.now - started)",
            ])
        }
        return rows
    }

    /// Applies order_status.csv: each row a status change under the lifecycle's rules.
    private func applyStatusChanges(_ dump: inout MasterDump, file: String, issues: inout [MasterFileReport.Issue]) throws -> Int {
        var changes: [(line: Int, number: OrderNumber, status: OrderStatus)] = []
        var record = CSVRecord()
        while try dump.next(into: &record) {
            let numberText = dump.value("number", in: record)
            let statusText = dump.value("status", in: record)
            guard let number = OrderNumber(numberText) else {
                issues.append(.init(file: file, line: record.line, message: "number \"\(numberText)\" is not an order number like 9900-00000001"))
                continue
            }
            guard let status = OrderStatus(rawValue: statusText.lowercased()) else {
                let known = OrderStatus.allCases.map(\.rawValue).joined(separator: ", ")
                issues.append(.init(file: file, line: record.line, message: "status \"\(statusText)\" is not one of \(known)"))
                continue
            }
            changes.append((record.line, number, status))
        }
        let moment = Timestamp.string(clock.now, in: timezone)
        var applied = 0
        try store.writeTransaction { transaction in
            for change in changes {
                switch try BackOfficeStore.changeStatus(of: change.number, to: change.status, at: moment,
                                                        source: file, note: "", in: transaction) {
                case .success: applied += 1
                case .failure(let refusal): issues.append(.init(file: file, line: change.line, message: refusal.description))
                }
            }
            return ((), .commit)
        }
        return applied
    }
}

/// The spellings of `active` in back-office dumps.
enum ActiveFlag {
    /// `1/0`, `true/false`, `S/N`, `si/no` (any case, `sí` too); empty means active.
    static func parse(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "", "1", "true", "s", "si", "sí", "y", "yes": true
        case "0", "false", "n", "no": false
        default: nil
        }
    }

    static func message(_ text: String) -> String {
        "active \"\(text)\" is not one of 1/0, true/false, S/N, si/no"
    }
}
