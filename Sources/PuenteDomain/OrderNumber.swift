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
        pos.zeroPadded(4) + "-" + sequence.zeroPadded(8)
    }

    public static func < (lhs: OrderNumber, rhs: OrderNumber) -> Bool {
        (lhs.pos, lhs.sequence) < (rhs.pos, rhs.sequence)
    }
}
