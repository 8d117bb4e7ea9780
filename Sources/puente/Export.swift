import ArgumentParser
import Foundation
import PuenteDomain
import PuenteExchange

extension Puente {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write export packages for the web site(s) into the Outbox.",
            discussion: """
                For each configured site: a full package the first time (or with --full), then \
                deltas holding only what changed since that site's last package, records that \
                left included with active=false. A site with nothing new gets no package. \
                Packages are Outbox/<pos>/puente-<pos>-<seq>-<full|delta>.zip.
                """)

        @OptionGroup var global: GlobalOptions

        @Option(help: "Only this site's POS (default: every configured site).")
        var site: Int?

        @Flag(help: "Write full packages even for sites that already have one.")
        var full = false

        func run() throws {
            let context = try global.makeContext()
            // One run at a time: an import or masters load in progress means "try later" (75).
            // SIGTERM/SIGINT: stop after the package being written (a second one: at once).
            let stop = StopRequest()
            let signals = StopSignals(stop: stop, logger: context.logger)
            defer { withExtendedLifetime(signals) {} }
            let session = try context.session(stop: stop)
            let report = try Failure.guarding { try session.packageExporter().export(site: site, full: full) }
            context.say(ExportSummary.text(report))
            try context.printJSON(report)
        }
    }
}

/// The human summary of an export.
enum ExportSummary {
    static func text(_ report: ExportReport) -> String {
        report.sites.map { site in
            var lines: [String] = []
            if let completed = site.completed {
                lines.append("site \(site.pos): finished \(completed), left unnamed by an interrupted run")
            }
            if let package = site.package, let kind = site.kind {
                let base = site.base.map { " on \($0)" } ?? ""
                lines.append("site \(site.pos): Outbox/\(package) (\(kind)\(base))")
                let counts = ["clients", "sellers", "seller_clients", "products", "price_lists", "prices", "order_status"]
                    .map { "\(site.records[$0] ?? 0) \($0)" }
                lines.append("  " + counts.joined(separator: ", "))
            } else {
                lines.append("site \(site.pos): nothing changed since its last package, no package written")
            }
            return lines.map(SafeText.forTerminal).joined(separator: "\n")
        }.joined(separator: "\n")
            + (report.stopped ? "\nStopped as asked (a signal) after a whole package: the other sites' next time." : "")
    }
}
