import CPosix
import Foundation
import Logging
import Mustache
import PuenteDomain
import PuenteFormats
import PuenteStore

/// What a mail step did.
public struct MailReport: Codable, Sendable, Equatable {
    /// Messages made this time (one per status change that calls for one).
    public var made = 0
    /// Written to `Outbox/mail/` (no sendmail configured).
    public var written = 0
    /// Handed to sendmail.
    public var handedOver = 0
    /// Status changes with nobody to write to (a client without an e-mail).
    public var withoutAddress = 0
    /// Messages sendmail refused: they stay in `Outbox/mail/` for the next run.
    public var failed: [String] = []
    /// Messages a run was handing over when it stopped: never sent again by Puente; a person
    /// checks whether they went out (`Outbox/mail/` keeps them).
    public var uncertain: [String] = []

    public var needsAttention: Bool { !failed.isEmpty || !uncertain.isEmpty }
}

/// The e-mails customers get: a confirmation when an order is accepted (to the client, and to
/// the seller who placed it), a short notice when it is dispatched or invoiced. Each is made
/// from Mustache templates (built-in es-AR texts, replaced by files of the same names in
/// `mail.templates`), recorded in the store with its bytes before anything else, written as
/// `Outbox/mail/NAME.eml`, and handed to `mail.sendmail` when one is set. A message is never
/// handed over twice: it is marked before sendmail is run, and one a crash left marked is
/// reported, not sent again.
public struct Mailer: Sendable {
    let store: BackOfficeStore
    let configuration: Configuration
    let clock: any PuenteClock
    let logger: Logger
    let stop: StopRequest?

    init(store: BackOfficeStore, configuration: Configuration, clock: any PuenteClock, logger: Logger,
         stop: StopRequest? = nil) {
        self.stop = stop
        self.store = store
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
    }

    var folder: URL { configuration.outboxPath.appending(path: "mail") }

    /// Makes the e-mails status changes call for, and delivers what waits (this run's and
    /// earlier runs'). Works in batches of 500: one transaction records a batch, one sync of
    /// the file system makes a batch of files durable before they count as written.
    @discardableResult
    public func run() throws -> MailReport {
        var report = MailReport()
        guard configuration.mail.enabled else {
            try store.skipMailUntilNow()
            return report
        }
        let templates = try MailTemplates(folder: configuration.mail.templates)
        try AtomicFile.makeFolder(folder, under: configuration.outboxPath)
        var after: Int64 = 0
        while true {
            let events = try store.pendingMailEvents(after: after)
            guard let last = events.last else { break }
            after = last.historyID
            var batch: [BackOfficeStore.NewMail] = []
            for event in events {
                guard let order = try store.orderDetail(event.number) else { continue }
                let messageID = "\(UUID().uuidString.lowercased())@puente"
                let name = "\(event.number)-\(event.kind.rawValue)-\(event.historyID).eml"
                // A confirmation goes to the client and the seller who placed it; a notice to the client.
                let addresses = [MailMessage.Address(name: order.clientName, email: event.clientEmail)]
                    + (event.sellerEmail.map { [MailMessage.Address(email: $0)] } ?? [])
                let recipients = addresses.filter { !$0.email.isEmpty }
                guard !recipients.isEmpty else {
                    batch.append(.init(event: event, messageID: messageID, fileName: name, message: nil))
                    report.withoutAddress += 1
                    continue
                }
                let message = try templates.message(for: order, kind: event.kind, from: configuration.mail.from, to: recipients,
                                                    date: MailMessage.date(clock.now, in: configuration.timezone),
                                                    messageID: messageID, timezone: configuration.timezone)
                batch.append(.init(event: event, messageID: messageID, fileName: name, message: message.rendered()))
                report.made += 1
            }
            // Recorded first: whatever happens next, these messages are the ones for these changes.
            try store.recordMail(batch, at: now)
        }
        try deliver(into: &report)
        if report.made + report.withoutAddress > 0 || report.needsAttention {
            logger.info("mail", metadata: ["made": "\(report.made)", "written": "\(report.written)",
                                           "handed_over": "\(report.handedOver)", "without_address": "\(report.withoutAddress)",
                                           "failed": "\(report.failed.count)", "uncertain": "\(report.uncertain.count)"])
        }
        return report
    }

