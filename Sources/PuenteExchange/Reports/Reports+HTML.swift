import Foundation
import PuenteDomain
import PuenteStore

/// One self-contained HTML page (no file, font or script from elsewhere; its style inline; a
/// Content-Security-Policy that allows nothing else), every value escaped: a client named
/// `<script>` is shown, never run. Written as well-formed XML too (XHTML), so a program can
/// read it back.
struct HTMLPage {
    private let output: ReportOutput
    private let spanish: Bool

    init(_ output: ReportOutput, title: String, spanish: Bool) throws {
        self.output = output
        self.spanish = spanish
        try output.write("""
            <!DOCTYPE html>
            <html xmlns="http://www.w3.org/1999/xhtml" lang="\(spanish ? "es-AR" : "en")"><head><meta charset="utf-8"/>
            <meta name="viewport" content="width=device-width, initial-scale=1"/>
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"/>
            <title>\(Self.escaped(title))</title>
            <style>
            body { font: 14px/1.45 system-ui, sans-serif; margin: 2em; color: #1d2530; }
            h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; }
            table { border-collapse: collapse; margin: .5em 0; }
            th, td { border-bottom: 1px solid #dde3ea; padding: .3em .7em; text-align: left; vertical-align: top; }
            th { background: #f2f5f8; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
            code { background: #f2f5f8; padding: .1em .3em; border-radius: 3px; }
            .muted { color: #667; } svg text { font: 12px system-ui, sans-serif; }
            </style></head><body>
            <h1>\(Self.escaped(title))</h1>

            """)
    }

    func write(_ html: String) throws { try output.write(html) }

    func finish() throws { try output.write("</body></html>\n") }

    /// A horizontal bar chart in inline SVG: one bar per label, its count written beside it.
    func barChart(_ bars: [(label: String, count: Int, color: String)]) throws {
        guard !bars.isEmpty else { return }
        let top = max(1, bars.map(\.count).max() ?? 1)
        let height = bars.count * 26 + 10
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"\(height)\" role=\"img\">"
        for (index, bar) in bars.enumerated() {
            let y = 5 + index * 26
            let width = max(2, 380 * bar.count / top)
            svg += "<text x=\"0\" y=\"\(y + 15)\">\(Self.escaped(bar.label))</text>"
            svg += "<rect x=\"210\" y=\"\(y)\" width=\"\(width)\" height=\"20\" fill=\"\(bar.color)\"/>"
            svg += "<text x=\"\(216 + width)\" y=\"\(y + 15)\">\(bar.count)</text>"
        }
        try output.write(svg + "</svg>\n")
    }

    /// The start of a table with these column names (`n`: right-aligned numbers).
    func tableStart(_ header: [String]) throws {
        try output.write("<table><tr>" + header.map { "<th>\(Self.escaped($0))</th>" }.joined() + "</tr>\n")
    }

    func tableRow(_ cells: [String], numeric: Set<Int> = []) throws {
        try output.write("<tr>" + cells.enumerated().map { index, cell in
            numeric.contains(index) ? "<td class=\"n\">\(Self.escaped(cell))</td>" : "<td>\(Self.escaped(cell))</td>"
        }.joined() + "</tr>\n")
    }

    func tableEnd() throws { try output.write("</table>\n") }

