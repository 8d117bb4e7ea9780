import Foundation
import Logging
import PuenteDomain
import PuenteFormats
import PuenteSecurity
import PuenteStore

/// Points where tests make an import stop, to prove the next run finishes the job.
public enum ImportStep: String, Sendable {
    /// The file was read and its orders written; the transaction is not committed.
    case beforeCommit = "before-commit"
    /// Committed; the ack is not published and the file not moved.
    case afterCommit = "after-commit"
    /// The ack is published; the file is not moved.
    case afterAck = "after-ack"
}

/// Takes order files into the back office, each exactly once.
///
/// One file is one immediate write transaction: its orders are checked and posted as they
/// are read, its ack is written beside its final name and flushed, and the file is recorded
/// (name, size, SHA-256, outcome, where its ack and the file go) before the commit. A file
/// that turns out unreadable (a schema violation at the end) rolls everything back and is
/// recorded as rejected instead. Only after the commit is the ack given its name and the file
/// moved; a crash before that leaves a record marked unfinished, which the next run completes
/// first. A crash before the commit leaves nothing, and the file is read again.
public struct OrderImporter: Sendable {
    let store: BackOfficeStore
    let configuration: Configuration
    let logger: Logger
    let clock: any PuenteClock
    /// Test-only: called at each `ImportStep`; throwing (or exiting) there simulates a crash.
    let faultInjection: (@Sendable (ImportStep) throws -> Void)?
    /// Asked to stop (a signal): the run ends after the file it is in.
    let stop: StopRequest?

    /// Made by `PuenteSession.orderImporter()`, which holds the run lock (tests make their own).
    init(store: BackOfficeStore, configuration: Configuration, logger: Logger, clock: any PuenteClock = SystemClock(),
         stop: StopRequest? = nil, faultInjection: (@Sendable (ImportStep) throws -> Void)? = nil) {
        self.stop = stop
        self.store = store
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        self.faultInjection = faultInjection
    }

    var acksFolder: URL { configuration.outboxPath.appending(path: "acks") }

    /// Imports `files`, or the ready files of the Inbox when nil. In a dry run nothing is
    /// written, posted, moved or acknowledged.
    ///
    /// An entry that cannot be read, acknowledged or moved is reported in the result (and in
    /// the log) and the rest goes on: one bad entry never stalls the Inbox. A failure of the
    /// store itself stops the run with `ImportInterrupted`, which carries what was finished.
    public func run(files: [URL]? = nil, dryRun: Bool = false,
                    progress: (@Sendable (ImportProgress) -> Void)? = nil) throws -> ImportReport {
        var report = ImportReport(dryRun: dryRun)
        do {
            try run(files: files, dryRun: dryRun, progress: progress, into: &report)
        } catch let error as ImportInterrupted {
            throw error
        } catch {
            guard report.files.isEmpty && report.problems.isEmpty else { throw ImportInterrupted(report: report, error: error) }
            throw error
        }
        return report
    }

