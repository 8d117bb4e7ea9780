import ArgumentParser
import Foundation
import PuenteDomain
import PuenteExchange

extension Puente {
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reports on the back office's orders.",
            subcommands: [Orders.self])
    }
}

extension Puente.Report {
    struct Orders: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The posted orders (held, pending and later), by number.")

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case table, json
        }

        @OptionGroup var global: GlobalOptions

        @Option(help: "table (for people) or json (for scripts).")
        var format: Format = .table

        func run() throws {
            let context = try global.makeContext()
            let session = try Failure.guarding { try PuenteSession(configuration: context.configuration, logger: context.logger, access: .read) }
            let orders = try Failure.guarding { try session.orderSummaries() }
            switch format {
            case .json:
                let encoder = JSONEncoder()
                encoder.keyEncodingStrategy = .convertToSnakeCase
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(orders), as: UTF8.self))
            case .table:
                print(OrdersTable.text(orders))
            }
        }
    }
}

/// Orders as a plain text table, columns padded to their widest value.
enum OrdersTable {
    static func text(_ orders: [OrderSummary]) -> String {
        guard !orders.isEmpty else { return "No orders." }
        let header = ["number", "order", "date", "client", "name", "seller", "status", "lines", "total"]
        // Values from the site and the back office are shown escaped: one row, one line.
        let rows = orders.map { order in
            [order.number, order.order, String(order.date.prefix(16)).replacingOccurrences(of: "T", with: " "),
             order.client, order.clientName, order.seller ?? "", order.status, String(order.lines), order.total]
                .map(SafeText.forTerminal)
        }
        return TextTable.lines(header: header, rows: rows, rightAligned: [7, 8]).joined(separator: "\n")
            + "\n\(MastersSummary.plural(orders.count, "order"))"
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
