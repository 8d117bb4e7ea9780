import ArgumentParser
import Foundation
import PuenteDomain
import PuenteExchange

extension Puente {
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reports on the back office's orders.",
            subcommands: [Orders.self, Prices.self, Rejects.self])
    }
}

extension Puente.Report {
    struct Orders: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The posted orders (held, pending and later), by number: the \"Reporte de Pedidos\".",
            discussion: """
                Columns: number, web order id, POS, date, client code and name, seller, status, \
                line count, net total. --format csv writes the Excel dialect of the configured \
                locale (es-AR: ';', decimal comma, dd/mm/yyyy, UTF-8 with BOM, CRLF). Streamed: \
                any number of orders.
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case table, json, csv, xlsx, html
        }

        @OptionGroup var global: GlobalOptions

        @Option(help: "table (for people), json (for scripts), csv or xlsx (for a spreadsheet; xlsx needs --output), html (one page).")
        var format: Format = .table
        @Option(help: "Orders dated from this day on (yyyy-mm-dd).") var from: String?
        @Option(help: "Orders dated up to this day (yyyy-mm-dd).") var to: String?
        @Option(help: "Only orders with this status.") var status: OrderStatus?
        @Option(help: "Only the orders of this site (POS).") var site: Int?
        @Option(help: "Only this client's orders.") var client: String?
        @Option(help: "Only the orders this seller placed.") var seller: String?
        @Option(help: "Write the report to FILE (atomically) instead of standard output.") var output: String?

        func validate() throws {
            try Self.validateDays(from: from, to: to)
        }

        static func validateDays(from: String?, to: String?) throws {
            for (name, day) in [("--from", from), ("--to", to)] {
                guard let day else { continue }
                let parts = day.split(separator: "-")
                guard day.utf8.count == 10, parts.count == 3, parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
                else { throw ValidationError("\(name) \(day) is not a day like 2026-11-28") }
            }
        }

        func run() throws {
            let context = try global.makeContext()
            let session = try context.session(.read)
            let query = OrderQuery(from: from, to: to, status: status, pos: site, client: client, seller: seller)
            try ReportCommand.write(to: output, in: context) { sink in
                try session.reports().orders(query, format: ReportFormat(rawValue: format.rawValue)!, to: sink)
            }
        }
    }
}

extension Puente.Report {
    struct Rejects: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rejected and held orders with every reason, the file and the line.",
            discussion: "Table and csv: a row per reason; json: an object per order. --from and --to are the days the orders were taken.")

        @OptionGroup var global: GlobalOptions

        @Option(help: "table (for people), json (for scripts), csv or xlsx (for a spreadsheet; xlsx needs --output), html (one page).")
        var format: Orders.Format = .table
        @Option(help: "Orders taken from this day on (yyyy-mm-dd).") var from: String?
        @Option(help: "Orders taken up to this day (yyyy-mm-dd).") var to: String?
        @Option(help: "Only orders with this reason (a reason code, like price-mismatch).") var reason: ReasonCode?
        @Option(help: "Write the report to FILE (atomically) instead of standard output.") var output: String?

        func validate() throws {
            try Orders.validateDays(from: from, to: to)
        }

        func run() throws {
            let context = try global.makeContext()
            let session = try context.session(.read)
            try ReportCommand.write(to: output, in: context) { sink in
                try session.reports().rejects(from: from, to: to, reason: reason,
                                                  format: ReportFormat(rawValue: format.rawValue)!, into: sink)
            }
        }
    }
}

extension Puente.Report {
    struct Prices: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The price lists as the sites show them: the lists of the clients a package carries.")

        @OptionGroup var global: GlobalOptions

        @Option(help: "table (for people), json (for scripts), csv or xlsx (for a spreadsheet; xlsx needs --output), html (one page).")
        var format: Orders.Format = .table
        @Option(help: "Only this price list.") var list: String?
        @Option(help: "Write the report to FILE (atomically) instead of standard output.") var output: String?

        func run() throws {
            let context = try global.makeContext()
            let session = try context.session(.read)
            try ReportCommand.write(to: output, in: context) { sink in
                try session.reports().prices(list: list, format: ReportFormat(rawValue: format.rawValue)!, to: sink)
            }
        }
    }
}

extension ReasonCode: ExpressibleByArgument {}

/// Where a report command writes: `--output FILE` (atomically) or standard output.
enum ReportCommand {
    static func write(to output: String?, in context: CommandContext, _ body: (ReportOutput) throws -> Void) throws {
        try Failure.guarding {
            let sink = try output.map { try ReportOutput(file: URL(filePath: $0, relativeTo: context.workingDirectory)) }
                ?? ReportOutput()
            try body(sink)
            try sink.finish()
        }
    }
}

/// A plain text table for a terminal: columns padded to their widest cell, numbers to the right.
enum TextTable {
    static func lines(header: [String], rows: [[String]], rightAligned: Set<Int>) -> [String] {
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { cells in
            cells.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                return rightAligned.contains(index) ? pad + cell : cell + pad
            }.joined(separator: "  ")
        }
    }
}