    private func run(files: [URL]?, dryRun: Bool, progress: (@Sendable (ImportProgress) -> Void)?,
                     into report: inout ImportReport) throws {
        if !dryRun {
            try finishInterrupted(into: &report)
        }
        let inbox = configuration.inbox
        var ready: [URL]
        if let files {
            ready = files
        } else {
            let scan = try InboxScanner(folder: inbox.path, settleSeconds: inbox.settleSeconds,
                                        doneMarkers: inbox.doneMarkers).scan()
            ready = scan.ready
            for problem in scan.problems { note(problem, in: &report) }
        }
        // A file an interrupted run committed is not read again: the run finishes (moves) it.
        let unfinished = Set(try store.unfinishedFiles().map(\.sourcePath))
        ready.removeAll { unfinished.contains($0.path) }
        guard !ready.isEmpty else { return }
        // The first file is opened and hashed while the masters load (the others in turn).
        @Sendable func openAndHash(_ url: URL) throws -> (file: UntrustedFile, sha256: String) {
            let file = try UntrustedFile(path: url.path)
            return (file, try file.sha256())
        }
        var firstFile = ready.first.map { url in WorkAhead { try openAndHash(url) } }
        func open(_ url: URL) throws -> (file: UntrustedFile, sha256: String) {
            defer { firstFile = nil }
            if let firstFile, url == ready.first { return try firstFile.get() }
            return try openAndHash(url)
        }
        let mastersStarted = ContinuousClock.now
        let masters = try ImportMasters(store: store, sites: Set(configuration.sites.map(\.pos)))
        logger.debug("import: masters read in \(Self.milliseconds(since: mastersStarted))")
        let validator = OrderValidator(
            masters: masters,
            policy: ValidationPolicy(holdPriceMismatch: configuration.validation.priceMismatch == .hold,
                                     holdInactiveProduct: configuration.validation.productInactive == .hold,
                                     priceTolerance: configuration.validation.priceTolerance),
            timezone: configuration.timezone)
        let committed = try CommittedOrders(store: store)
        if dryRun {
            // One transaction for all the files, rolled back at the end: each file sees what
            // the files before it would have posted, as in the real run.
            try store.writeTransaction { transaction in
                // Sites new in the configuration, as the real run would register them.
                try BackOfficeStore.registerSites(configuration.sites.map { ($0.pos, $0.name) }, in: transaction)
                // What this run gave out is not committed: the ledger goes from file to file.
                var ledger = ImportLedger()
                for file in ready {
                    if stop?.isRequested == true {
                        report.stopped = true
                        break
                    }
                    do {
                        report.files.append(try importFile(file, opened: open(file), validator: validator, committed: committed,
                                                           ledger: &ledger, dryRun: true, in: transaction, progress: progress))
                    } catch let error as UntrustedFileError {
                        note(leftAlone(file, error), in: &report)
                    }
                }
                return ((), .rollback)
            }
            return
        }
        try AtomicFile.makeFolder(acksFolder, under: configuration.outboxPath)
        for file in ready {
            // Asked to stop: after the file before this one, never in the middle of one.
            if stop?.isRequested == true {
                report.stopped = true
                logger.notice("import: stopped before \(file.lastPathComponent), as asked; the rest waits for the next run")
                break
            }
            var fileReport: FileImportReport?
            let fileStarted = ContinuousClock.now
            var posted = fileStarted
            var source: UntrustedFile?
            do {
                let opened = try open(file)
                source = opened.file
                fileReport = try store.writeTransaction { transaction in
                    // Committed file by file: what earlier files posted is in `committed`.
                    var ledger = ImportLedger()
                    let fileReport = try importFile(file, opened: opened, validator: validator, committed: committed,
                                                    ledger: &ledger, dryRun: false, in: transaction, progress: progress)
                    try faultInjection?(.beforeCommit)
                    posted = ContinuousClock.now
                    return (fileReport, .commit)
                }
            } catch let error as UntrustedFileError {
                note(leftAlone(file, error), in: &report)
                continue
            } catch let error as PuenteError where error.code == .io {
                // The ack could not be written: nothing of the file was committed.
                note(InboxEntryProblem(entry: file.lastPathComponent,
                                       problem: "could not be acknowledged (\(error)); left in the Inbox"), in: &report)
                continue
            }
            let committedAt = ContinuousClock.now
            try faultInjection?(.afterCommit)
            guard var fileReport else { continue }
            // One line per file for the job's log: names and counts, never an order's values.
            logger.info("import: \(fileReport.file): \(fileReport.outcome.rawValue)", metadata: [
                "orders": "\(fileReport.orders)",
                "accepted": "\(fileReport.outcomes[.accepted] ?? 0)", "held": "\(fileReport.outcomes[.held] ?? 0)",
                "rejected": "\(fileReport.outcomes[.rejected] ?? 0)", "duplicate": "\(fileReport.outcomes[.duplicate] ?? 0)",
            ])
            for unfinished in try store.unfinishedFiles() where unfinished.sourcePath == file.path {
                if let problem = try finishOrReport(unfinished, opened: source) {
                    fileReport.movedTo = nil
                    note(problem, in: &report)
                }
            }
            let timings = "read and posted in \(Self.milliseconds(posted - fileStarted)), committed in "
                + "\(Self.milliseconds(committedAt - posted)), finished in \(Self.milliseconds(since: committedAt))"
            logger.debug("import: \(fileReport.file): \(timings)")
            report.files.append(fileReport)
        }
    }

