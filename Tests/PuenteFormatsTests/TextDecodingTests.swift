import PuenteFormats
import Testing

@Suite struct TextDecodingTests {
    @Test func utf8WithoutBOMStaysAsItIs() throws {
        let bytes = Array("Ñandú,Güemes\n".utf8)
        let decoded = try TextDecoder.decodeUTF8OrWindows1252(bytes)
        #expect(decoded.encoding == .utf8)
        #expect(decoded.text == bytes)
    }

    @Test func utf8BOMIsRemoved() throws {
        let decoded = try TextDecoder.decodeUTF8OrWindows1252([0xEF, 0xBB, 0xBF] + Array("año".utf8))
        #expect(decoded.encoding == .utf8)
        #expect(String(decoding: decoded.text, as: UTF8.self) == "año")
    }

    @Test func invalidUTF8IsReadAsWindows1252() throws {
        // "Peña €" in Windows-1252: ñ = 0xF1, € = 0x80.
        let decoded = try TextDecoder.decodeUTF8OrWindows1252([0x50, 0x65, 0xF1, 0x61, 0x20, 0x80])
        #expect(decoded.encoding == .windows1252)
        #expect(String(decoding: decoded.text, as: UTF8.self) == "Peña €")
    }

    @Test func undefinedWindows1252ByteIsAnErrorNotAReplacement() {
        #expect(throws: TextDecodingError.self) {
            try TextDecoder.decodeUTF8OrWindows1252(Array("a\nb\n".utf8) + [0xF1, 0x81])
        }
        do {
            _ = try TextDecoder.decodeUTF8OrWindows1252(Array("a\nb\n".utf8) + [0xF1, 0x81])
        } catch {
            #expect(error.line == 3)
            #expect(error.byte == 0x81)
        }
    }

    @Test func bomFollowedByInvalidUTF8IsAnError() {
        #expect(throws: TextDecodingError.self) {
            try TextDecoder.decodeUTF8OrWindows1252([0xEF, 0xBB, 0xBF, 0x61, 0xF1])
        }
    }

    @Test func strictUTF8RefusesOverlongsAndSurrogates() {
        #expect(TextDecoder.firstInvalidUTF8Offset([0xC0, 0xAF]) == 0)            // overlong '/'
        #expect(TextDecoder.firstInvalidUTF8Offset([0x61, 0xED, 0xA0, 0x80]) == 1)  // surrogate
        #expect(TextDecoder.firstInvalidUTF8Offset([0xF4, 0x90, 0x80, 0x80]) == 0)  // > U+10FFFF
        #expect(TextDecoder.firstInvalidUTF8Offset(Array("ok ✓ 🧉 long ascii run here".utf8)) == nil)
        #expect(TextDecoder.firstInvalidUTF8Offset([0x61, 0xE2, 0x9C]) == 1)        // truncated
    }
}
