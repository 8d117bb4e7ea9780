import Foundation
import Logging
import PuenteDomain

/// What one cycle of the scheduled job did, step by step.
public struct CycleReport: Codable, Sendable {
    /// A step that could not be done: the rest of the cycle went on, and what earlier steps
    /// did stays done; the next cycle does it again.
    public struct Failure: Codable, Sendable, Equatable {
        /// `masters`, `import`, `export` or `mail`.
        public var step: String
        public var message: String
        /// The error's code (`io`, `store`, `configuration`…).
        public var code: String
    }

    /// Nil when `masters.source` is not set.
    public var masters: MasterLoadReport?
    public var importReport: ImportReport?
    public var export: ExportReport?
    public var mail: MailReport?
    public var failures: [Failure] = []

    /// Something a person should look at: a failed step, a held or rejected order, a rejected
    /// file, a master row that could not be used, mail that did not go.
    public var needsAttention: Bool {
        !failures.isEmpty || masters?.needsAttention == true || importReport?.needsAttention == true
            || mail?.needsAttention == true
    }
}

/// One cycle of the scheduled job (`puente run`), under the session's single run lock:
/// masters reloaded from `masters.source` when a dump there changed (by content: a dump with
/// the bytes of the last clean load is not read again), the Inbox imported, what changed
/// exported for every site, pending mail handed over. A step that fails is reported and the
/// next steps still run (an Outbox that cannot be written does not undo the import).
public struct JobCycle: Sendable {
    let session: PuenteSession

    init(session: PuenteSession) { self.session = session }

    public func run() -> CycleReport {
        var report = CycleReport()
        func step<T>(_ name: String, _ body: () throws -> T) -> T? {
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
        if let source = session.configuration.mastersSource {
            report.masters = step("masters") { try session.masterLoader().load(paths: [source]) }
        }
        if let imported = step("import", { try session.orderImporter().run() }) { report.importReport = imported }
        report.export = step("export") { try session.packageExporter().export() }
        report.mail = step("mail") { try session.mailer().run() }
        return report
    }
}

extension PuenteSession {
    /// One cycle of the scheduled job, under this session's lock.
    public func jobCycle() -> JobCycle { JobCycle(session: self) }
}
