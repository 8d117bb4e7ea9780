import ArgumentParser
import Foundation
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
                """)

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let context = try global.makeContext()
            let session = try context.session()
            let report = session.jobCycle().run()
            context.say(RunSummary.text(report, sendmail: !context.configuration.mail.sendmail.isEmpty))
            try context.printJSON(report)
            for failure in report.failures {
                FileHandle.standardError.write(Data("puente: \(failure.step): \(SafeText.forTerminal(failure.message))\n".utf8))
            }
            if let worst = report.failures.map({ RunSummary.status(of: $0.code) }).max(by: { $0.rawValue < $1.rawValue }) {
                throw worst
            }
            if report.needsAttention { throw Failure.needsAttention }
        }
    }
}

enum RunSummary {
    static func status(of code: String) -> ExitCode {
        code == "configuration" ? Failure.configuration : code == "busy" ? Failure.locked : Failure.io
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
        return lines.map(SafeText.forTerminal).joined(separator: "\n")
    }
}
