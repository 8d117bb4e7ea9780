import Foundation
import PuenteDomain
import PuenteFormats
import PuenteStore

/// How a report is written.
public enum ReportFormat: String, CaseIterable, Sendable {
    /// Aligned columns for a terminal (wide ones cut with `…`).
    case table
    /// An array of objects with the contract's keys, for scripts.
    case json
    /// For people's spreadsheets: the `locale`'s Excel dialect.
    case csv
    /// A workbook (numbers as numbers, days as dates); only to a file.
    case xlsx
    /// One self-contained page for a browser.
    case html
}

/// The reports people open, each streamed row by row whatever the number of rows, in the
/// configured locale: orders, prices, rejects.
public struct Reports: Sendable {
    let store: BackOfficeStore
    let locale: String

    init(store: BackOfficeStore, locale: String) {
        self.store = store
        self.locale = locale
    }

    /// "Reporte de Pedidos": the posted orders (held, pending and later) `query` takes, as an
    /// admin and an accountant read them, in `format` to `output` (finished by the caller);
    /// the number of orders.
    @discardableResult
    public func orders(_ query: OrderQuery, format: ReportFormat, to output: ReportOutput) throws -> Int {
        var count = 0
        switch format {
        case .table:
            let table = FixedColumns(widths: [13, 14, 16, 10, 30, 8, 14, 5, 14], rightAligned: [7, 8])
            try output.write(table.row(["number", "order", "date", "client", "name", "seller", "status", "lines", "total"]))
            try store.forEachOrderSummary(query) { order in
                count += 1
                try output.write(table.row([
                    order.number, order.order, String(order.date.prefix(16)).replacingOccurrences(of: "T", with: " "),
                    order.client, order.clientName, order.seller ?? "", order.status, String(order.lines), order.total,
                ].map(SafeText.forTerminal)))
            }
            try output.write(count == 1 ? "1 order\n" : "\(count) orders\n")
        case .json:
            var array = JSONArrayWriter(output)
            try store.forEachOrderSummary(query) { order in
                count += 1
                try array.append(order)
            }
            try array.finish()
        case .csv:
            let dialect = PeopleCSV(locale: locale)
            var writer = PeopleCSVWriter(output, locale: locale, header: dialect.orderHeader)
            try store.forEachOrderSummary(query) { order in
                count += 1
                try writer.append([
                    PeopleCSV.text(order.number), PeopleCSV.text(order.order), String(order.pos), dialect.date(order.date),
                    PeopleCSV.text(order.client), PeopleCSV.text(order.clientName), PeopleCSV.text(order.seller ?? ""),
                    PeopleCSV.text(order.status), String(order.lines), dialect.number(order.total),
                ])
            }
            try writer.finish()
        case .xlsx:
            let people = PeopleCSV(locale: locale)
            let sheet = try workbook(output, sheet: "Pedidos", header: people.orderHeader)
            try store.forEachOrderSummary(query) { order in
                count += 1
                try sheet.append([.text(order.number), .text(order.order), .integer(order.pos), Self.day(order.date),
                                  .text(order.client), .text(order.clientName), .text(order.seller ?? ""), .text(order.status),
                                  .integer(order.lines), Money(order.total).map { .money($0) } ?? .text(order.total)])
            }
            try sheet.finish()
        case .html:
            count = try ordersPage(query, into: output)
        }
        return count
    }

    /// A workbook written to `output`'s temporary file (an xlsx goes to a file, never stdout).
    func workbook(_ output: ReportOutput, sheet: String, header: [String]) throws -> XlsxSheetWriter {
        guard let path = output.temporaryPath else {
            throw PuenteError(.usage, "an xlsx workbook goes to a file: name it with --output")
        }
        return try XlsxSheetWriter(path: path, sheetName: sheet, header: header,
                                   dateFormat: locale == "en-US" ? "mm/dd/yyyy" : "dd/mm/yyyy",
                                   temporaryFolder: NSTemporaryDirectory())
    }

    /// The day of an ISO 8601 moment (`2026-11-28T…`) as a date cell; text when it is none.
    static func day(_ iso: String) -> XlsxSheetWriter.Cell {
        let parts = iso.prefix(10).split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, iso.utf8.count >= 10 else { return .text(iso) }
        return .day(year: parts[0], month: parts[1], day: parts[2])
    }
}

/// CSV streamed for people: the locale's Excel dialect, a header, then rows as they come
/// (64 KiB at a time to the output).
struct PeopleCSVWriter {
    private let output: ReportOutput
    private var writer: CSVWriter

    init(_ output: ReportOutput, locale: String, header: [String]) {
        self.output = output
        writer = CSVWriter(dialect: .excel(locale: locale))
        writer.write(header)
    }

