/// One back-office master as a table: its key, its value columns and what it refers to.
///
/// The loader stages a dump's rows against this description; `BackOfficeStore.replaceMaster`
/// then merges them with set-based SQL, so one mechanism serves every master.
public struct MasterTable: Sendable {
    public struct Reference: Sendable {
        /// Column of this table holding a code.
        public let column: String
        /// Table whose `code` it must name.
        public let table: String
    }

    public let name: String
    public let keyColumns: [String]
    public let valueColumns: [String]
    /// Columns whose empty text is stored as NULL (an optional reference).
    public let nullWhenEmpty: Set<String>
    public let references: [Reference]
    /// A table where small replacements list the keys they touched, so a delta export finds
    /// them without scanning the master (nil: the master is small enough to scan).
    public var changeLog: String? = nil

    /// The columns a staged row carries, keys first, in this order.
    public var stagedColumns: [String] { keyColumns + valueColumns }

    public static let priceLists = MasterTable(
        name: "price_lists", keyColumns: ["code"], valueColumns: ["name", "currency", "active"],
        nullWhenEmpty: [], references: [])

    public static let products = MasterTable(
        name: "products", keyColumns: ["code"], valueColumns: ["description", "unit", "tax_rate", "active"],
        nullWhenEmpty: [], references: [])

    public static let sellers = MasterTable(
        name: "sellers", keyColumns: ["code"],
        valueColumns: ["name", "email", "password_hash", "password_fingerprint", "active"],
        nullWhenEmpty: [], references: [])

    public static let clients = MasterTable(
        name: "clients", keyColumns: ["code"],
        valueColumns: ["name", "tax_id", "email", "price_list", "seller", "password_hash", "password_fingerprint", "active"],
        nullWhenEmpty: ["seller"],
        references: [Reference(column: "price_list", table: "price_lists"), Reference(column: "seller", table: "sellers")])

    public static let prices = MasterTable(
        name: "prices", keyColumns: ["price_list", "product"], valueColumns: ["price", "active"],
        nullWhenEmpty: [],
        references: [Reference(column: "price_list", table: "price_lists"), Reference(column: "product", table: "products")],
        changeLog: "price_changes")

    /// A replacement touching more records than this is not logged key by key: the change log
    /// then starts after it, and deltas across it scan the master (they are large anyway).
    public static let changeLogLimit = 50_000
}

/// A value of a staged master row.
public enum MasterValue: Sendable, Equatable {
    case text(String)
    case integer(Int64)

    /// The value as it is compared: text as is, integers in decimal.
    var text: String {
        switch self {
        case .text(let string): string
        case .integer(let number): String(number)
        }
    }
}

/// What a master replacement did.
public struct MasterReplacementResult: Sendable, Equatable {
    public var added = 0
    public var changed = 0
    public var deactivated = 0
    public var unchanged = 0
    /// Staged rows refused by the store (duplicate key, unknown reference), with their lines.
    public var rowErrors: [MasterRowError] = []

    public init() {}
}

/// A staged row the store could not use.
public struct MasterRowError: Sendable, Equatable {
    public let line: Int
    public let message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }
}
