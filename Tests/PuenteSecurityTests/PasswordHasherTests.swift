import CCrypt
import PuenteSecurity
import Testing

@Suite struct PasswordHasherTests {
    @Test func makesBcrypt2yHashesThatVerify() throws {
        let hasher = PasswordHasher(cost: 4)
        let hash = try hasher.hash("ñandú-2026")
        #expect(hash.hasPrefix("$2y$04$"))
        #expect(hash.count == 60)
        #expect(PasswordHasher.verify("ñandú-2026", against: hash))
        #expect(!PasswordHasher.verify("nandu-2026", against: hash))
    }

    @Test func saltsDifferEveryTime() throws {
        let hasher = PasswordHasher(cost: 4)
        #expect(try hasher.hash("same") != hasher.hash("same"))
    }

    @Test func knownPHPHashVerifies() {
        // password_hash("rasmuslerdorf", PASSWORD_BCRYPT, ["cost" => 7]) from PHP's manual.
        #expect(PasswordHasher.verify("rasmuslerdorf", against: "$2y$07$BCryptRequires22Chrcte/VlQH0piJtjXl.0t1XkA8pw9dMXTpOq"))
    }

    @Test func hashAllKeepsTheOrder() throws {
        let passwords = (0..<9).map { "clave-\($0)" }
        let hashes = try PasswordHasher(cost: 4).hashAll(passwords)
        #expect(hashes.count == passwords.count)
        for (password, hash) in zip(passwords, hashes) {
            #expect(PasswordHasher.verify(password, against: hash))
        }
    }
}
