import ArgumentParser
import Foundation
import PuenteDomain
import PuenteExchange

extension Puente {
    struct Masters: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Back-office master data.",
            subcommands: [Load.self])
    }
}

extension Puente.Masters {
    struct Load: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load back-office dumps (clients, sellers, products, price lists, prices, order status).",
            discussion: """
                Each PATH is a dump (clients.csv, sellers.csv, products.csv, price_lists.csv, \
                prices.csv, order_status.csv) or a folder of them. A dump fully replaces its \
                master: records missing from it become inactive, nothing is deleted.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Dump files or folders.")
        var paths: [String]

        @Flag(help: "Load a dump even if it has no data rows or would deactivate more than half of its master's active records.")
        var allowMassDeactivation = false

        func run() throws {
            let context = try global.makeContext()
            let urls = paths.map { URL(filePath: $0, relativeTo: context.workingDirectory).standardizedFileURL }
            let session = try context.session()
            let report = try Failure.guarding { try session.masterLoader().load(paths: urls, allowMassDeactivation: allowMassDeactivation) }
            context.say(MastersSummary.text(report))
            // Orders order_status.csv dispatched or invoiced: their notices.
            if report.files.contains(where: { $0.master == .orderStatus && $0.applied > 0 }) {
                _ = try MailStep.run(session, context)
            }
            try context.printJSON(report)
            if report.needsAttention { throw Failure.needsAttention }
        }
    }
}

/// The human summary of a masters load.
enum MastersSummary {
    static func text(_ report: MasterLoadReport) -> String {
        var lines: [String] = []
        for file in report.files {
            if file.fileRejected {
                lines.append("\(file.file): not loaded")
            } else if file.sameAsLastLoad {
                lines.append("\(file.file) (\(file.encoding)): the same as the dump last loaded, nothing to do "
                    + "(\(file.unchanged) unchanged)")
            } else if file.master == .orderStatus {
                lines.append("\(file.file) (\(file.encoding)): \(file.applied) status changes applied, \(plural(file.errors.count, "error"))")
            } else {
                lines.append("\(file.file) (\(file.encoding)): \(file.added) added, \(file.changed) changed, "
                    + "\(file.deactivated) deactivated, \(file.unchanged) unchanged, \(plural(file.errors.count, "error"))")
            }
            let shown = file.errors.prefix(20)
            for issue in shown { lines.append("  \(issue)") }
            if file.errors.count > shown.count { lines.append("  … and \(file.errors.count - shown.count) more (see --json)") }
        }
        // Each line is one line: values from the dumps are shown escaped.
        return lines.map(SafeText.forTerminal).joined(separator: "\n")
    }

    static func plural(_ count: Int, _ word: String) -> String {
        count == 1 ? "1 \(word)" : "\(count) \(word)s"
    }
}
