import Foundation

/// Codes (product codes) to their place in code order and a flag, for the look-up an import
/// makes for every order line: open addressing over the codes' UTF-8 bytes, one 24-byte slot
/// per place, the first 16 bytes of a code kept in the slot itself. A code of up to 16 bytes
/// (every code the benchmark and the samples have) is found with one memory access and no
/// `String` hashing; a longer one compares the rest with the codes' bytes kept end to end.
/// Built once from trusted masters (a fixed hash is enough: a look-up cannot add an entry).
struct CodeTable: Sendable {
    private struct Slot: Sendable {
        var head0: UInt64 = 0
        var head1: UInt64 = 0
        /// Bits 0–31: the entry's place + 1 (0: empty slot); 32–47: the code's length, up to
        /// 65,535; 48: the flag; 49–63: 15 bits of the hash, to skip most other codes unread.
        var meta: UInt64 = 0
    }

    private var slots: [Slot]
    private let mask: Int
    /// Every code's bytes, end to end, and where each ends (for codes over 16 bytes).
    private let bytes: [UInt8]
    private let ends: [Int]

    var count: Int { ends.count }

    /// The codes whose bytes are `bytes` end to end, the one at place `i` ending at `ends[i]`,
    /// with `flags[i]` each; a code given twice keeps its first place.
    init(bytes: [UInt8], ends: [Int], flags: [Bool]) {
        precondition(ends.count == flags.count && ends.count < Int(Int32.max))
        var size = 16
        while size * 7 < ends.count * 8 { size *= 2 }
        slots = [Slot](repeating: Slot(), count: size)
        mask = size - 1
        self.bytes = bytes
        self.ends = ends
        bytes.withUnsafeBufferPointer { all in
            for place in ends.indices {
                insert(place: place, code: UnsafeBufferPointer(rebasing: all[range(place)]), flag: flags[place])
            }
        }
    }

    /// How the code at `place` orders against `other`, byte by byte (SQLite's BINARY
    /// collation): negative, 0 or positive. For merging rows in key order with the codes.
    func compare(_ place: Int, _ other: UnsafeBufferPointer<UInt8>) -> Int32 {
        let range = range(place)
        let common = min(range.count, other.count)
        let order = common == 0 ? 0 : bytes.withUnsafeBufferPointer { memcmp($0.baseAddress! + range.lowerBound, other.baseAddress!, common) }
        return order != 0 ? order : Int32(range.count - other.count).signum()
    }

    /// Where the code at `place` is in `bytes`.
    private func range(_ place: Int) -> Range<Int> {
        (place == 0 ? 0 : ends[place - 1])..<ends[place]
    }

    /// The place and flag of `code`, if it is in the table.
    func find(_ code: String) -> (place: Int, flag: Bool)? {
        if let found = code.utf8.withContiguousStorageIfAvailable({ find($0) }) { return found }
        return Array(code.utf8).withUnsafeBufferPointer { find($0) }
    }

    func find(_ code: UnsafeBufferPointer<UInt8>) -> (place: Int, flag: Bool)? {
        guard code.count <= 0xFFFF else { return nil }
        let (head0, head1) = Self.heads(code)
        let hash = Self.hash(code, heads: (head0, head1))
        let expected = UInt64(code.count) << 32 | (hash >> 49) << 49
        let checked: UInt64 = 0xFFFF << 32 | 0x7FFF << 49
        return slots.withUnsafeBufferPointer { slots in
            var index = Int(truncatingIfNeeded: hash) & mask
            while true {
                let slot = slots[index]
                if slot.meta & 0xFFFF_FFFF == 0 { return nil }
                if slot.meta & checked == expected, slot.head0 == head0, slot.head1 == head1,
                   code.count <= 16 || rest(of: Int(slot.meta & 0xFFFF_FFFF) - 1, equals: code) {
                    return (Int(slot.meta & 0xFFFF_FFFF) - 1, slot.meta & (1 << 48) != 0)
                }
                index = (index + 1) & mask
            }
        }
    }

    private func rest(of place: Int, equals code: UnsafeBufferPointer<UInt8>) -> Bool {
        let range = range(place)
        guard range.count == code.count else { return false }
        return bytes[(range.lowerBound + 16)..<range.upperBound].elementsEqual(code[16...])
    }

    private mutating func insert(place: Int, code: UnsafeBufferPointer<UInt8>, flag: Bool) {
        precondition(code.count <= 0xFFFF, "a code of the masters is too long")
        let (head0, head1) = Self.heads(code)
        let hash = Self.hash(code, heads: (head0, head1))
        if find(code) != nil { return }
        var index = Int(truncatingIfNeeded: hash) & mask
        while slots[index].meta & 0xFFFF_FFFF != 0 { index = (index + 1) & mask }
        slots[index] = Slot(head0: head0, head1: head1,
                            meta: UInt64(place + 1) | UInt64(code.count) << 32 | (flag ? 1 << 48 : 0) | (hash >> 49) << 49)
    }

    /// The first 16 bytes, little-endian, zero-padded.
    @inline(__always)
    static func heads(_ code: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64) {
        var heads: (UInt64, UInt64) = (0, 0)
        if let base = code.baseAddress {
            withUnsafeMutableBytes(of: &heads) { $0.copyMemory(from: UnsafeRawBufferPointer(start: base, count: min(code.count, 16))) }
        }
        return (UInt64(littleEndian: heads.0), UInt64(littleEndian: heads.1))
    }

    /// A multiply-and-shift hash: the length, the first 16 bytes (as `heads` gives them), then
    /// the rest 8 bytes at a time.
    @inline(__always)
    static func hash(_ code: UnsafeBufferPointer<UInt8>, heads: (UInt64, UInt64)) -> UInt64 {
        var hash = (0x9E37_79B9_7F4A_7C15 &* UInt64(code.count + 1)) ^ heads.0
        hash = (hash ^ (hash >> 31)) &* 0xBF58_476D_1CE4_E5B9 ^ heads.1
        var start = 16
        while start < code.count, let base = code.baseAddress {
            var word: UInt64 = 0
            withUnsafeMutableBytes(of: &word) {
                $0.copyMemory(from: UnsafeRawBufferPointer(start: base + start, count: min(code.count - start, 8)))
            }
            hash = (hash ^ (hash >> 31)) &* 0xBF58_476D_1CE4_E5B9 ^ UInt64(littleEndian: word)
            start += 8
        }
        hash = (hash ^ (hash >> 29)) &* 0x94D0_49BB_1331_11EB
        return hash ^ (hash >> 32)
    }
}
