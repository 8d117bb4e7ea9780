import ArgumentParser
import Foundation
import PuenteDomain
import PuenteExchange

extension Puente {
    struct Demo: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a whole cycle on the sample data of this repository.",
            discussion: """
                Run from the repository root: makes a fresh puente.sqlite here, loads \
                Samples/masters/, drops Samples/orders/ into Inbox/ and imports them, exports a \
                package per site into Outbox/, and tells what happened and what to try next.
                """)

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let context = try global.makeContext()
            let samples = context.workingDirectory.appending(path: "Samples")
            guard FileManager.default.fileExists(atPath: samples.appending(path: "masters").path),
                  FileManager.default.fileExists(atPath: samples.appending(path: "orders").path) else {
                FileHandle.standardError.write(Data("puente: no Samples/masters and Samples/orders here: run the demo from the repository root\n".utf8))
                throw Failure.usage
            }
            let outcome = try Failure.guarding { try DemoRun(configuration: context.configuration, logger: context.logger).run(samples: samples) }
            let session = try context.session(.read)
            let orders = try Failure.guarding { try OrderTableText.text(session) }
            context.say(DemoSummary.text(outcome, orders: orders, configuration: context.configuration,
                                         workingDirectory: context.workingDirectory))
            try context.printJSON(outcome)
        }
    }
}

enum DemoSummary {
    static func text(_ outcome: DemoOutcome, orders: String, configuration: Configuration, workingDirectory: URL) -> String {
        let database = relativePath(configuration.database, to: workingDirectory)
        let outbox = relativePath(configuration.outboxPath, to: workingDirectory)
        let packages = outcome.export.sites.compactMap(\.package).map { "\(outbox)/\($0)" }.joined(separator: " ")
        return """
            Puente demo: one cycle of `puente run` on Samples/ (run \(outcome.run.map(String.init) ?? "-") in the store's history)
            1. Made a fresh back-office store: \(database)
            2. Loaded the back office's dumps from Samples/masters/:
            \(MastersSummary.text(outcome.masters).split(separator: "\n").map { "   " + $0 }.joined(separator: "\n"))
               Web-enabled: \(outcome.webClients) clients and \(outcome.webSellers) sellers (passwords kept only as bcrypt hashes).
            3. Dropped Samples/orders/ into the Inbox and imported it (what each order shows is in Samples/README.md):
            \(ImportSummary.text(outcome.importReport).split(separator: "\n").map { "   " + $0 }.joined(separator: "\n"))
               Accepted orders are pending in the back office, held ones wait for a person, rejected
               ones are kept with their reasons; each file has an ack for the site in Outbox/acks/.
            4. Exported what each web site needs (its orders' status included):
            \(ExportSummary.text(outcome.export).split(separator: "\n").map { "   " + $0 }.joined(separator: "\n"))
               Each package holds manifest.xml (record counts and SHA-256 of every file) and each
               set as XML and CSV; docs/site-packages.md tells the site's developers how to apply it.
            5. The orders in the back office now (puente report orders):
            \(orders.split(separator: "\n").map { "   " + $0 }.joined(separator: "\n"))
               The held and rejected ones, with what to do about each, on one page for a browser:
               \(relativePath(URL(filePath: outcome.adminPage), to: workingDirectory))
            6. E-mailed the accepted orders' confirmations: \(MailStep.text(outcome.mail, sendmail: !configuration.mail.sendmail.isEmpty) ?? "Mail: none")
               (with no mail.sendmail set they are written to \(outbox)/mail/*.eml, to open in a mail program)

            Try next:
              swift run puente orders show 9900-00000002      # a held order, and why
              swift run puente orders release 9900-00000002 --reprice
              swift run puente report orders --format xlsx --output Outbox/reports/pedidos.xlsx
              unzip -l \(packages)
              swift run puente export      # nothing changed: no new package
              swift run puente masters load Samples/masters   # loading again changes nothing
              sqlite3 \(database) "SELECT code, name, price_list, seller FROM clients"
            """
    }
}

/// The orders report's table as text (for the demo's summary).
enum OrderTableText {
    static func text(_ session: PuenteSession) throws -> String {
        let output = ReportOutput(collecting: true)
        try session.reports().orders(OrderQuery(), format: .table, to: output)
        try output.finish()
        return String(decoding: output.collected, as: UTF8.self).trimmingCharacters(in: .newlines)
    }
}
