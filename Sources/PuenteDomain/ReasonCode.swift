/// Why an order, or a whole file, did not simply go through. The raw values are the contract's
/// codes and never change.
public enum ReasonCode: String, CaseIterable, Sendable, Codable, CodingKeyRepresentable, Comparable {
    // An order's reasons.
    case unknownPOS = "unknown-pos"
    case unknownClient = "unknown-client"
    case clientInactive = "client-inactive"
    case clientNotWebEnabled = "client-not-web-enabled"
    case unknownSeller = "unknown-seller"
    case sellerInactive = "seller-inactive"
    case sellerNotWebEnabled = "seller-not-web-enabled"
    case clientNotAssignedToSeller = "client-not-assigned-to-seller"
    case unknownProduct = "unknown-product"
    case productInactive = "product-inactive"
    case noPrice = "no-price"
    case priceMismatch = "price-mismatch"
    case invalidQuantity = "invalid-quantity"
    case invalidPrice = "invalid-price"
    case invalidDate = "invalid-date"
    case emptyOrder = "empty-order"
    case conflictingDuplicate = "conflicting-duplicate"

    // A whole file's reasons.
    case malformedXML = "malformed-xml"
    case doctypeNotAllowed = "doctype-not-allowed"
    case schemaViolation = "schema-violation"
    case malformedCSV = "malformed-csv"
    case unsupportedEncoding = "unsupported-encoding"
    case fileTooLarge = "file-too-large"

    public static func < (lhs: ReasonCode, rhs: ReasonCode) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// What happened to an order.
public enum OrderOutcome: String, Sendable, Codable, CodingKeyRepresentable, CaseIterable {
    /// Posted as `pending`.
    case accepted
    /// Posted as `held`, waiting for a person.
    case held
    /// Not posted; kept with its reasons.
    case rejected
    /// Already posted with the same content: nothing changes.
    case duplicate
}

/// What the configuration says to do with the two reasons that may only hold an order.
public struct ValidationPolicy: Sendable, Equatable {
    public var holdPriceMismatch: Bool
    public var holdInactiveProduct: Bool
    /// Allowed difference per unit price.
    public var priceTolerance: Money

    public init(holdPriceMismatch: Bool = true, holdInactiveProduct: Bool = true, priceTolerance: Money = .zero) {
        self.holdPriceMismatch = holdPriceMismatch
        self.holdInactiveProduct = holdInactiveProduct
        self.priceTolerance = priceTolerance
    }

    /// Whether `code` holds the order (true) or rejects it (false).
    public func holds(_ code: ReasonCode) -> Bool {
        switch code {
        case .priceMismatch: holdPriceMismatch
        case .productInactive: holdInactiveProduct
        default: false
        }
    }
}

/// One reason an order got, with what it is about: `price-mismatch` on line 14 for P01234,
/// expected 1200.00, got 1234.50.
public struct OrderReason: Sendable, Equatable, Codable {
    public var code: ReasonCode
    /// The line of the file the reason is about (the order's first line for order-wide reasons).
    public var line: Int
    /// For a reason about one order line, its position in the order (from 1): a site that
    /// writes its XML on one physical line still learns which line is meant.
    public var item: Int?
    public var product: String?
    public var expected: String?
    public var got: String?
    /// What is wrong when the code alone does not say (an amount that cannot be represented).
    public var message: String?

    public init(_ code: ReasonCode, line: Int, item: Int? = nil, product: String? = nil, expected: String? = nil,
                got: String? = nil, message: String? = nil) {
        self.code = code
        self.line = line
        self.item = item
        self.product = product
        self.expected = expected
        self.got = got
        self.message = message
    }

    /// `price-mismatch for P01234 (list 1200.00, got 1234.50)`.
    public var summary: String {
        var text = code.rawValue
        if let product { text += " for \(product)" }
        switch (expected, got) {
        case let (expected?, got?): text += " (list \(expected), got \(got))"
        case let (nil, got?): text += " (\(got))"
        default: break
        }
        if let message { text += ": \(message)" }
        return text
    }
}

extension OrderReason {
    /// `reasons` as the JSON array the store keeps (`[]` for none), keys sorted, as
    /// `JSONEncoder` with `.sortedKeys` writes them and `JSONDecoder` reads them back: written
    /// by hand because an import writes one for every held and rejected order.
    public static func json(_ reasons: [OrderReason]) -> String {
        guard !reasons.isEmpty else { return "[]" }
        var text = "["
        for (index, reason) in reasons.enumerated() {
            if index > 0 { text += "," }
            text += "{\"code\":"
            appendQuoted(reason.code.rawValue, to: &text)
            if let expected = reason.expected { text += ",\"expected\":"; appendQuoted(expected, to: &text) }
            if let got = reason.got { text += ",\"got\":"; appendQuoted(got, to: &text) }
            if let item = reason.item { text += ",\"item\":\(item)" }
            text += ",\"line\":\(reason.line)"
            if let message = reason.message { text += ",\"message\":"; appendQuoted(message, to: &text) }
            if let product = reason.product { text += ",\"product\":"; appendQuoted(product, to: &text) }
            text += "}"
        }
        return text + "]"
    }

    /// A JSON string (RFC 8259): `"` and `\` escaped, control characters as `\n`… or `\u00XX`.
    private static func appendQuoted(_ value: String, to text: inout String) {
        text += "\""
        guard value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
            text += value
            text += "\""
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}