    private func deliver(into report: inout MailReport) throws {
        var after: Int64 = 0
        while true {
            let handing = try store.mail(in: ["handing"], after: after)
            guard let last = handing.last else { break }
            after = last.id
            report.uncertain += handing.map(\.fileName)
        }
        let sendmail = configuration.mail.sendmail.trimmingCharacters(in: .whitespaces)
        after = 0
        // Asked to stop: after the batch being handed over (the rest waits for the next run).
        while stop?.isRequested != true {
            let queued = try store.mail(in: ["queued"], after: after)
            guard let last = queued.last else { break }
            after = last.id
            // The files first, made durable together, then handed over one by one.
            for mail in queued {
                let file = folder.appending(path: mail.fileName)
                let temporary = AtomicFile.temporaryURL(for: file)
                guard !FileManager.default.fileExists(atPath: file.path) else {
                    // Written before; a run killed between the link and the unlink of its
                    // rename left the temporary name too, which goes now.
                    _ = try AtomicFile.finishPublishing(temporary, as: file)
                    continue
                }
                // Flushed all together below (one syncfs for the batch), then counted as written.
                try AtomicFile.writeNew(Data(mail.message), to: temporary, synchronize: false)
                try AtomicFile.renameWithoutReplacing(temporary, to: file, operation: "write")
            }
            try AtomicFile.synchronizeFileSystem(of: folder)
            guard !sendmail.isEmpty else {
                try store.setMailState(queued.map(\.id), to: "written")
                report.written += queued.count
                continue
            }
            for mail in queued {
                try store.setMailState(mail.id, to: "handing")
                if try Self.hand(mail.message, to: sendmail) {
                    try store.setMailState(mail.id, to: "handed")
                    _ = unlink(folder.appending(path: mail.fileName).path)
                    report.handedOver += 1
                } else {
                    try store.setMailState(mail.id, to: "queued")
                    report.failed.append(mail.fileName)
                }
            }
        }
    }

    /// Runs the sendmail command (split on blanks, like `/usr/sbin/sendmail -t -i`) with the
    /// message on its standard input; true when it exits 0.
    static func hand(_ message: [UInt8], to command: String) throws -> Bool {
        let words = command.split(separator: " ").map(String.init)
        let process = Process()
        process.executableURL = URL(filePath: words[0])
        process.arguments = Array(words.dropFirst())
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return false
        }
        // A sendmail that exits before reading it all (refusing) must not kill Puente with SIGPIPE.
        let written = message.withUnsafeBytes { bytes in
            puente_write_all_nosigpipe(input.fileHandleForWriting.fileDescriptor, bytes.baseAddress, bytes.count)
        }
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        return written == 0 && process.terminationStatus == 0
    }

    /// Renders every template against a sample order (`puente mail check`): the names of
    /// those that cannot be read, with why (empty: all good).
    public func check() throws -> [String] {
        var problems: [String] = []
        let templates: MailTemplates
        do {
            templates = try MailTemplates(folder: configuration.mail.templates)
        } catch let error as PuenteError {
            return [error.description]
        }
        for kind in [MailEvent.Kind.confirmation, .dispatched] {
            let message = try templates.message(for: MailTemplates.sample, kind: kind, from: configuration.mail.from,
                                                to: [.init(email: "cliente@example.com")],
                                                date: MailMessage.date(clock.now, in: configuration.timezone),
                                                messageID: "check@puente", timezone: configuration.timezone)
            if message.subject.isEmpty { problems.append("the \(kind.rawValue) subject is empty") }
            if !message.text.contains(MailTemplates.sample.number.description) {
                problems.append("the \(kind.rawValue) text does not name the order number")
            }
        }
        return problems
    }

    private var now: String { Timestamp.string(clock.now, in: configuration.timezone) }
}

/// The texts of the e-mails: built-in es-AR Mustache templates, each replaced by a file of
/// the same name in `mail.templates` when there is one.
struct MailTemplates {
    static let names = ["confirmation-subject", "confirmation.txt", "confirmation.html",
                        "status-subject", "status.txt", "status.html"]

    private let templates: [String: MustacheTemplate]

    init(folder: URL?) throws {
        var templates: [String: MustacheTemplate] = [:]
        for name in Self.names {
            let file = folder?.appending(path: name + ".mustache")
            let text: String
            if let file, FileManager.default.fileExists(atPath: file.path) {
                do {
                    text = try String(contentsOf: file, encoding: .utf8)
                } catch {
                    throw PuenteError(.configuration, "\(file.path): cannot be read (\(error.localizedDescription))", path: file.path)
                }
            } else {
                text = Self.builtIn[name]!
            }
            do {
                templates[name] = try MustacheTemplate(string: text)
            } catch {
                throw PuenteError(.configuration, "mail template \(name).mustache: \(error)", path: file?.path, cause: error)
            }
        }
        self.templates = templates
    }

