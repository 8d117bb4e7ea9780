import CCrypt
import Foundation

/// A password could not be hashed or a hash is unusable.
public struct PasswordHashError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// bcrypt `$2y$` hashes through libxcrypt, verifiable by PHP's `password_verify`.
///
/// The plain password only passes through here: it is never kept, logged or returned.
public struct PasswordHasher: Sendable {
    /// bcrypt cost (log2 of the rounds), 4...31.
    public let cost: Int

    public init(cost: Int = 12) {
        self.cost = cost
    }

    /// A new `$2y$` hash with a fresh random salt from the operating system.
    public func hash(_ password: String) throws(PasswordHashError) -> String {
        // crypt_data is large (about 32 KiB): keep it off the stack.
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer {
            memset(data, 0, MemoryLayout<crypt_data>.size)
            data.deallocate()
        }
        memset(data, 0, MemoryLayout<crypt_data>.size)
        var setting = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        guard crypt_gensalt_rn("$2y$", UInt(cost), nil, 0, &setting, Int32(setting.count)) != nil else {
            throw PasswordHashError(message: "libxcrypt could not make a bcrypt salt (cost \(cost)): errno \(errno)")
        }
        guard let result = crypt_r(password, setting, data) else {
            throw PasswordHashError(message: "libxcrypt could not hash a password: errno \(errno)")
        }
        let hash = String(cString: result)
        guard hash.hasPrefix("$2y$") else {
            throw PasswordHashError(message: "libxcrypt returned an unusable bcrypt hash")
        }
        return hash
    }

    /// Hashes many passwords at once, on all cores; the results keep the input order.
    public func hashAll(_ passwords: [String]) throws(PasswordHashError) -> [String] {
        let results = HashResults(count: passwords.count)
        DispatchQueue.concurrentPerform(iterations: passwords.count) { index in
            results.set(index, Result { () throws(PasswordHashError) -> String in try hash(passwords[index]) })
        }
        return try results.values()
    }

    /// True when `password` produces `hash` (constant-time comparison).
    public static func verify(_ password: String, against hash: String) -> Bool {
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer {
            memset(data, 0, MemoryLayout<crypt_data>.size)
            data.deallocate()
        }
        memset(data, 0, MemoryLayout<crypt_data>.size)
        guard let result = crypt_r(password, hash, data) else { return false }
        let computed = Array(String(cString: result).utf8)
        let expected = Array(hash.utf8)
        guard computed.count == expected.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(computed, expected) { difference |= left ^ right }
        return difference == 0
    }
}

/// Results written by concurrent workers, each into its own slot.
private final class HashResults: @unchecked Sendable {
    private var slots: [Result<String, PasswordHashError>?]
    private let lock = NSLock()

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Result<String, PasswordHashError>) {
        lock.withLock { slots[index] = result }
    }

    func values() throws(PasswordHashError) -> [String] {
        try slots.map { slot throws(PasswordHashError) -> String in try slot!.get() }
    }
}
