import Foundation
import Logging
import PuenteDomain
import PuenteStore

/// What `puente demo` did.
public struct DemoOutcome: Codable, Sendable {
    /// The cycle's number in the run history.
    public var run: Int64?
    public var masters: MasterLoadReport
    public var webClients: Int
    public var webSellers: Int
    public var importReport: ImportReport
    public var export: ExportReport
    /// The admin's page of the demo's held and rejected orders (`Outbox/reports/…`).
    public var adminPage: String
    /// The confirmations of the accepted orders (`Outbox/mail/`).
    public var mail: MailReport
}

/// The demo: a fresh store, then one cycle of the scheduled job (`JobCycle`) on the samples.
public struct DemoRun {
    let configuration: Configuration
    let logger: Logger

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs the demo on `samples` (the repository's `Samples/`: `masters/` and `orders/`).
    public func run(samples: URL) throws -> DemoOutcome {
        // A fresh store: the old one, its WAL files and its fingerprint key go, under the
        // old store's lock (never under a run that is using it).
        let oldLock = try RunLock.take(database: configuration.database, create: false)
        defer { oldLock?.release() }
        for suffix in ["", "-wal", "-shm", ".key", ".lock"] {
            let url = URL(filePath: configuration.database.path + suffix)
            if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
        }
        // What the previous demo left in the Inbox and Outbox belongs to the store just removed.
        var leftovers = configuration.sites.map { configuration.outboxPath.appending(path: String($0.pos)) }
        leftovers += [configuration.outboxPath.appending(path: "acks"),
                      configuration.inbox.path.appending(path: "processed"), configuration.inbox.path.appending(path: "rejected"),
                      configuration.outboxPath.appending(path: "mail")]
        leftovers.append(configuration.outboxPath.appending(path: "reports"))
        for folder in leftovers where FileManager.default.fileExists(atPath: folder.path) {
            try FileManager.default.removeItem(at: folder)
        }
        oldLock?.release()
        // One cycle of the scheduled job on the samples: the dumps as `masters.source`; the
        // order files are copied in whole before it starts, so there is nothing to wait for.
        var demo = configuration
        demo.mastersSource = samples.appending(path: "masters")
        demo.inbox.settleSeconds = 0
        demo.inbox.doneMarkers = false
        let session = try PuenteSession(configuration: demo, logger: logger)
        // The site drops its order files into the Inbox.
        try FileManager.default.createDirectory(at: configuration.inbox.path, withIntermediateDirectories: true)
        let orders = samples.appending(path: "orders")
        for name in try FileManager.default.contentsOfDirectory(atPath: orders.path).sorted()
        where InboxScanner.isCandidate(name) {
            let target = configuration.inbox.path.appending(path: name)
            try? FileManager.default.removeItem(at: target)
            try FileManager.default.copyItem(at: orders.appending(path: name), to: target)
        }
        let cycle = session.jobCycle().run()
        if let failure = cycle.failures.first {
            throw PuenteError(failure.errorCode, "the demo's \(failure.step) step could not be done: \(failure.message)")
        }
        guard let masters = cycle.masters, let importReport = cycle.importReport, let export = cycle.export,
              let mail = cycle.mail else {
            throw PuenteError(.io, "the demo's cycle was stopped before its end")
        }
        let (clients, sellers) = try session.store.webAccessCounts()
        // The admin's day, as a page to open in a browser.
        let reports = configuration.outboxPath.appending(path: "reports")
        try AtomicFile.makeFolder(reports, under: configuration.outboxPath)
        let page = reports.appending(path: "pedidos-a-revisar.html")
        let output = try ReportOutput(file: page)
        try session.reports().rejects(format: .html, into: output)
        try output.finish()
        return DemoOutcome(run: cycle.run, masters: masters, webClients: clients, webSellers: sellers, importReport: importReport,
                           export: export, adminPage: page.path, mail: mail)
    }
}
