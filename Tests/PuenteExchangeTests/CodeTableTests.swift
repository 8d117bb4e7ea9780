import Foundation
import PuenteTestSupport
@testable import PuenteStore
import Testing

@Suite struct CodeTableTests {
    /// Codes of every length from 0 to 40 bytes, many sharing their first 16 bytes, some
    /// differing only in length or past byte 16, some not ASCII, checked against a dictionary.
    @Test func findsEveryCodeAtItsPlaceAndNothingElse() throws {
        var generator = SplitMix(seed: 42)
        var codes: [String] = ["", "P", "P\u{0}", "Ñandú-Ω-€", String(repeating: "x", count: 16), String(repeating: "x", count: 17)]
        let shared = "PRODUCTO-LARGO-0"   // 16 bytes
        for index in 0..<200_000 {
            switch index % 4 {
            case 0: codes.append("P\(String(format: "%06d", index))")
            // All of one length with the same first 16 bytes: only the rest tells them apart
            // (the slot's 15 bits of hash agree for some of them).
            case 1: codes.append(shared + String(format: "%06d", generator.next() % 1_000_000))
            case 2: codes.append(String((0..<Int(generator.next() % 41)).map { _ in Character(Unicode.Scalar(UInt8(33 + generator.next() % 90))) }))
            default: codes.append("ñ\(index)€")
            }
        }
        var reference: [String: (place: Int, flag: Bool)] = [:]
        var bytes: [UInt8] = []
        var ends: [Int] = []
        var flags: [Bool] = []
        for code in codes {
            let flag = generator.next() % 3 != 0
            if reference[code] == nil { reference[code] = (ends.count, flag) }
            bytes += Array(code.utf8)
            ends.append(bytes.count)
            flags.append(flag)
        }
        let table = CodeTable(bytes: bytes, ends: ends, flags: flags)
        #expect(table.count == codes.count)
        for (code, expected) in reference {
            let found = table.find(code)
            #expect(found?.place == expected.place && found?.flag == expected.flag, "\(code)")
        }
        let absent = (0..<20_000).map { shared + String(format: "%06d", $0) }
        for missing in ["Q000000", shared, shared + "x", "P\u{0}\u{0}", String(repeating: "x", count: 18), "ñ", "P0000000"] + absent
            where reference[missing] == nil {
            #expect(table.find(missing) == nil, "\(missing)")
        }
        // Two codes of one length, the same first 16 bytes, the same 15 bits of hash kept in
        // the slot and the same first slot in a small table: only the rest tells them apart.
        var seen: [UInt64: String] = [:]
        var pair: (String, String)?
        for number in 0..<200_000 where pair == nil {
            let code = shared + String(format: "%06d", number)
            let hash = Array(code.utf8).withUnsafeBufferPointer { CodeTable.hash($0, heads: CodeTable.heads($0)) }
            let key = (hash >> 49) << 4 | (hash & 15)
            if let other = seen[key] { pair = (other, code) } else { seen[key] = code }
        }
        let (first, second) = try #require(pair)
        let colliding = CodeTable(bytes: Array((first + second).utf8), ends: [first.utf8.count, first.utf8.count * 2], flags: [true, false])
        #expect(colliding.find(first)?.place == 0 && colliding.find(second)?.place == 1 && colliding.find(second)?.flag == false)
        #expect(colliding.find(shared + "999999x") == nil)

        // A code given twice keeps its first place.
        let twice = CodeTable(bytes: Array("AAB".utf8), ends: [1, 2, 3], flags: [true, false, true])
        #expect(twice.find("A")?.place == 0 && twice.find("A")?.flag == true && twice.find("B")?.place == 2)
    }
}