    func message(for order: OrderDetail, kind: MailEvent.Kind, from: String, to: [MailMessage.Address], date: String,
                 messageID: String, timezone: TimeZone) throws -> MailMessage {
        let context = Self.context(order)
        let prefix = kind == .confirmation ? "confirmation" : "status"
        func render(_ name: String) -> String { templates["\(prefix)\(name)"]!.render(context) }
        return MailMessage(from: .init(email: from), to: to,
                           subject: render("-subject").trimmingCharacters(in: .whitespacesAndNewlines),
                           date: date, messageID: messageID, text: render(".txt"), html: render(".html"))
    }

    static func context(_ order: OrderDetail) -> [String: Any] {
        let people = PeopleCSV(locale: "es-AR")
        func money(_ value: Money) -> String { people.number(value.formatted(minimumFractionDigits: 2)) }
        let statusText: [OrderStatus: String] = [
            .held: "retenido", .pending: "pendiente", .inPreparation: "en preparación", .dispatched: "despachado",
            .invoiced: "facturado", .cancelled: "cancelado",
        ]
        return [
            "number": order.number.description, "order": order.webID, "date": people.date(order.date),
            "client": order.client, "client_name": order.clientName, "seller": order.seller ?? "",
            "status": order.status.rawValue, "status_text": statusText[order.status] ?? order.status.rawValue,
            "total": money(order.total),
            "lines": order.lines.map { line -> [String: Any] in
                ["item": line.item, "product": line.product, "description": line.description,
                 "quantity": line.quantity.description, "price": money(line.price), "amount": money(line.amount)]
            },
        ]
    }

    /// The order `mail check` renders the templates with.
    static let sample = OrderDetail(
        number: OrderNumber(pos: 9900, sequence: 1), webID: "W-10045", status: .pending, date: "2026-11-28T10:15:00-03:00",
        client: "C0001", clientName: "Almacén Ñandú", priceList: "L1", seller: nil, note: "", total: Money("40549.52")!,
        sourceFile: "pedidos.xml", sourceLine: 3, created: "2026-11-28T10:16:00-03:00",
        lines: [.init(item: 1, product: "P00001", description: "Yerba mate 1 kg", quantity: Quantity("2")!,
                      price: Money("5705.50")!, listPrice: Money("5705.50")!, amount: Money("11411.00")!, sourceLine: 4)],
        history: [], reasons: [])

    static let builtIn: [String: String] = [
        "confirmation-subject": "Recibimos su pedido {{number}}",
        "confirmation.txt": """
            {{% CONTENT_TYPE: TEXT}}Hola {{client_name}}:

            Recibimos su pedido {{number}} (su referencia {{order}}) del {{date}}. Estado: {{status_text}}.

            {{#lines}}
            {{item}}. {{description}} ({{product}}): {{quantity}} × $ {{price}} = $ {{amount}}
            {{/lines}}

            Total: $ {{total}}

            Le avisaremos cuando sea despachado. ¡Gracias por su compra!

            """,
        "confirmation.html": """
            <html><body style="font-family: sans-serif">
            <p>Hola {{client_name}}:</p>
            <p>Recibimos su pedido <b>{{number}}</b> (su referencia {{order}}) del {{date}}. Estado: {{status_text}}.</p>
            <table cellpadding="4" style="border-collapse: collapse">
            <tr><th align="left">Producto</th><th align="right">Cantidad</th><th align="right">Precio</th><th align="right">Importe</th></tr>
            {{#lines}}<tr><td>{{description}} ({{product}})</td><td align="right">{{quantity}}</td><td align="right">$ {{price}}</td><td align="right">$ {{amount}}</td></tr>
            {{/lines}}</table>
            <p><b>Total: $ {{total}}</b></p>
            <p>Le avisaremos cuando sea despachado. ¡Gracias por su compra!</p>
            </body></html>
            """,
        "status-subject": "Su pedido {{number}} fue {{status_text}}",
        "status.txt": """
            {{% CONTENT_TYPE: TEXT}}Hola {{client_name}}:

            Su pedido {{number}} (su referencia {{order}}) fue {{status_text}}. Total: $ {{total}}.

            """,
        "status.html": """
            <html><body style="font-family: sans-serif">
            <p>Hola {{client_name}}:</p>
            <p>Su pedido <b>{{number}}</b> (su referencia {{order}}) fue <b>{{status_text}}</b>. Total: $ {{total}}.</p>
            </body></html>
            """,
    ]
}
