import Foundation
import PuenteDomain
@testable import PuenteExchange
import PuenteFormats
import PuenteStore
import PuenteTestSupport
import Testing

/// The e-mails customers get, on the morning sample: 9900-1 accepted; 9900-2 and 9900-3 held.
@Suite struct MailTests {
    func fixture(sendmail: String = "", templates: URL? = nil) throws -> (ImportFixture, Mailer) {
        let fixture = try ImportFixture()
        try fixture.drop(sample: "pedidos-2026-11-28-manana.xml")
        _ = try fixture.importer().run()
        var configuration = fixture.base.configuration
        configuration.mail.sendmail = sendmail
        configuration.mail.templates = templates
        configuration.mail.from = "pedidos@example.com.ar"
        let mailer = Mailer(store: fixture.store, configuration: configuration, clock: ImportFixture.clock,
                            logger: fixture.base.session.logger)
        return (fixture, mailer)
    }

    func mailFolder(_ fixture: ImportFixture) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: fixture.outbox.appending(path: "mail").path)) ?? []).sorted()
    }

    @Test func anAcceptedOrderGetsOneConfirmationWrittenToTheOutbox() throws {
        let (fixture, mailer) = try fixture()
        defer { fixture.remove() }
        let first = try mailer.run()
        #expect(first.made == 1 && first.written == 1)
        #expect(mailFolder(fixture) == ["9900-00000001-confirmation-1.eml"])
        let text = try String(contentsOf: fixture.outbox.appending(path: "mail/9900-00000001-confirmation-1.eml"), encoding: .utf8)
        #expect(text.contains("Subject: Recibimos su pedido 9900-00000001\r\n"))
        #expect(text.contains("To: =?UTF-8?B?"), "the client's name, encoded")
        #expect(text.contains("<dontito@gmail.com>"))
        #expect(text.contains("Total: $ 40549,52"), "the body carries the total")
        // Nothing twice: a second run makes and writes nothing.
        let second = try mailer.run()
        #expect(second.made == 0 && second.written == 0)
        // Released, a held order is accepted: its confirmation; dispatched, a notice.
        let desk = OrderDesk(store: fixture.store, timezone: fixture.base.configuration.timezone, clock: ImportFixture.clock,
                             person: "ana")
        _ = try desk.release(OrderNumber("9900-00000002")!, reprice: true)
        _ = try desk.setStatus(OrderNumber("9900-00000001")!, to: .inPreparation)
        _ = try desk.setStatus(OrderNumber("9900-00000001")!, to: .dispatched)
        let third = try mailer.run()
        #expect(third.made == 2)
        #expect(mailFolder(fixture).contains { $0.hasPrefix("9900-00000002-confirmation-") })
        #expect(mailFolder(fixture).contains { $0.hasPrefix("9900-00000001-dispatched-") })
        #expect(!mailFolder(fixture).contains { $0.contains("in_preparation") }, "no mail for in_preparation")
    }

    @Test func aMessageWhoseRenameWasCutLeavesNoTemporaryName() throws {
        let (fixture, mailer) = try fixture()
        defer { fixture.remove() }
        _ = try mailer.run()
        // As a kill between the link and the unlink of the rename leaves it: both names, one
        // file, the message still queued.
        let mail = fixture.outbox.appending(path: "mail")
        #expect(link(mail.appending(path: "9900-00000001-confirmation-1.eml").path,
                     mail.appending(path: ".9900-00000001-confirmation-1.eml.tmp").path) == 0)
        try fixture.store.setMailState(try fixture.store.mail(in: ["written"], after: 0).map(\.id), to: "queued")
        let next = try mailer.run()
        #expect(next.made == 0)
        #expect(mailFolder(fixture) == ["9900-00000001-confirmation-1.eml"])
    }

    /// sendmail refuses: the message stays in Outbox/mail/ and the next run hands it over,
    /// once; a message a crash left "handing" is reported, never sent again.
    @Test func aFailingSendmailIsRetriedAndNothingGoesTwice() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let received = folder.url.appending(path: "received")
        try FileManager.default.createDirectory(at: received, withIntermediateDirectories: true)
        let works = try folder.write("sendmail", "#!/bin/sh\ncat > \"\(received.path)/$(date +%s%N).eml\"\n")
        let fails = try folder.write("broken-sendmail", "#!/bin/sh\ncat > /dev/null\nexit 75\n")
        for script in [works, fails] { chmod(script.path, 0o755) }

        let (fixture, broken) = try fixture(sendmail: fails.path + " -t -i")
        defer { fixture.remove() }
        let refused = try broken.run()
        #expect(refused.failed == ["9900-00000001-confirmation-1.eml"])
        #expect(refused.needsAttention)
        #expect(mailFolder(fixture) == ["9900-00000001-confirmation-1.eml"], "kept for the next run")

        var configuration = fixture.base.configuration
        configuration.mail.sendmail = works.path + " -t -i"
        let working = Mailer(store: fixture.store, configuration: configuration, clock: ImportFixture.clock,
                             logger: fixture.base.session.logger)
        let delivered = try working.run()
        #expect(delivered.handedOver == 1 && delivered.made == 0)
        #expect(mailFolder(fixture).isEmpty, "handed over: gone from the Outbox")
        let got = try FileManager.default.contentsOfDirectory(atPath: received.path)
        #expect(got.count == 1)
        let bytes = try Data(contentsOf: received.appending(path: got[0]))
        #expect(String(decoding: bytes, as: UTF8.self).contains("Message-ID: <"))
        #expect(try working.run().handedOver == 0, "never twice")

        // A crash while handing over: reported, not sent again.
        _ = try OrderDesk(store: fixture.store, timezone: configuration.timezone, clock: ImportFixture.clock, person: "ana")
            .release(OrderNumber("9900-00000002")!)
        _ = try broken.run()  // made and queued; sendmail fails
        let queued = try #require(try fixture.store.mail(in: ["queued"]).first)
        try fixture.store.setMailState(queued.id, to: "handing")
        let after = try working.run()
        #expect(after.uncertain == [queued.fileName] && after.handedOver == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: received.path).count == 1)
    }

    @Test func aSendmailThatExitsWithoutReadingIsARefusalNotASIGPIPE() throws {
        // 1 MiB cannot fit in the pipe: the write meets a closed pipe (EPIPE). Without care
        // the process would die of SIGPIPE here (found by the run/status test with /bin/false).
        let message = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        #expect(try Mailer.hand(message, to: "/bin/false") == false)
        #expect(try Mailer.hand(message, to: "/bin/true") == false, "exit 0 but it did not take the message")
        #expect(try Mailer.hand(Array("Subject: x\r\n\r\nhola\r\n".utf8), to: "/bin/cat") == true)
    }

    @Test func aClientWithoutAnEmailGetsNoneAndTheSummarySaysSo() throws {
        let (fixture, mailer) = try fixture()
        defer { fixture.remove() }
        try fixture.base.store.database.write { db in try db.execute(sql: "UPDATE clients SET email = '' WHERE code = 'C0001'") }
        let report = try mailer.run()
        #expect(report.withoutAddress == 1 && report.made == 0 && mailFolder(fixture).isEmpty)
        #expect(try mailer.run().withoutAddress == 0, "counted once")
    }

    @Test func aCompanysTemplatesReplaceTheBuiltInOnesAndCheckFindsBrokenOnes() throws {
        let templates = try TemporaryFolder()
        defer { templates.remove() }
        try templates.write("confirmation-subject.mustache", "Pedido {{number}} — ¡gracias, {{client_name}}!")
        let (fixture, mailer) = try fixture(templates: templates.url)
        defer { fixture.remove() }
        #expect(try mailer.check().isEmpty)
        _ = try mailer.run()
        let text = try String(contentsOf: fixture.outbox.appending(path: "mail/9900-00000001-confirmation-1.eml"), encoding: .utf8)
        #expect(text.contains("Subject: =?UTF-8?B?"), "a non-ASCII subject encoded")
        try templates.write("status.txt.mustache", "Hola {{#lines}}sin cerrar")
        #expect(try mailer.check().count == 1, "a broken template fails loudly")
    }
}

@Suite struct MailSwitchTests {
    /// Mail turned off sends nothing; turned on again, only what changes from then on.
    @Test func mailOffThenOn() throws {
        let (fixture, _) = try MailTests().fixture()
        defer { fixture.remove() }
        var off = fixture.base.configuration
        off.mail.enabled = false
        let silent = Mailer(store: fixture.store, configuration: off, clock: ImportFixture.clock, logger: fixture.base.session.logger)
        #expect(try silent.run() == MailReport())
        let on = Mailer(store: fixture.store, configuration: fixture.base.configuration, clock: ImportFixture.clock,
                        logger: fixture.base.session.logger)
        #expect(try on.run().made == 0, "the orders accepted while mail was off get none")
        _ = try OrderDesk(store: fixture.store, timezone: fixture.base.configuration.timezone, clock: ImportFixture.clock,
                          person: "ana").release(OrderNumber("9900-00000002")!)
        #expect(try on.run().made == 1)
    }
}
