import CSHA256

/// SHA-256 (FIPS 180-4), incremental. Used for file checksums in acks and package manifests,
/// and inside `HMACSHA256`. Written here to keep a crypto package out of a lean build: the
/// blocks are compressed in C (`CSHA256`), with the processor's SHA instructions when it has
/// them.
public struct SHA256: Sendable {
    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
    /// The bytes of an unfinished block (64 bytes, kept inline: no allocation per hash).
    private var pending: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    private var pendingCount = 0
    private var totalLength: UInt64 = 0
    /// Whether blocks go through the processor's SHA instructions (`CSHA256`).
    let accelerated: Bool

    /// Whether this processor has SHA instructions Puente uses (x86-64 SHA-NI).
    public static let isAccelerated = puente_sha256_accelerated() == 1

    public init() { accelerated = Self.isAccelerated }

    /// Tests compare the two ways of compressing blocks.
    init(accelerated: Bool) { self.accelerated = accelerated && Self.isAccelerated }

    /// The digest of `bytes` in one call.
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var hasher = SHA256()
        if let done = bytes.withContiguousStorageIfAvailable({ hasher.update($0) }) {
            _ = done
        } else {
            hasher.update(Array(bytes))
        }
        return hasher.finalize()
    }

    /// The digest of a string's UTF-8 bytes.
    public static func hash(utf8 text: String) -> [UInt8] {
        var text = text
        var hasher = SHA256()
        text.withUTF8 { hasher.update($0) }
        return hasher.finalize()
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { update($0) }
    }

    public mutating func update(_ buffer: UnsafeBufferPointer<UInt8>) {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
        totalLength &+= UInt64(buffer.count)
        var index = 0
        if pendingCount > 0 {
            let take = min(64 - pendingCount, buffer.count)
            withUnsafeMutableBytes(of: &pending) { block in
                block.baseAddress!.advanced(by: pendingCount).copyMemory(from: base, byteCount: take)
            }
            pendingCount += take
            index = take
            if pendingCount == 64 {
                var block = pending
                withUnsafeBytes(of: &block) { compress(blocks: $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: 1) }
                pendingCount = 0
            }
        }
        let whole = (buffer.count - index) / 64
        if whole > 0 {
            compress(blocks: base + index, count: whole)
            index += whole * 64
        }
        if index < buffer.count {
            let rest = buffer.count - index
            withUnsafeMutableBytes(of: &pending) { block in
                block.baseAddress!.copyMemory(from: base + index, byteCount: rest)
            }
            pendingCount = rest
        }
    }

    /// The 32-byte digest; the hasher is spent afterwards.
    public mutating func finalize() -> [UInt8] {
        let bitLength = totalLength &* 8
        var tail: [UInt8] = [0x80]
        let padding = (pendingCount + 1) % 64 <= 56 ? 56 - (pendingCount + 1) % 64 : 120 - (pendingCount + 1) % 64
        tail += [UInt8](repeating: 0, count: padding)
        for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        let savedLength = totalLength
        update(tail)
        totalLength = savedLength
        var digest: [UInt8] = []
        digest.reserveCapacity(32)
        for word in [state.0, state.1, state.2, state.3, state.4, state.5, state.6, state.7] {
            digest += [UInt8(word >> 24), UInt8(truncatingIfNeeded: word >> 16),
                       UInt8(truncatingIfNeeded: word >> 8), UInt8(truncatingIfNeeded: word)]
        }
        return digest
    }

    private mutating func compress(blocks: UnsafePointer<UInt8>, count: Int) {
        let accelerated = accelerated
        withUnsafeMutableBytes(of: &state) { words in
            let state = words.baseAddress!.assumingMemoryBound(to: UInt32.self)
            if accelerated {
                puente_sha256_blocks(state, blocks, count)
            } else {
                puente_sha256_blocks_portable(state, blocks, count)
            }
        }
    }
}

/// HMAC-SHA256 (RFC 2104).
public enum HMACSHA256 {
    public static func authenticationCode(for message: [UInt8], key: [UInt8]) -> [UInt8] {
        var block = key.count > 64 ? SHA256.hash(key) : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        var inner = SHA256()
        inner.update(block.map { $0 ^ 0x36 })
        inner.update(message)
        let innerDigest = inner.finalize()
        var outer = SHA256()
        outer.update(block.map { $0 ^ 0x5c })
        outer.update(innerDigest)
        return outer.finalize()
    }
}

extension Sequence<UInt8> {
    /// Lower-case hexadecimal, as checksums are written in acks and manifests.
    public var hexString: String {
        let bytes = Array(self)
        return String(unsafeUninitializedCapacity: bytes.count * 2) { text in
            let digits: StaticString = "0123456789abcdef"
            let table = digits.utf8Start
            for (index, byte) in bytes.enumerated() {
                text[2 * index] = table[Int(byte >> 4)]
                text[2 * index + 1] = table[Int(byte & 0x0F)]
            }
            return bytes.count * 2
        }
    }
}
