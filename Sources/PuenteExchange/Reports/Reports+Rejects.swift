import Foundation
import PuenteDomain
import PuenteFormats
import PuenteStore

extension Reports {
    /// Rejected and held orders with every reason, the file and the line: what an admin works
    /// through, those taken on the days `from`…`to` with a reason `reason` (all when nil). Table
    /// and CSV have a row per reason (a spreadsheet filters by code); JSON an object per order
    /// with its reasons. The number of orders.
    @discardableResult
    public func rejects(from: String? = nil, to: String? = nil, reason: ReasonCode? = nil, format: ReportFormat,
                        into output: ReportOutput) throws -> Int {
        var count = 0
        func each(_ body: (OrderAttention) throws -> Void) throws {
            try store.forEachOrderNeedingAttention(from: from, to: to, reason: reason) { order in
                count += 1
                try body(order)
            }
        }
        switch format {
        case .table:
            let table = FixedColumns(widths: [8, 14, 13, 16, 10, 30, 6, 60], lastRunsOn: true)
            try output.write(table.row(["outcome", "order", "number", "taken", "client", "file", "line", "reason"]))
            try each { order in
                for reason in order.reasons {
                    try output.write(table.row([
                        order.outcome.rawValue, order.order, order.number?.description ?? "",
                        String(order.taken.prefix(16)).replacingOccurrences(of: "T", with: " "), order.client, order.file,
                        String(reason.line), reason.summary,
                    ].map(SafeText.forTerminal)))
                }
            }
            try output.write(count == 1 ? "1 order\n" : "\(count) orders\n")
        case .json:
            var array = JSONArrayWriter(output)
            try each { order in
                try array.append(RejectJSON(outcome: order.outcome.rawValue, order: order.order, pos: order.pos,
                                      number: order.number?.description, date: order.date, client: order.client,
                                      seller: order.seller, file: order.file, line: order.line, taken: order.taken,
                                      reasons: order.reasons))
            }
            try array.finish()
        case .csv:
            let people = PeopleCSV(locale: locale)
            var writer = PeopleCSVWriter(output, locale: locale, header: people.rejectsHeader)
            try each { order in
                for reason in order.reasons {
                    try writer.append([
                        order.outcome.rawValue, PeopleCSV.text(order.order), order.number?.description ?? "",
                        order.pos.map(String.init) ?? "", PeopleCSV.text(order.date), people.date(order.taken),
                        PeopleCSV.text(order.client), PeopleCSV.text(order.seller ?? ""), PeopleCSV.text(order.file),
                        String(reason.line), reason.code.rawValue, PeopleCSV.text(reason.product ?? ""),
                        reason.expected.map(people.number) ?? "", PeopleCSV.text(reason.got ?? ""),
                        PeopleCSV.text(reason.message ?? ""),
                    ])
                }
            }
            try writer.finish()
        case .xlsx:
            let people = PeopleCSV(locale: locale)
            let sheet = try workbook(output, sheet: people.spanish ? "Rechazos" : "Rejects", header: people.rejectsHeader)
            try each { order in
                for reason in order.reasons {
                    try sheet.append([
                        .text(order.outcome.rawValue), .text(order.order), .text(order.number?.description ?? ""),
                        order.pos.map { .integer($0) } ?? .empty, .text(order.date), Self.day(order.taken),
                        .text(order.client), .text(order.seller ?? ""), .text(order.file), .integer(reason.line),
                        .text(reason.code.rawValue), .text(reason.product ?? ""),
                        reason.expected.flatMap { Money($0) }.map { .money($0) } ?? .empty, .text(reason.got ?? ""),
                        .text(reason.message ?? ""),
                    ])
                }
            }
            try sheet.finish()
        case .html:
            count = try rejectsPage(from: from, to: to, reason: reason, into: output)
        }
        return count
    }

    struct RejectJSON: Encodable {
        let outcome: String
        let order: String
        let pos: Int?
        let number: String?
        let date: String
        let client: String
        let seller: String?
        let file: String
        let line: Int
        let taken: String
        let reasons: [OrderReason]
    }
}