    /// Text for HTML: `&`, `<`, `>`, quotes escaped; characters XML cannot carry shown escaped.
    static func escaped(_ text: String) -> String {
        var result = ""
        for character in SafeText.escapingNonXMLCharacters(text) {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}

extension Reports {
    /// The admin's day as one page: orders per outcome and rejected or held orders per reason
    /// (inline SVG), the held orders with what to do about each, the rejected ones with their
    /// reasons; for the days `from`…`to` the orders were taken.
    func rejectsPage(from: String?, to: String?, reason: ReasonCode?, into output: ReportOutput) throws -> Int {
        let spanish = locale != "en-US"
        // Two passes over the rows: the totals come first on the page.
        var outcomes: [OrderOutcome: Int] = [:]
        var reasons: [ReasonCode: Int] = [:]
        try store.forEachOrderNeedingAttention(from: from, to: to, reason: reason) { order in
            outcomes[order.outcome, default: 0] += 1
            for reason in order.reasons { reasons[reason.code, default: 0] += 1 }
        }
        var posted: [String: Int] = [:]
        try store.forEachOrderSummary(OrderQuery(from: from, to: to)) { posted[$0.status, default: 0] += 1 }

        let days = [from, to].compactMap { $0 }.joined(separator: " – ")
        let page = try HTMLPage(output, title: (spanish ? "Pedidos a revisar" : "Orders to look at")
                                    + (days.isEmpty ? "" : " · \(days)"), spanish: spanish)
        try page.write("<h2>\(spanish ? "Pedidos por resultado" : "Orders by outcome")</h2>\n")
        try page.barChart(
            posted.sorted { $0.key < $1.key }.map { (label: $0.key, count: $0.value, color: "#4c8bd6") }
            + [(label: "rejected", count: outcomes[.rejected] ?? 0, color: "#d0584f")])
        try page.write("<h2>\(spanish ? "Motivos" : "Reasons")</h2>\n")
        try page.barChart(reasons.sorted { $0.key < $1.key }.map { (label: $0.key.rawValue, count: $0.value, color: "#e0a43a") })

        var count = 0
        for outcome in [OrderOutcome.held, .rejected] {
            try page.write(outcome == .held
                ? "<h2>\(spanish ? "Retenidos: qué hacer" : "Held: what to do")</h2>\n"
                : "<h2>\(spanish ? "Rechazados" : "Rejected")</h2>\n")
            try page.tableStart(outcome == .held
                ? (spanish ? ["Número", "Pedido web", "Cliente", "Archivo y línea", "Motivos", "Qué hacer"]
                   : ["Number", "Web order", "Client", "File and line", "Reasons", "What to do"])
                : (spanish ? ["Pedido web", "PV", "Cliente", "Archivo y línea", "Motivos"]
                   : ["Web order", "POS", "Client", "File and line", "Reasons"]))
            try store.forEachOrderNeedingAttention(from: from, to: to, reason: reason) { order in
                guard order.outcome == outcome else { return }
                count += 1
                let lineWord = spanish ? "línea" : "line"
                let why = order.reasons.map { "\(lineWord) \($0.line): \($0.summary)" }.joined(separator: "; ")
                let place = "\(order.file) \(lineWord) \(order.line)"
                if outcome == .held, let number = order.number {
                    let mismatch = order.reasons.contains { $0.code == .priceMismatch }
                    let todo = (mismatch ? "puente orders release \(number) --reprice" : "puente orders release \(number)")
                        + (spanish ? " · o · " : " · or · ") + "puente orders reject \(number) --reason …"
                    try page.tableRow([number.description, order.order, order.client, place, why, todo])
                } else {
                    try page.tableRow([order.order, order.pos.map(String.init) ?? "", order.client, place, why])
                }
            }
            try page.tableEnd()
        }
        try page.finish()
        return count
    }

    /// The orders `query` takes as one page: a table.
    func ordersPage(_ query: OrderQuery, into output: ReportOutput) throws -> Int {
        let spanish = locale != "en-US"
        let people = PeopleCSV(locale: locale)
        let page = try HTMLPage(output, title: spanish ? "Reporte de Pedidos" : "Orders", spanish: spanish)
        try page.tableStart(people.orderHeader)
        var count = 0
        try store.forEachOrderSummary(query) { order in
            count += 1
            try page.tableRow([order.number, order.order, String(order.pos), people.date(order.date), order.client,
                               order.clientName, order.seller ?? "", order.status, String(order.lines),
                               people.number(order.total)], numeric: [8, 9])
        }
        try page.tableEnd()
        try page.write("<p class=\"muted\">\(count) \(spanish ? "pedidos" : "orders")</p>\n")
        try page.finish()
        return count
    }

    /// The prices as the sites are given them, as one page.
    func pricesPage(list: String?, into output: ReportOutput) throws -> Int {
        let people = PeopleCSV(locale: locale)
        let page = try HTMLPage(output, title: people.spanish ? "Listas de precios" : "Price lists", spanish: people.spanish)
        try page.tableStart(people.pricesHeader)
        var count = 0
        try store.forEachSitePrice(list: list) { price in
            count += 1
            try page.tableRow([price.priceList, price.listName, price.currency, price.product, price.description, price.unit,
                               people.number(price.taxRate.formatted()), people.number(price.price.formatted()),
                               price.productActive ? (people.spanish ? "S" : "Y") : "N"], numeric: [6, 7])
        }
        try page.tableEnd()
        try page.finish()
        return count
    }
}
