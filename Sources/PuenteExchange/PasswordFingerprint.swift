import Foundation
import PuenteSecurity

/// Tells whether a web password changed since the last load without re-hashing it.
///
/// bcrypt is slow on purpose, so comparing a new plain password with the stored hash costs a
/// full hash. Instead the store keeps, beside each hash, an HMAC-SHA256 of the code and the
/// password under a secret key that lives in a separate file beside the store
/// (`<database>.key`, mode 0600), never in the database. A stolen database alone therefore
/// gives no fast way to test guesses. If the key file is lost, a new one is made and every
/// password is re-hashed once on the next load.
public struct PasswordFingerprint: Sendable {
    private let key: [UInt8]

    public init(key: [UInt8]) {
        self.key = key
    }

    /// Reads the key beside `database`, creating it when it does not exist.
    public static func keyFile(for database: URL) throws -> PasswordFingerprint {
        let url = database.appendingPathExtension("key")
        if let text = try? String(contentsOf: url, encoding: .utf8) {
            let hex = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if let key = Self.bytes(fromHex: hex), key.count == 32 { return PasswordFingerprint(key: key) }
        }
        var generator = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let created = FileManager.default.createFile(
            atPath: url.path, contents: Data((key.hexString + "\n").utf8), attributes: [.posixPermissions: 0o600])
        guard created else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        return PasswordFingerprint(key: key)
    }

    /// Names the key without giving it away: a dump of passwords loaded under another key
    /// (the key file lost) must be read again, its passwords hashed again.
    public var keyIdentity: String {
        String(HMACSHA256.authenticationCode(for: Array("puente key identity".utf8), key: key).hexString.prefix(16))
    }

    /// The fingerprint of `password` for the record `code`; empty for an empty password.
    public func fingerprint(code: String, password: String) -> String {
        guard !password.isEmpty else { return "" }
        return HMACSHA256.authenticationCode(for: Array((code + "\u{0}" + password).utf8), key: key).hexString
    }

    private static func bytes(fromHex hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
