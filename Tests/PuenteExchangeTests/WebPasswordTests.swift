import Foundation
import GRDB
import PuenteExchange
import PuenteSecurity
import Testing

@Suite struct WebPasswordTests {
    @Test func storesOnlyBcryptHashesThatVerifyAgainstTheOriginal() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        let hashes = try fixture.rows("SELECT code, password_hash FROM clients ORDER BY code")
        let c1: String = hashes[0]["password_hash"]
        let c2: String = hashes[1]["password_hash"]
        #expect(c1.hasPrefix("$2y$04$"))
        #expect(PasswordHasher.verify("tito2026", against: c1))
        #expect(PasswordHasher.verify("ñandu123", against: c2))
        #expect(hashes[2]["password_hash"] as String == "")
        let seller: String? = try fixture.value("SELECT password_hash FROM sellers WHERE code = 'V01'")
        #expect(PasswordHasher.verify("vende01", against: try #require(seller)))
    }

    @Test func plainPasswordsNeverReachTheDatabaseFiles() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        try fixture.load(["clients.csv": MasterFixture.clients.replacingOccurrences(of: "tito2026", with: "TitoNuevo99")])
        let names = try FileManager.default.contentsOfDirectory(atPath: fixture.folder.path).filter { $0.hasPrefix("puente.sqlite") }
        #expect(names.contains("puente.sqlite"))
        for name in names {
            let bytes = try [UInt8](Data(contentsOf: fixture.folder.url.appending(path: name)))
            for password in ["tito2026", "TitoNuevo99", "ñandu123", "vende01"] {
                let needle = Array(password.utf8)
                let found = bytes.count >= needle.count
                    && (0...(bytes.count - needle.count)).contains { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
                #expect(!found, "\(password) found in \(name)")
            }
        }
    }

    @Test func rehashesOnlyThePasswordsThatChanged() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        let before = try fixture.rows("SELECT code, password_hash FROM clients ORDER BY code")
        let changed = MasterFixture.clients.replacingOccurrences(of: "tito2026", with: "TitoNuevo99")
        let report = try fixture.load(["clients.csv": changed])
        #expect(report.files[0].changed == 1)
        let after = try fixture.rows("SELECT code, password_hash FROM clients ORDER BY code")
        #expect(after[0]["password_hash"] as String != before[0]["password_hash"] as String)
        #expect(PasswordHasher.verify("TitoNuevo99", against: after[0]["password_hash"]))
        #expect(after[1]["password_hash"] as String == before[1]["password_hash"] as String)

        // Removing a password removes web access.
        let removed = changed.replacingOccurrences(of: "TitoNuevo99", with: "")
        try fixture.load(["clients.csv": removed])
        #expect(try fixture.value("SELECT password_hash FROM clients WHERE code = 'C1'") == "")
    }

    @Test func reloadingUnchangedWebClientsDoesNotHashAgain() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(["price_lists.csv": MasterFixture.priceLists])
        var text = "code,name,tax_id,email,price_list,seller,web_password,active\n"
        for index in 0..<300 { text += "C\(index),Cliente \(index),1,c\(index)@example.com,L1,,clave-\(index),S\n" }
        try fixture.load(["clients.csv": text])
        let before = try fixture.rows("SELECT password_hash FROM clients ORDER BY code")
        let report = try fixture.load(["clients.csv": text])
        #expect(report.files[0].unchanged == 300)
        // Every bcrypt hash has a fresh random salt: identical hashes prove none was redone.
        #expect(try fixture.rows("SELECT password_hash FROM clients ORDER BY code") == before)
    }

    @Test func losingTheFingerprintKeyRehashesOnce() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        let before: String? = try fixture.value("SELECT password_hash FROM clients WHERE code = 'C1'")
        try FileManager.default.removeItem(at: fixture.configuration.database.appendingPathExtension("key"))
        let report = try fixture.load(["clients.csv": MasterFixture.clients])
        #expect(report.files[0].changed == 2)
        let after: String? = try fixture.value("SELECT password_hash FROM clients WHERE code = 'C1'")
        #expect(after != before)
        #expect(PasswordHasher.verify("tito2026", against: try #require(after)))
        let again = try fixture.load(["clients.csv": MasterFixture.clients])
        #expect(again.files[0].unchanged == 3)
    }
}
