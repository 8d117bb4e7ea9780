import Foundation
import Logging
import PuenteDomain
import PuenteStore

/// What one cycle of the scheduled job did, step by step.
public struct CycleReport: Encodable, Sendable {
    /// A step that could not be done: the rest of the cycle went on, and what earlier steps
    /// did stays done; the next cycle does it again.
    public struct Failure: Codable, Sendable, Equatable {
        /// `history`, `masters`, `import`, `export` or `mail`.
        public var step: String
        public var message: String
        /// The error's code (`io`, `store`, `configuration`…).
        public var code: String

        /// The code as a `PuenteError.Code` (`io` for what is not a Puente error).
        public var errorCode: PuenteError.Code {
            [PuenteError.Code.configuration, .busy, .store, .usage, .invalidInput].first { $0.description == code } ?? .io
        }
    }

    /// The run's number in the store's history (nil when it could not be recorded).
    public var run: Int64?
    public var started = ""
    public var finished = ""
    /// Nil when `masters.source` is not set.
    public var masters: MasterLoadReport?
    public var importReport: ImportReport?
    public var export: ExportReport?
    public var mail: MailReport?
    public var failures: [Failure] = []
    /// Asked to stop (a signal) before every step was done: what was begun was finished.
    public var stopped = false

    /// Something a person should look at: a failed step, a held or rejected order, a rejected
    /// file, a master row that could not be used, mail that did not go.
    public var needsAttention: Bool {
        !failures.isEmpty || masters?.needsAttention == true || importReport?.needsAttention == true
            || mail?.needsAttention == true
    }

    /// The exit status by the contract: the worst failed step's (`78` configuration, `75` the
    /// lock, `74` anything else), else `65` when something needs a person, else `0`.
    public var exitStatus: Int32 {
        let worst = failures.map { failure -> Int32 in
            switch failure.errorCode {
            case .configuration: 78
            case .busy: 75
            default: 74
            }
        }.max()
        return worst ?? (needsAttention ? 65 : 0)
    }

    /// How the run ended, as the history records it.
    public var outcome: String {
        !failures.isEmpty ? "failed" : stopped ? "stopped" : needsAttention ? "attention" : "done"
    }

    private enum CodingKeys: String, CodingKey {
        case run, started, finished, masters, importReport, export, mail, failures, stopped
        case needsAttention, exitStatus, outcome, did
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(run, forKey: .run)
        try container.encode(started, forKey: .started)
        try container.encode(finished, forKey: .finished)
        try container.encodeIfPresent(masters, forKey: .masters)
        try container.encodeIfPresent(importReport, forKey: .importReport)
        try container.encodeIfPresent(export, forKey: .export)
        try container.encodeIfPresent(mail, forKey: .mail)
        try container.encode(failures, forKey: .failures)
        try container.encode(stopped, forKey: .stopped)
        try container.encode(needsAttention, forKey: .needsAttention)
        try container.encode(exitStatus, forKey: .exitStatus)
        try container.encode(outcome, forKey: .outcome)
        try container.encode(did, forKey: .did)
    }

    /// What the cycle did, in one line: `masters: 1 of 5 dumps changed · import: 2 files, 14
    /// orders (3 accepted, 2 held, 8 rejected, 1 duplicate) · export: 9900 delta · mail: 3`.
    public var did: String {
        var parts: [String] = []
        if let masters {
            let changed = masters.files.filter { !$0.sameAsLastLoad }.count
            parts.append(changed == 0 ? "masters unchanged" : "masters: \(changed) of \(masters.files.count) dumps loaded")
        }
        if let imported = importReport, !imported.files.isEmpty || !imported.problems.isEmpty {
            let outcomes = imported.outcomes
            let orders = outcomes.values.reduce(0, +)
            let rejectedFiles = imported.files.filter { $0.outcome == .rejected }.count
            func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
            parts.append("import: \(count(imported.files.count, "file"))" + (rejectedFiles > 0 ? " (\(rejectedFiles) rejected)" : "")
                         + ", \(count(orders, "order")) (\(outcomes[.accepted] ?? 0) accepted, \(outcomes[.held] ?? 0) held, "
                         + "\(outcomes[.rejected] ?? 0) rejected, \(outcomes[.duplicate] ?? 0) duplicate)"
                         + (imported.problems.isEmpty ? "" : ", \(imported.problems.count) left in the Inbox"))
        }
        let packages = export?.sites.filter { $0.package != nil } ?? []
        if !packages.isEmpty {
            parts.append("export: " + packages.map { "\($0.pos) \($0.kind ?? "")" }.joined(separator: ", "))
        }
        if let mail, mail.made + mail.written + mail.handedOver > 0 {
            parts.append("mail: \(mail.made) made, \(mail.written + mail.handedOver) delivered")
        }
        if !failures.isEmpty { parts.append("failed: " + failures.map(\.step).joined(separator: ", ")) }
        if stopped { parts.append("stopped as asked") }
        return parts.isEmpty ? "nothing to do" : parts.joined(separator: " · ")
    }

