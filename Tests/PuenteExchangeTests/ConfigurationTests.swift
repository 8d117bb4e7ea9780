import Foundation
import PuenteDomain
import PuenteExchange
import PuenteTestSupport
import Testing

@Suite struct ConfigurationTests {
    let here = URL(filePath: "/srv/puente", directoryHint: .isDirectory)

    @Test func withoutAFileEveryDefaultApplies() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let configuration = try Configuration.load(explicitPath: nil, environment: [:], workingDirectory: folder.url)
        #expect(configuration.file == nil)
        #expect(configuration.database.path == folder.url.appending(path: "puente.sqlite").path)
        #expect(configuration.inbox.path.lastPathComponent == "Inbox")
        #expect(configuration.outboxPath.lastPathComponent == "Outbox")
        #expect(configuration.inbox.settleSeconds == 2)
        #expect(configuration.inbox.doneMarkers == false)
        #expect(configuration.inbox.maxFileMB == 256)
        #expect(configuration.timezone.identifier == "America/Argentina/Buenos_Aires")
        #expect(configuration.locale == "es-AR")
        #expect(configuration.sites == [.init(pos: 9900, name: "Tienda web")])
        #expect(configuration.validation.priceMismatch == .hold)
        #expect(configuration.validation.productInactive == .hold)
        #expect(configuration.validation.priceTolerance == .zero)
        #expect(configuration.bcryptCost == 12)
    }

    @Test func readsEveryKey() throws {
        let text = """
            database = "data/bo.sqlite"
            timezone = "America/Argentina/Cordoba"
            locale = "es-AR"

            [inbox]
            path = "/shared/in"
            settle_seconds = 5
            done_markers = true
            max_file_mb = 10

            [outbox]
            path = "out"

            [[site]]
            pos = 9900
            name = "Tienda web"

            [[site]]
            pos = 9901
            name = "Mayoristas online"

            [validation]
            price_mismatch = "reject"
            product_inactive = "reject"
            price_tolerance = "0.01"

            [mail]
            from = "ventas@laestrella.com.ar"
            sendmail = "/usr/sbin/sendmail -t -i"
            templates = "mail"

            [masters]
            source = "/shared/erp"

            [security]
            bcrypt_cost = 10
            """
        let configuration = try Configuration.parse(text, file: here.appending(path: "puente.toml"))
        #expect(configuration.database.path == "/srv/puente/data/bo.sqlite")
        #expect(configuration.timezone.identifier == "America/Argentina/Cordoba")
        #expect(configuration.inbox.path.path == "/shared/in")
        #expect(configuration.inbox.settleSeconds == 5)
        #expect(configuration.inbox.doneMarkers)
        #expect(configuration.inbox.maxFileMB == 10)
        #expect(configuration.outboxPath.path == "/srv/puente/out")
        #expect(configuration.sites.map(\.pos) == [9900, 9901])
        #expect(configuration.validation.priceMismatch == .reject)
        #expect(configuration.validation.priceTolerance == Money("0.01")!)
        #expect(configuration.mail.sendmail == "/usr/sbin/sendmail -t -i")
        #expect(configuration.mail.templates?.path == "/srv/puente/mail")
        #expect(configuration.mastersSource?.path == "/shared/erp")
        #expect(configuration.bcryptCost == 10)
    }

    @Test(arguments: [
        ("[inbox]\nsetle_seconds = 3\n", "inbox.setle_seconds"),
        ("[inbox]\nsettle_seconds = \"dos\"\n", "inbox.settle_seconds"),
        ("timezone = \"Mars/Olympus\"\n", "timezone"),
        ("[validation]\nprice_mismatch = \"maybe\"\n", "validation.price_mismatch"),
        ("[validation]\nprice_tolerance = 0.01\n", "validation.price_tolerance"),
        ("[[site]]\npos = 9900\n[[site]]\npos = 9900\n", "site[2].pos"),
        ("[[site]]\nname = \"sin pos\"\n", "site[1].pos"),
        ("[security]\nbcrypt_cost = 40\n", "security.bcrypt_cost"),
    ])
    func wrongValuesNameTheirKey(text: String, key: String) {
        #expect {
            try Configuration.parse(text, file: here.appending(path: "puente.toml"))
        } throws: { error in
            guard let error = error as? PuenteError else { return false }
            return error.code == .configuration && error.key == key
        }
    }

    @Test func syntaxErrorsNameTheLine() {
        #expect {
            try Configuration.parse("locale = \"es-AR\"\n\n[inbox\npath = 1\n", file: here.appending(path: "puente.toml"))
        } throws: { error in
            guard let error = error as? PuenteError else { return false }
            return error.code == .configuration && error.line == 3 && error.key == nil
        }
    }

    @Test func explicitPathWinsOverEnvironmentAndMissingFileIsAnError() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try folder.write("a.toml", "database = \"a.sqlite\"\n")
        try folder.write("b.toml", "database = \"b.sqlite\"\n")
        let fromFlag = try Configuration.load(explicitPath: "a.toml", environment: ["PUENTE_CONFIG": "b.toml"], workingDirectory: folder.url)
        #expect(fromFlag.database.lastPathComponent == "a.sqlite")
        let fromEnvironment = try Configuration.load(explicitPath: nil, environment: ["PUENTE_CONFIG": "b.toml"], workingDirectory: folder.url)
        #expect(fromEnvironment.database.lastPathComponent == "b.sqlite")
        #expect {
            try Configuration.load(explicitPath: "missing.toml", environment: [:], workingDirectory: folder.url)
        } throws: { error in
            (error as? PuenteError)?.code == .configuration
        }
    }
}
