/// A back-office order number, `PPPP-NNNNNNNN`: the point of sale, then that POS's own sequence.
public struct OrderNumber: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let pos: Int
    public let sequence: Int

    public init(pos: Int, sequence: Int) {
        self.pos = pos
        self.sequence = sequence
    }

    /// Parses `9900-00000001`; nil for anything else.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 8,
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let pos = Int(parts[0]), let sequence = Int(parts[1])
        else { return nil }
        self.init(pos: pos, sequence: sequence)
    }

    public var description: String {
        guard (0...9999).contains(pos), (0...99_999_999).contains(sequence) else {
            return pos.zeroPadded(4) + "-" + sequence.zeroPadded(8)
        }
        // Written digit by digit: one per accepted or held order in every ack and summary.
        return String(unsafeUninitializedCapacity: 13) { text in
            var rest = pos
            for index in (0..<4).reversed() {
                text[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            text[4] = UInt8(ascii: "-")
            rest = sequence
            for index in (5..<13).reversed() {
                text[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            return 13
        }
    }

    public static func < (lhs: OrderNumber, rhs: OrderNumber) -> Bool {
        (lhs.pos, lhs.sequence) < (rhs.pos, rhs.sequence)
    }
}