    /// `1234 ms`, for the debug log's timings.
    static func milliseconds(_ duration: Duration) -> String { "\(Int(duration.inSeconds * 1000)) ms" }
    static func milliseconds(since start: ContinuousClock.Instant) -> String { milliseconds(ContinuousClock.now - start) }

    /// A file the door would not open (a link put there meanwhile, no permission, gone).
    private func leftAlone(_ file: URL, _ error: UntrustedFileError) -> InboxEntryProblem {
        InboxEntryProblem(entry: file.lastPathComponent, problem: error.reason + "; left in the Inbox")
    }

    /// Records an entry left alone, and logs it.
    private func note(_ problem: InboxEntryProblem, in report: inout ImportReport) {
        logger.warning("import: \(problem)")
        report.problems.append(problem)
    }

    // MARK: One file

    /// Reads, checks and posts one file inside the caller's transaction (a savepoint of its
    /// own, undone if the file turns out unreadable, which is then recorded as rejected), and
    /// records what is left to do after the commit.
    /// `opened`: the file as the door opened it, and its SHA-256.
    private func importFile(_ url: URL, opened: (file: UntrustedFile, sha256: String), validator: OrderValidator,
                            committed: CommittedOrders, ledger: inout ImportLedger, dryRun: Bool,
                            in transaction: StoreTransaction,
                            progress: (@Sendable (ImportProgress) -> Void)?) throws -> FileImportReport {
        let name = url.lastPathComponent
        let (source, sha256) = opened
        let size = source.size
        let now = clock.now
        let processed = Timestamp.string(now, in: configuration.timezone)
        let day = Self.day(now, in: configuration.timezone)
        var report = FileImportReport(file: name, outcome: .processed)
        var fileError: OrderFileError?
        let ackPath = dryRun ? nil : try freeAckPath(for: name)

        // XML is read with the plain-shape check first (a third of the schema validator's
        // cost); a file it does not vouch for is undone and read again with the validator.
        var schema = OrderFileReader.SchemaCheck.plainShapeFirst
        var readAgain = false
        repeat {
            readAgain = false
            try store.savepoint(in: transaction) {
                let ack = try AckWriter(final: ackPath, file: name, sha256: sha256, processed: processed)
                let fileID = try BackOfficeStore.recordFile(ProcessedFile(
                    id: 0, name: name, size: size, sha256: sha256, outcome: .processed, reason: nil, processed: processed,
                    sourcePath: url.path, movedTo: "", ackPath: ackPath?.path ?? "", finished: false), in: transaction)
                let poster = try OrderPoster(in: transaction, file: name, fileID: fileID, moment: processed)
                do {
                    let checking = CheckedFile(file: source, name: name, maxBytes: configuration.inbox.maxFileMB << 20,
                                               schema: schema, validator: validator, committed: committed, ledger: ledger,
                                               ack: ack, rows: poster.rows(), progress: progress, logger: logger, clock: clock)
                    // If posting fails, the checking thread must not wait for it forever.
                    defer { checking.cancel() }
                    while let item = try checking.next() {
                        switch item {
                        case .rows(let rows):
                            try poster.write(rows)
                        case .lookup(let lookup):
                            checking.answer(lookup, with: Result { try poster.postedOrder(pos: lookup.pos, webID: lookup.webID) })
                        }
                    }
                    let outcome = checking.outcome
                    report = outcome.report
                    ledger = outcome.ledger
                } catch let error as OrderFileReader.ReadWithTheSchema {
                    logger.debug("import: \(name): \(error); read again with the orders schema")
                    schema = .orderSchema
                    readAgain = true
                    return .rollback
                } catch let error as OrderFileError {
                    fileError = error
                    return .rollback
                }
                try poster.finish()
                let movedTo = Self.destination(for: url, in: configuration.inbox.path.appending(path: "processed/\(day)"))
                try BackOfficeStore.setDestination(fileID: fileID, movedTo: movedTo.path, in: transaction)
                report.ack = ackPath.map { "acks/" + $0.lastPathComponent }
                report.movedTo = dryRun ? nil : relativePath(movedTo, to: configuration.inbox.path)
                return .commit
            }
        } while readAgain

        if let fileError {
            report = FileImportReport(file: name, outcome: .rejected)
            report.reason = fileError.code
            report.message = fileError.description
            let movedTo = Self.destination(for: url, in: configuration.inbox.path.appending(path: "rejected/\(day)"))
            let ack = try AckWriter(final: ackPath, file: name, sha256: sha256, processed: processed)
            try ack.rejectFile(fileError)
            _ = try BackOfficeStore.recordFile(ProcessedFile(
                id: 0, name: name, size: size, sha256: sha256, outcome: .rejected, reason: fileError.description,
                processed: processed, sourcePath: url.path, movedTo: movedTo.path, ackPath: ackPath?.path ?? "",
                finished: false), in: transaction)
            report.ack = ackPath.map { "acks/" + $0.lastPathComponent }
            report.movedTo = dryRun ? nil : relativePath(movedTo, to: configuration.inbox.path)
        }
        return report
    }

