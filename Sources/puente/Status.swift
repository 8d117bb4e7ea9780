import ArgumentParser
import Foundation
import PuenteDomain
import PuenteExchange

extension Puente {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What waits in the Inbox, held orders, the last runs, each site's last package, mail waiting.",
            discussion: """
                Reads only (never takes the run lock). Files in the Inbox are watched for up to \
                two seconds to tell one still being written. Exit 0 when nothing needs a \
                person, 65 when something does (listed under "Needs a person").
                """)

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let context = try global.makeContext()
            let session = try context.session(.read)
            let report = try Failure.guarding { try session.status() }
            context.say(StatusText.text(report, now: Date()))
            try context.printJSON(report)
            if report.needsAttention { throw Failure.needsAttention }
        }
    }
}

enum StatusText {
    static func text(_ report: StatusReport, now: Date) -> String {
        var lines: [String] = []
        if report.noStore { lines.append("No store yet at \(report.store): nothing has run here.") }
        lines.append(report.inbox.isEmpty && report.unfinished.isEmpty ? "Inbox: empty" : "Inbox:")
        let width = min(40, report.inbox.map(\.name.count).max() ?? 0)
        for entry in report.inbox {
            let what = entry.state == .ready ? "ready: the next run takes it" : entry.detail
            lines.append("  \(entry.name.padding(toLength: max(width, entry.name.count), withPad: " ", startingAt: 0))  \(what)")
        }
        for name in report.unfinished { lines.append("  \(name)  imported; the next run moves it and publishes its ack") }

        lines.append(report.held.isEmpty ? "Held orders: none" : "Held orders: \(report.held.count)")
        for order in report.held.prefix(10) {
            lines.append("  \(order.number)  client \(order.client)  held since \(order.since) (\(StatusReport.age(order.ageSeconds)))")
        }
        if report.held.count > 10 { lines.append("  … and \(report.held.count - 10) more: puente orders list --status held") }

        lines.append(report.runs.isEmpty ? "Runs: none yet" : "Last runs:")
        for run in report.runs {
            let exit = run.exitStatus.map { " (exit \($0))" } ?? ""
            lines.append("  \(run.run)  \(run.started)  \(run.outcome)\(exit)" + (run.did.isEmpty ? "" : ": \(run.did)"))
            for failure in run.failures { lines.append("      \(failure)") }
        }

        lines.append("Sites:")
        for site in report.sites {
            guard let last = site.lastPackage else {
                lines.append("  \(site.pos) \(site.name): no package yet")
                continue
            }
            let taken = site.pickedUp == true ? "taken by the site" : "not taken yet"
            lines.append("  \(site.pos) \(site.name): last package \(last) (\(site.created ?? "")), \(taken)")
            if site.waiting.count > 1 || (site.waiting.count == 1 && site.pickedUp == true) {
                lines.append("      \(site.waiting.count) waiting in the Outbox, the oldest for \(StatusReport.age(site.oldestWaitingSeconds ?? 0))")
            }
        }

        lines.append("Mail: " + (report.mail.queued == 0 ? "nothing waiting" : "\(report.mail.queued) waiting to be handed over (the next run)")
                     + (report.mail.uncertain > 0 ? "; \(report.mail.uncertain) uncertain" : ""))

        if report.attention.isEmpty {
            lines.append("Nothing needs a person.")
        } else {
            lines.append("Needs a person:")
            lines += report.attention.map { "  - " + $0 }
        }
        return lines.map(SafeText.forTerminal).joined(separator: "\n")
    }
}