    mutating func append(_ cells: [String]) throws {
        writer.write(cells)
        if writer.buffer.count >= 1 << 16 { try output.write(writer.takeBytes()) }
    }

    mutating func finish() throws { try output.write(writer.takeBytes()) }
}

/// A table streamed to a terminal: a stream cannot measure its widest cell, so each column has
/// a width and wider text is cut with `…` (the last column may run on).
struct FixedColumns {
    let widths: [Int]
    var rightAligned: Set<Int> = []
    var lastRunsOn = false

    func row(_ cells: [String]) -> String {
        var line = ""
        for (index, cell) in cells.enumerated() {
            let width = widths[index]
            let count = cell.count
            let last = index == widths.count - 1
            let shown = count > width && !(last && lastRunsOn) ? String(cell.prefix(width - 1)) + "…" : cell
            let pad = String(repeating: " ", count: max(0, width - shown.count))
            if index > 0 { line += "  " }
            line += rightAligned.contains(index) ? pad + shown : shown + pad
        }
        while line.last == " " { line.removeLast() }
        return line + "\n"
    }
}

/// A JSON array streamed an element at a time (keys in snake case, sorted).
struct JSONArrayWriter {
    private let output: ReportOutput
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
    private var empty = true

    init(_ output: ReportOutput) { self.output = output }

    mutating func append(_ value: some Encodable) throws {
        try output.write((empty ? "[\n  " : ",\n  ") + String(decoding: try encoder.encode(value), as: UTF8.self))
        empty = false
    }

    func finish() throws { try output.write(empty ? "[]\n" : "\n]\n") }
}

/// CSV for people: what Excel with the `locale`'s settings opens cleanly (es-AR: `;`, decimal
/// comma, `dd/mm/yyyy`; en-US: `,`, decimal point, `mm/dd/yyyy`; UTF-8 with BOM and CRLF both),
/// text that a spreadsheet would take for a formula neutralised, numbers never altered.
struct PeopleCSV {
    let locale: String

    var spanish: Bool { locale != "en-US" }

    var orderHeader: [String] {
        spanish
            ? ["Número", "Pedido web", "PV", "Fecha", "Cliente", "Nombre", "Vendedor", "Estado", "Líneas", "Total neto"]
            : ["Number", "Web order", "POS", "Date", "Client", "Name", "Seller", "Status", "Lines", "Net total"]
    }

    var pricesHeader: [String] {
        spanish
            ? ["Lista", "Nombre de la lista", "Moneda", "Producto", "Descripción", "Unidad", "IVA %", "Precio", "Activo"]
            : ["List", "List name", "Currency", "Product", "Description", "Unit", "VAT %", "Price", "Active"]
    }

    var rejectsHeader: [String] {
        spanish
            ? ["Resultado", "Pedido web", "Número", "PV", "Fecha del pedido", "Tomado", "Cliente", "Vendedor", "Archivo",
               "Línea", "Motivo", "Producto", "Esperado", "Recibido", "Detalle"]
            : ["Outcome", "Web order", "Number", "POS", "Order date", "Taken", "Client", "Seller", "File", "Line",
               "Reason", "Product", "Expected", "Got", "Detail"]
    }

    /// `1234.50` in the locale's way (`1234,50`): a number cell, never neutralised.
    func number(_ text: String) -> String {
        spanish ? text.replacingOccurrences(of: ".", with: ",") : text
    }

    /// The day of an ISO 8601 date (`2026-11-28T…`) as `28/11/2026` (or `11/28/2026`).
    func date(_ iso: String) -> String {
        let parts = iso.prefix(10).split(separator: "-")
        guard parts.count == 3 else { return Self.text(iso) }
        return spanish ? "\(parts[2])/\(parts[1])/\(parts[0])" : "\(parts[1])/\(parts[2])/\(parts[0])"
    }

    /// A text cell: one beginning with `=`, `+`, `-`, `@`, a tab or a CR would be a formula to a
    /// spreadsheet (`=HYPERLINK(…)` in a client's name): it gets a leading `'`, which shows the
    /// text as it is.
    static func text(_ value: String) -> String {
        guard let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return value }
        return "'" + value
    }
}

extension CSVWriter.Dialect {
    /// The Excel dialect of a locale (`es-AR`: `;`; `en-US`: `,`), UTF-8 with BOM, CRLF.
    static func excel(locale: String) -> CSVWriter.Dialect {
        locale == "en-US" ? CSVWriter.Dialect(delimiter: UInt8(ascii: ","), lineEnding: [0x0D, 0x0A], byteOrderMark: true)
            : .excelSpanish
    }
}
