import ArgumentParser
import Dispatch
import Foundation
import Logging
import PuenteDomain
import PuenteExchange

extension Puente {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The scheduled job: reload changed dumps, import the Inbox, export for every site, send pending mail.",
            discussion: """
                One cycle under one run lock: masters from masters.source when a dump there \
                changed (by content), the Inbox, the packages, the mail. A step that fails is \
                reported and the others still run; the next run does it again. Exit 0 when \
                nothing needs a person, 65 when something does, 74 (or 78) when a step failed, \
                75 when another run holds the lock.

                --watch repeats the cycle every --interval seconds (sooner when a file lands in \
                a local Inbox) until SIGTERM or SIGINT, which stop it after the current file or \
                package; a second signal stops it at once (the next run completes what was \
                begun). It then exits 0; a configuration error ends it with 78.
                """)

        @OptionGroup var global: GlobalOptions

        @Flag(help: "Repeat the cycle until SIGTERM or SIGINT.")
        var watch = false

        @Option(help: "Seconds between two cycles of --watch (default 60).")
        var interval: Double?

        func validate() throws {
            if let interval {
                guard watch else { throw ValidationError("--interval goes with --watch") }
                guard interval >= 1, interval <= 86_400 else { throw ValidationError("--interval must be 1 to 86400 seconds") }
            }
        }

        func run() throws {
            let context = try global.makeContext(defaultLevel: .notice)
            let stop = StopRequest()
            let signals = StopSignals(stop: stop, logger: context.logger)
            defer { withExtendedLifetime(signals) {} }
            let sendmail = !context.configuration.mail.sendmail.isEmpty
            guard watch else {
                let report = try context.session(stop: stop).jobCycle().run()
                context.say(RunSummary.text(report, sendmail: sendmail))
                try context.printJSON(report)
                RunSummary.reportFailures(report)
                if report.exitStatus != 0 { throw ExitCode(report.exitStatus) }
                return
            }
            let seconds = interval ?? 60
            context.logger.notice("run: watching, a cycle every \(Int(seconds)) s; SIGTERM or SIGINT stops it")
            let watch = JobWatch(configuration: context.configuration, logger: context.logger, stop: stop)
            try Failure.guarding { try watch.run(interval: seconds) { RunSummary.show($0, context, sendmail: sendmail) } }
        }
    }
}

/// SIGTERM and SIGINT for the scheduled job: the first asks the job to stop after the file or
/// package it is in; a second ends the process at once (what was begun is completed by the
/// next run: the import's and export's crash safety cover it).
///
/// Plain Dispatch signal sources rather than swift-service-lifecycle: the job's work is
/// synchronous (SQLite and file I/O on threads) and needs a flag read between two files, not
/// task cancellation; the library's `ServiceGroup` would bring swift-async-algorithms and an
/// async entry point for what is here forty lines.
final class StopSignals {
    private let sources: [any DispatchSourceSignal]

    init(stop: StopRequest, logger: Logger) {
        sources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let name = number == SIGTERM ? "SIGTERM" : "SIGINT"
                for _ in 0..<max(1, Int(source.data)) {
                    if stop.request() > 1 {
                        logger.warning("\(name) again: stopping at once; the next run completes what was begun")
                        _exit(128 + number)
                    }
                }
                logger.warning("\(name): stopping after the current file or package (a second signal stops at once)")
            }
            source.resume()
            return source
        }
    }
}

enum RunSummary {
    /// One cycle of `--watch`: its summary when it did something, its JSON line, its failures.
    static func show(_ result: Result<CycleReport, any Error>, _ context: CommandContext, sendmail: Bool) {
        switch result {
        case .success(let report):
            if report.didSomething {
                context.sayNow("Run \(report.run.map(String.init) ?? "-") at \(report.started):\n"
                               + text(report, sendmail: sendmail).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            }
            try? context.printJSONLine(report)
            reportFailures(report)
        case .failure(let error):
            let (message, _) = Failure.describe(error)
            FileHandle.standardError.write(Data("puente: the cycle could not start: \(SafeText.forTerminal(message))\n".utf8))
        }
    }

    static func reportFailures(_ report: CycleReport) {
        for failure in report.failures {
            FileHandle.standardError.write(Data("puente: \(failure.step): \(SafeText.forTerminal(failure.message))\n".utf8))
        }
    }

    static func text(_ report: CycleReport, sendmail: Bool) -> String {
        var lines: [String] = []
        func section(_ title: String, _ text: String) {
            lines.append(title)
            lines += text.split(separator: "\n").map { "  " + $0 }
        }
        if let masters = report.masters { section("Masters:", MastersSummary.text(masters)) }
        if let imported = report.importReport { section("Import:", ImportSummary.text(imported)) }
        if let export = report.export { section("Export:", ExportSummary.text(export)) }
        if let mail = report.mail { lines.append(MailStep.text(mail, sendmail: sendmail) ?? "Mail: nothing to send") }
        for failure in report.failures { lines.append("\(failure.step) could not be done: \(failure.message)") }
        // (The import's or export's summary already says so when the stop came inside one.)
        if report.stopped, report.importReport?.stopped != true, report.export?.stopped != true { lines.append("Stopped as asked (a signal): what was begun is done; the next run does the rest.") }
        return lines.map(SafeText.forTerminal).joined(separator: "\n")
    }
}
