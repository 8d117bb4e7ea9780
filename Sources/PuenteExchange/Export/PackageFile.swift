import PuenteStore

/// One record set of an export package: its file names, its XML element and its fields.
struct PackageFile: Sendable {
    enum Format: Sendable {
        case text
        /// Ten-thousandths written as a decimal (`1200.00`, `0.3333`).
        case money
        /// Hundredths of a point written as a decimal (`21.00`, `10.50`).
        case rate
        /// `true` / `false`.
        case flag
        /// `PPPP-NNNNNNNN` from `pos × 100000000 + number` (one column): `OrderNumber`'s text.
        case orderNumber
    }

    let recordSet: ExportSet
    let element: String
    /// Field names, in the order of the store's columns for `set`.
    let fields: [(name: String, format: Format)]

    var name: String { recordSet.rawValue }

    static let all: [PackageFile] = [
        PackageFile(recordSet: .clients, element: "client", fields: [
            ("code", .text), ("name", .text), ("tax_id", .text), ("email", .text), ("price_list", .text),
            ("seller", .text), ("password_hash", .text), ("active", .flag)]),
        PackageFile(recordSet: .sellers, element: "seller", fields: [
            ("code", .text), ("name", .text), ("email", .text), ("password_hash", .text), ("active", .flag)]),
        PackageFile(recordSet: .sellerClients, element: "seller_client", fields: [
            ("seller", .text), ("client", .text), ("active", .flag)]),
        PackageFile(recordSet: .products, element: "product", fields: [
            ("code", .text), ("description", .text), ("unit", .text), ("tax_rate", .rate), ("active", .flag)]),
        PackageFile(recordSet: .priceLists, element: "price_list", fields: [
            ("code", .text), ("name", .text), ("currency", .text), ("active", .flag)]),
        PackageFile(recordSet: .prices, element: "price", fields: [
            ("price_list", .text), ("product", .text), ("price", .money), ("active", .flag)]),
        PackageFile(recordSet: .orderStatus, element: "status", fields: [
            ("order", .text), ("number", .orderNumber), ("status", .text), ("changed", .text)]),
    ]
}