    // MARK: After the commit

    /// Publishes the ack and moves the file of a committed record, then marks it finished.
    /// Each step checks what is already done, so it can be repeated after a crash. A file is
    /// finished only once it is out of the Inbox (or the Inbox holds another file under its
    /// name): a file whose move failed, or that is not there (a share not mounted), stays
    /// unfinished and is moved by a later run, never taken again.
    /// `opened`: the file as this run read it, when it did (then the file in the Inbox is
    /// known to be it while its inode, size and times are unchanged, without hashing it again).
    private func finish(_ file: ProcessedFile, opened: UntrustedFile? = nil) throws {
        if !file.ackPath.isEmpty {
            let final = URL(filePath: file.ackPath)
            _ = try AtomicFile.finishPublishing(AtomicFile.temporaryURL(for: final), as: final)
        }
        try faultInjection?(.afterAck)
        let source = URL(filePath: file.sourcePath)
        var target = URL(filePath: file.movedTo)
        if !file.movedTo.isEmpty {
            let sourceHolds = opened?.isUnchanged(atPath: source.path) == true ? true : try Self.holds(source, sha256: file.sha256)
            switch (sourceHolds, try Self.holds(target, sha256: file.sha256)) {
            case (true?, true?):
                // Crashed between the two halves of the move: the file is in place already.
                guard unlink(source.path) == 0 else { throw PuenteError.system("remove", source.path) }
            case (true?, let there):
                if there == false {
                    // Something else took the name meanwhile: the file goes beside it.
                    target = Self.destination(for: source, in: target.deletingLastPathComponent())
                    try store.setDestination(fileID: file.id, movedTo: target.path)
                }
                try AtomicFile.makeFolder(target.deletingLastPathComponent(), under: configuration.inbox.path)
                if file.outcome == .rejected {
                    let reason = target.deletingLastPathComponent().appending(path: target.lastPathComponent + ".reason.txt")
                    let text = SafeText.forTerminal("\(file.name): \(file.reason ?? "rejected")") + "\n"
                    try AtomicFile.write(Data(text.utf8), to: reason)
                }
                try AtomicFile.move(source, to: target)
            case (false?, _):
                // The Inbox holds another file under this name now: ours is gone; the new one
                // is a file of its own, taken by a later run.
                logger.warning("import: \(file.name) was replaced in the Inbox after it was imported; the new file is taken as new")
            case (nil, true?):
                break  // moved already
            case (nil, _):
                let inbox = source.deletingLastPathComponent()
                let why = FileManager.default.fileExists(atPath: inbox.path)
                    ? "is no longer in the Inbox to be moved"
                    : "cannot be moved: the Inbox folder \(inbox.path) is not there (a share not mounted?)"
                throw PuenteError.file(operation: "move \(file.name) to \(target.path)", path: source.path, reason: why)
            }
            // The done marker has served its purpose.
            // (unlink: a folder of that name is the site's, not a marker to remove).
            _ = unlink(source.deletingLastPathComponent().appending(path: file.name + ".done").path)
        }
        try store.markFinished(fileID: file.id)
    }

    /// `finish`, with a failure to publish or move reported instead of thrown: the file
    /// stays unfinished for the next run.
    private func finishOrReport(_ file: ProcessedFile, opened: UntrustedFile? = nil) throws -> InboxEntryProblem? {
        do {
            try finish(file, opened: opened)
            return nil
        } catch let error as PuenteError where error.code == .io {
            return InboxEntryProblem(entry: file.name,
                                     problem: "imported and acknowledged, but not finished: \(error.message); the next run retries")
        }
    }

