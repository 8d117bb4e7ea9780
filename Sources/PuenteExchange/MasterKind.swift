import PuenteStore

/// The back-office dumps `puente masters load` understands, in the order a folder is loaded
/// (a client names a price list and a seller, a price a list and a product).
public enum MasterKind: String, CaseIterable, Codable, Sendable {
    case priceLists = "price_lists"
    case products
    case sellers
    case clients
    case prices
    case orderStatus = "order_status"

    /// The dump's file name.
    public var fileName: String { rawValue + ".csv" }

    /// The contract's columns, in the contract's order.
    public var columns: [String] {
        switch self {
        case .priceLists: ["code", "name", "currency"]
        case .products: ["code", "description", "unit", "tax_rate", "active"]
        case .sellers: ["code", "name", "email", "web_password", "active"]
        case .clients: ["code", "name", "tax_id", "email", "price_list", "seller", "web_password", "active"]
        case .prices: ["price_list", "product", "price"]
        case .orderStatus: ["number", "status"]
        }
    }

    /// Columns a dump may leave out: a missing `active` means every row is active.
    var optionalColumns: Set<String> { ["active"] }

    /// The store table a full replacement goes to (nil for order_status, which is not one).
    var table: MasterTable? {
        switch self {
        case .priceLists: .priceLists
        case .products: .products
        case .sellers: .sellers
        case .clients: .clients
        case .prices: .prices
        case .orderStatus: nil
        }
    }

    /// Clients and sellers: dumps with web passwords, hashed with bcrypt when they change.
    var hasPasswords: Bool { self == .clients || self == .sellers }

    /// The kind whose file name matches `name` (any case).
    public init?(fileName name: String) {
        guard let kind = Self.allCases.first(where: { $0.fileName == name.lowercased() }) else { return nil }
        self = kind
    }
}
