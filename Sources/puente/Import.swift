import ArgumentParser
import Foundation
import PuenteDomain
import PuenteExchange
import PuenteFormats

extension Puente {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take the order files of the Inbox (or the files named) into the back office.",
            discussion: """
                Good orders are posted as pending, doubtful ones as held, bad ones rejected with \
                their reasons; each file gets an ack in Outbox/acks/ and moves to \
                Inbox/processed/DATE/ (or Inbox/rejected/DATE/ when it cannot be read at all). \
                Exit 65 when an order was held or rejected or a file rejected; 75 when another \
                run holds the lock.
                """)

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Read and check everything, print what would happen; post, move and write nothing.")
        var dryRun = false

        @Argument(help: "Order files to take as they are (default: the ready files of the Inbox).")
        var files: [String] = []

        func run() throws {
            let context = try global.makeContext()
            let urls = files.map { URL(filePath: $0, relativeTo: context.workingDirectory).standardizedFileURL }
            for url in urls {
                // Named files are taken as they are, but only regular files: a FIFO would be
                // read forever, a link could point anywhere.
                guard FileManager.default.fileExists(atPath: url.path) || UntrustedFile.nonRegularKind(atPath: url.path) != nil else {
                    throw Failure.usage(message: "\(url.path) does not exist")
                }
                if let kind = UntrustedFile.nonRegularKind(atPath: url.path) {
                    throw Failure.usage(message: "\(url.path) is \(kind), not a regular file: name the order file itself")
                }
            }
            // The run lock comes first (a dry run takes it only on an existing store: it writes nothing).
            // SIGTERM/SIGINT: stop after the file being imported (a second one: at once).
            let stop = StopRequest()
            let signals = StopSignals(stop: stop, logger: context.logger)
            defer { withExtendedLifetime(signals) {} }
            let session = try context.session(dryRun ? .dryRun : .write, stop: stop)
            let showProgress = !global.quiet && !global.json && isatty(STDERR_FILENO) == 1
            var progress: (@Sendable (ImportProgress) -> Void)?
            if showProgress {
                progress = { @Sendable state in
                    FileHandle.standardError.write(Data(("\r" + ImportSummary.progressLine(state) + "\u{1B}[K").utf8))
                }
            }
            let importer = session.orderImporter()
            let report: ImportReport
            do {
                report = try importer.run(files: urls.isEmpty ? nil : urls, dryRun: dryRun, progress: progress)
            } catch let interrupted as ImportInterrupted {
                // What was finished before the failure is done: say so, then why it stopped.
                if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                context.say(ImportSummary.text(interrupted.report))
                try context.printJSON(ImportSummary.JSON(interrupted.report))
                _ = try Failure.guarding { throw interrupted.error }
                return
            } catch {
                _ = try Failure.guarding { throw error }
                return
            }
            if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            if session.isScratch, dryRun {
                context.say("(No store at \(relativePath(context.configuration.database, to: context.workingDirectory)) yet: "
                            + "checked against an empty back office.)")
            }
            context.say(ImportSummary.text(report))
            // Confirmations for the accepted orders (a dry run sends nothing).
            let mail = dryRun ? nil : try MailStep.run(session, context)
            try context.printJSON(ImportSummary.JSON(report))
            if report.needsAttention || mail?.needsAttention == true { throw Failure.needsAttention }
        }
    }
}

/// The human and JSON summaries of an import.
enum ImportSummary {
    struct JSON: Encodable {
        let dryRun: Bool
        let files: [FileImportReport]
        let outcomes: [OrderOutcome: Int]
        let reasons: [ReasonCode: Int]
        let problems: [InboxEntryProblem]
        let needsAttention: Bool

        init(_ report: ImportReport) {
            dryRun = report.dryRun
            files = report.files
            problems = report.problems
            outcomes = report.outcomes
            reasons = report.reasons
            needsAttention = report.needsAttention
        }
    }


    /// `orders.xml: 42% read, 41,000 orders, 12,500 orders/s, about 5 s left`.
    static func progressLine(_ state: ImportProgress) -> String {
        var line = "\(SafeText.forTerminal(state.file)): \(Int(state.share * 100))% read, \(state.orders) orders"
        if state.elapsed >= 0.5 {
            line += ", \(Int(state.ordersPerSecond.rounded())) orders/s"
        }
        if let left = state.secondsLeft {
            let seconds = Int(left.rounded(.up))
            line += seconds < 60 ? ", about \(seconds) s left" : ", about \(seconds / 60) min \(seconds % 60) s left"
        }
        return line
    }

    static func counts(_ outcomes: [OrderOutcome: Int]) -> String {
        OrderOutcome.allCases.map { "\(outcomes[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
    }

    static func text(_ report: ImportReport) -> String {
        var lines: [String] = []
        if report.files.isEmpty, report.problems.isEmpty { lines.append("Nothing to import: no ready order file in the Inbox.") }
        for file in report.files {
            let whereTo = [file.movedTo.map { "moved to Inbox/\($0)" }, file.ack.map { "ack Outbox/\($0)" }]
                .compactMap { $0 }.joined(separator: ", ")
            let suffix = whereTo.isEmpty ? "" : " (\(whereTo))"
            switch file.outcome {
            case .rejected:
                lines.append("\(file.file): file rejected: \(file.message ?? "")\(suffix)")
            case .finished:
                lines.append("\(file.file): committed by an interrupted run, finished now\(suffix)")
            default:
                lines.append("\(file.file): \(MastersSummary.plural(file.orders, "order")): \(counts(file.outcomes))\(suffix)")
                for line in file.attention { lines.append("  " + line) }
                if file.attentionNotShown > 0 {
                    lines.append("  … and \(file.attentionNotShown) more held or rejected (see the ack)")
                }
            }
        }
        for problem in report.problems { lines.append("\(problem.entry): \(problem.problem)") }
        if report.files.count > 1 || !report.reasons.isEmpty {
            let rejectedFiles = report.files.filter { $0.outcome == .rejected }.count
            var total = "Total: \(MastersSummary.plural(report.files.count, "file"))"
            if rejectedFiles > 0 { total += " (\(rejectedFiles) rejected)" }
            total += "; orders: \(counts(report.outcomes))"
            lines.append(total)
            if !report.reasons.isEmpty {
                lines.append("Reasons: " + report.reasons.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }
                    .joined(separator: ", "))
            }
        }
        if report.stopped { lines.append("Stopped as asked (a signal) after a whole file: the files not begun wait for the next run.") }
        if report.dryRun { lines.append("Dry run: nothing was posted, moved or acknowledged.") }
        // Each line is one line: names and values from outside are shown escaped.
        return lines.map(SafeText.forTerminal).joined(separator: "\n")
    }
}