    /// Completes what crashed runs left between a commit and the end of a file's work.
    private func finishInterrupted(into report: inout ImportReport) throws {
        for file in try store.unfinishedFiles() {
            if let problem = try finishOrReport(file) {
                note(problem, in: &report)
                continue
            }
            logger.warning("import: \(file.name) was committed by an interrupted run; its ack and move are done now")
            var finished = FileImportReport(file: file.name, outcome: .finished)
            finished.ack = file.ackPath.isEmpty ? nil : "acks/" + URL(filePath: file.ackPath).lastPathComponent
            finished.movedTo = relativePath(URL(filePath: file.movedTo), to: configuration.inbox.path)
            report.files.append(finished)
        }
    }

    /// Whether the regular file at `url` is the one with the SHA-256 `sha256` (true), another
    /// (false: other content, or a link or FIFO, which is never ours), or nothing is there (nil).
    /// A file that cannot be read cannot be told: an error, so nothing is decided on it.
    static func holds(_ url: URL, sha256: String) throws -> Bool? {
        do {
            return try UntrustedFile(path: url.path).sha256() == sha256
        } catch let error as UntrustedFileError {
            switch error.problem {
            case .missing: return nil
            case .symbolicLink, .notRegular: return false
            case .unreadable(let message): throw PuenteError.file(operation: "read", path: url.path, reason: message)
            }
        }
    }

    // MARK: Names and helpers

    /// `Outbox/acks/NAME.ack.xml`, or `NAME.2.ack.xml`… when that name is taken or promised
    /// (a very long NAME shortened so the name, and its temporary `.NAME.ack.xml.tmp`, fit).
    private func freeAckPath(for name: String) throws -> URL {
        let promised = try store.promisedAckPaths()
        let name = Self.fitting(name, reserve: 24)
        var counter = 1
        while true {
            let candidate = acksFolder.appending(path: counter == 1 ? "\(name).ack.xml" : "\(name).\(counter).ack.xml")
            if !FileManager.default.fileExists(atPath: candidate.path), !promised.contains(candidate.path) {
                return candidate
            }
            counter += 1
        }
    }

    /// `FOLDER/NAME`, or `FOLDER/BASE-2.EXT`… when a file of that name is already there (a
    /// very long BASE shortened so the name, and a `NAME.reason.txt` beside it, fit).
    static func destination(for file: URL, in folder: URL) -> URL {
        let name = file.lastPathComponent
        let ext = file.pathExtension
        let base = fitting(ext.isEmpty ? name : String(name.dropLast(ext.count + 1)), reserve: ext.utf8.count + 24)
        var candidate = folder.appending(path: ext.isEmpty ? base : "\(base).\(ext)")
        var counter = 2
        while FileManager.default.fileExists(atPath: candidate.path) {
            candidate = folder.appending(path: ext.isEmpty ? "\(base)-\(counter)" : "\(base)-\(counter).\(ext)")
            counter += 1
        }
        return candidate
    }

    /// `name` when it leaves `reserve` bytes free of the 255 a file name may have; else its
    /// start, cut between characters, and `~` with 8 hex digits of its hash (two long names
    /// that start alike stay apart).
    static func fitting(_ name: String, reserve: Int) -> String {
        let limit = 255 - reserve
        guard name.utf8.count > limit else { return name }
        let tag = "~" + SHA256.hash(Array(name.utf8)).hexString.prefix(8)
        var cut = ""
        for character in name {
            if cut.utf8.count + character.utf8.count + tag.utf8.count > limit { break }
            cut.append(character)
        }
        return cut + tag
    }

    static func day(_ date: Date, in timezone: TimeZone) -> String {
        String(Timestamp.string(date, in: timezone).prefix(10))
    }


    /// `orders-1.xml line 14, order W-10046: held: price-mismatch for P01234 (list 1200.00, got 1234.50)`.
    static func attentionLine(file: String, _ order: CheckedOrder) -> String? {
        guard order.outcome == .held || order.outcome == .rejected else { return nil }
        let draft = order.draft
        let reasons = order.reasons.map { reason in
            reason.line != draft.line ? "line \(reason.line) \(reason.summary)" : reason.summary
        }
        return "\(file) line \(draft.line), order \(draft.id): \(order.outcome.rawValue): \(reasons.joined(separator: "; "))"
    }
}