    /// How many problem lines per file the run history keeps (a dump with a million bad rows,
    /// re-read by every run until it is fixed, must not put a million lines in every run's row).
    static let historyLines = 20

    /// The report as the run history keeps it: every count, but at most `historyLines` of each
    /// file's problem lines (the rest counted: the ack, the log and the reports have them all).
    var forHistory: CycleReport {
        var kept = self
        if let masters {
            kept.masters?.files = masters.files.map { file in
                var file = file
                if file.errors.count > Self.historyLines {
                    let more = file.errors.count - Self.historyLines
                    file.errors = Array(file.errors.prefix(Self.historyLines))
                        + [.init(file: file.file, line: 0, message: "… and \(more) more")]
                }
                return file
            }
        }
        if let imported = importReport {
            kept.importReport?.files = imported.files.map { file in
                var file = file
                if file.attention.count > Self.historyLines {
                    file.attentionNotShown += file.attention.count - Self.historyLines
                    file.attention = Array(file.attention.prefix(Self.historyLines))
                }
                return file
            }
        }
        return kept
    }

    /// Whether the cycle did anything a person would want to read about (a quiet `--watch`
    /// cycle prints nothing).
    public var didSomething: Bool {
        needsAttention || stopped || masters?.files.contains { !$0.sameAsLastLoad } == true || importReport?.files.isEmpty == false
            || export?.sites.contains { $0.package != nil } == true
            || (mail.map { $0.made + $0.written + $0.handedOver } ?? 0) > 0
    }
}

/// One cycle of the scheduled job (`puente run`), under the session's single run lock:
/// masters reloaded from `masters.source` when a dump there changed (by content: a dump with
/// the bytes of the last clean load is not read again), the Inbox imported, what changed
/// exported for every site, pending mail handed over. A step that fails is reported and the
/// next steps still run (an Outbox that cannot be written does not undo the import). The run
/// is recorded in the store's history when it starts and when it ends; asked to stop (the
/// session's `StopRequest`), it ends after the file, package or batch it is in.
public struct JobCycle: Sendable {
    let session: PuenteSession

    init(session: PuenteSession) { self.session = session }

    public func run() -> CycleReport {
        let store = session.store
        let timezone = session.configuration.timezone
        var report = CycleReport()
        func step<T>(_ name: String, _ body: () throws -> T) -> T? {
            guard !session.stop.isRequested else {
                report.stopped = true
                return nil
            }
            do {
                return try body()
            } catch let interrupted as ImportInterrupted {
                report.importReport = interrupted.report
                record(name, interrupted.error)
            } catch {
                record(name, error)
            }
            return nil
        }
        func record(_ name: String, _ error: any Error) {
            let code = (error as? PuenteError)?.code.description ?? "io"
            session.logger.error("run: \(name) failed", metadata: ["code": "\(code)"])
            report.failures.append(.init(step: name, message: "\(error)", code: code))
        }
        let start = session.clock.now
        report.started = Timestamp.string(start, in: timezone)
        do {
            report.run = try store.startRun(started: report.started, startedUnix: Int64(start.timeIntervalSince1970.rounded(.down)),
                                            pid: getpid())
        } catch {
            record("history", error)
        }
        if let source = session.configuration.mastersSource {
            report.masters = step("masters") { try session.masterLoader().load(paths: [source]) }
        }
        if let imported = step("import", { try session.orderImporter().run() }) { report.importReport = imported }
        report.export = step("export") { try session.packageExporter().export() }
        report.mail = step("mail") { try session.mailer().run() }
        report.stopped = report.stopped || report.importReport?.stopped == true || report.export?.stopped == true
            || session.stop.isRequested
        report.finished = Timestamp.string(session.clock.now, in: timezone)
        if let id = report.run {
            do {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                encoder.keyEncodingStrategy = .convertToSnakeCase
                let summary = String(decoding: try encoder.encode(report.forHistory), as: UTF8.self)
                try store.finishRun(id, finished: report.finished, outcome: report.outcome,
                                    exitStatus: report.exitStatus, summary: summary)
            } catch {
                record("history", error)
            }
        }
        session.logger.info("run: \(report.outcome)", metadata: ["run": "\(report.run.map(String.init) ?? "-")",
                                                                  "exit_status": "\(report.exitStatus)"])
        return report
    }
}

extension PuenteSession {
    /// One cycle of the scheduled job, under this session's lock.
    public func jobCycle() -> JobCycle { JobCycle(session: self) }
}
