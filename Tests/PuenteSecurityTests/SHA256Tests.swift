@testable import PuenteSecurity
import Testing

@Suite struct SHA256Tests {
    /// The processor's SHA instructions and the portable code give the same digests, for
    /// every length around the block and padding boundaries and for pieces of any size.
    @Test func acceleratedAndPortableAgree() {
        var generator = SystemRandomNumberGenerator()
        let data = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for length in Array(0...200) + [511, 512, 513, 4999] {
            var fast = SHA256(accelerated: true)
            var portable = SHA256(accelerated: false)
            let bytes = Array(data[0..<length])
            var offset = 0
            while offset < length {
                let piece = min(length - offset, [1, 7, 63, 64, 65, 300][offset % 6])
                fast.update(Array(bytes[offset..<offset + piece]))
                offset += piece
            }
            portable.update(bytes)
            #expect(fast.finalize() == portable.finalize(), "length \(length)")
        }
    }

    @Test func matchesTheFIPSVectors() {
        #expect(SHA256.hash(Array("".utf8)).hexString == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hash(Array("abc".utf8)).hexString == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)).hexString
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hash([UInt8](repeating: 0x61, count: 1_000_000)).hexString
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func incrementalUpdatesGiveTheSameDigest() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        var hasher = SHA256()
        for chunk in stride(from: 0, to: bytes.count, by: 37) {
            hasher.update(Array(bytes[chunk..<min(chunk + 37, bytes.count)]))
        }
        #expect(hasher.finalize() == SHA256.hash(bytes))
    }

    @Test func hmacMatchesRFC4231() {
        let key = [UInt8](repeating: 0x0b, count: 20)
        #expect(HMACSHA256.authenticationCode(for: Array("Hi There".utf8), key: key).hexString
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(HMACSHA256.authenticationCode(for: Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8)).hexString
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}
