import ArgumentParser
import Foundation
import PuenteDomain
import PuenteExchange

extension Puente {
    struct Mail: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The e-mails customers get.",
            subcommands: [Check.self])
    }
}

extension Puente.Mail {
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Render every mail template against a sample order (the built-in es-AR texts, or those of mail.templates).")

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let context = try global.makeContext()
            let session = try context.session(.read)
            let problems = try Failure.guarding { try session.mailer().check() }
            guard problems.isEmpty else {
                for problem in problems { FileHandle.standardError.write(Data("puente: \(SafeText.forTerminal(problem))\n".utf8)) }
                throw Failure.configuration
            }
            context.say("Mail templates: all render (confirmation, status).")
        }
    }
}

/// The mail step after work that changes orders: make and deliver what waits, say it in one line.
enum MailStep {
    static func run(_ session: PuenteSession, _ context: CommandContext) throws -> MailReport {
        let report = try Failure.guarding { try session.mailer().run() }
        if let line = text(report, sendmail: !context.configuration.mail.sendmail.isEmpty) { context.say(line) }
        for name in report.failed {
            FileHandle.standardError.write(Data("puente: sendmail refused \(name); it stays in Outbox/mail/ for the next run\n".utf8))
        }
        for name in report.uncertain {
            FileHandle.standardError.write(Data("puente: \(name) was being handed to sendmail when a run stopped: check whether it went out (it is not sent again)\n".utf8))
        }
        return report
    }

    static func text(_ report: MailReport, sendmail: Bool) -> String? {
        var parts: [String] = []
        if report.written > 0 { parts.append("\(report.written) written to Outbox/mail/") }
        if report.handedOver > 0 { parts.append("\(report.handedOver) handed to sendmail") }
        if report.withoutAddress > 0 { parts.append("\(report.withoutAddress) not sent: the client has no e-mail") }
        if !report.failed.isEmpty { parts.append("\(report.failed.count) refused by sendmail (kept for the next run)") }
        return parts.isEmpty ? nil : "Mail: " + parts.joined(separator: "; ")
    }
}
