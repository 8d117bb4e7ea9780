import Foundation
import GRDB
@testable import PuenteExchange
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

    /// A dump with passwords is hashed ahead, while the dumps before it load, and read again
    /// when its turn comes: if its bytes changed meanwhile, nothing of it is loaded.
    @Test func aDumpChangedBetweenItsHashingAndItsLoadLoadsNothing() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        let url = try fixture.folder.write("clients.csv", MasterFixture.clients.replacingOccurrences(of: "tito2026", with: "Nueva2027"))
        let loader = try fixture.session.masterLoader()
        let prepared = try loader.prepare(url, kind: .clients)
        guard case .ready(let dump) = prepared else {
            Issue.record("not prepared: \(prepared)")
            return
        }
        #expect(dump.hashed?.count == 1 && dump.dump == nil)
        try fixture.folder.write("clients.csv", MasterFixture.clients.replacingOccurrences(of: "tito2026", with: "Otra2028"))
        let report = try loader.apply(prepared, allowMassDeactivation: false)
        #expect(report.fileRejected)
        #expect(report.errors.map(\.message) == ["the file changed while it was loaded; nothing of this file was loaded"])
        let hash: String = try #require(try fixture.value("SELECT password_hash FROM clients WHERE code = 'C1'"))
        #expect(PasswordHasher.verify("tito2026", against: hash))

        // Unchanged in between: the hash made ahead is the one stored.
        let again = try loader.prepare(url, kind: .clients)
        #expect(try loader.apply(again, allowMassDeactivation: false).changed == 1)
        let stored: String = try #require(try fixture.value("SELECT password_hash FROM clients WHERE code = 'C1'"))
        guard case .ready(let hashedAhead) = again else { return }
        #expect(hashedAhead.hashed?.values.first == stored && PasswordHasher.verify("Otra2028", against: stored))
    }

    /// Two dumps of clients in one load: the second is compared with what the first left (its
    /// bytes are those of the load before, but the first changed a password since), so it is
    /// not prepared ahead against the store as it was before the first.
    @Test func twoClientDumpsInOneLoadEachGetTheirHashes() throws {
        let fixture = try MasterFixture()
        defer { fixture.remove() }
        try fixture.load(MasterFixture.all)
        try fixture.folder.write("a/clients.csv", MasterFixture.clients.replacingOccurrences(of: "tito2026", with: "Cambio2027"))
        try fixture.folder.write("b/clients.csv", MasterFixture.clients)
        let report = try fixture.session.masterLoader().load(paths: [fixture.folder.url.appending(path: "a"),
                                                                       fixture.folder.url.appending(path: "b")])
        #expect(report.files.map(\.changed) == [1, 1])
        let hash: String = try #require(try fixture.value("SELECT password_hash FROM clients WHERE code = 'C1'"))
        #expect(PasswordHasher.verify("tito2026", against: hash))
    }
}
