import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import PuenteDomain
@testable import PuenteExchange
import PuenteStore
import PuenteTestSupport
import Testing

/// The "Reporte de Pedidos" as its readers get it, on the morning and afternoon samples.
@Suite struct OrderReportTests {
    func fixture() throws -> ImportFixture {
        let fixture = try ImportFixture()
        try fixture.drop(sample: "pedidos-2026-11-28-manana.xml")
        try fixture.drop(sample: "pedidos-2026-11-28-tarde.csv")
        _ = try fixture.importer().run()
        return fixture
    }

    func report(_ fixture: ImportFixture, _ query: OrderQuery = OrderQuery(), format: ReportFormat,
                locale: String = "es-AR") throws -> [UInt8] {
        let url = fixture.base.folder.url.appending(path: "report-\(UUID().uuidString)")
        let output = try ReportOutput(file: url)
        try Reports(store: fixture.store, locale: locale).orders(query, format: format, to: output)
        try output.finish()
        return Array(try Data(contentsOf: url))
    }

    /// The bytes Excel with Spanish (Argentina) settings opens cleanly: BOM, `;`, CRLF, decimal
    /// comma, `dd/mm/yyyy`, a name that is a formula neutralised.
    @Test func csvForAnAccountantInArgentina() throws {
        let fixture = try fixture()
        defer { fixture.remove() }
        try fixture.base.store.database.write { db in
            try db.execute(sql: #"UPDATE clients SET name = '=HYPERLINK("x")' WHERE code = 'C0001'"#)
        }
        let bytes = try report(fixture, format: .csv)
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let text = String(decoding: bytes.dropFirst(3), as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines.first == "Número;Pedido web;PV;Fecha;Cliente;Nombre;Vendedor;Estado;Líneas;Total neto")
        #expect(lines[1] == #"9900-00000001;W-10045;9900;28/11/2026;C0001;"'=HYPERLINK(""x"")";;pending;2;40549,52"#)
        #expect(lines.last == "", "every row ends with CRLF")
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(lines.count == 1 + 5 + 1)
    }

    @Test func numbersAndTextInThePeoplesDialect() {
        let spanish = PeopleCSV(locale: "es-AR")
        #expect(spanish.number("-12.30") == "-12,30", "a negative number stays a number")
        #expect(spanish.date("2026-11-28T10:15:00-03:00") == "28/11/2026")
        #expect(PeopleCSV(locale: "en-US").date("2026-11-28T10:15:00-03:00") == "11/28/2026")
        for formula in ["=1+1", "+54 11", "-2", "@SUM(A1)", "\tx", "\rx"] {
            #expect(PeopleCSV.text(formula) == "'" + formula)
        }
        #expect(PeopleCSV.text("Almacén") == "Almacén")
    }

    @Test func filtersAndJSON() throws {
        let fixture = try fixture()
        defer { fixture.remove() }
        func numbers(_ query: OrderQuery) throws -> [String] {
            let json = try report(fixture, query, format: .json)
            let objects = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [[String: Any]])
            return objects.map { $0["number"] as! String }
        }
        #expect(try numbers(OrderQuery()).count == 5)
        #expect(try numbers(OrderQuery(status: .held)) == ["9900-00000002", "9900-00000003"])
        #expect(try numbers(OrderQuery(client: "C0002")) == ["9900-00000002"])
        #expect(try numbers(OrderQuery(from: "2026-11-29")) == [])
        #expect(try numbers(OrderQuery(from: "2026-11-28", to: "2026-11-28", pos: 9900)).count == 5)
        #expect(try numbers(OrderQuery(pos: 9901)) == [])
        let json = try report(fixture, OrderQuery(status: .held), format: .json)
        let first = try #require((try JSONSerialization.jsonObject(with: Data(json)) as? [[String: Any]])?.first)
        #expect(Set(first.keys) == ["number", "order", "pos", "date", "client", "client_name", "seller", "status", "lines", "total"])
    }

    @Test func aReportLeftUnfinishedLeavesNoFile() throws {
        let fixture = try fixture()
        defer { fixture.remove() }
        let url = fixture.base.folder.url.appending(path: "partial.csv")
        do {
            let output = try ReportOutput(file: url)
            try output.write("half a report")
        }
        #expect(!FileManager.default.fileExists(atPath: url.path))
        #expect(!FileManager.default.fileExists(atPath: AtomicFile.temporaryURL(for: url).path))
    }

    func rejects(_ fixture: ImportFixture, reason: ReasonCode? = nil, from: String? = nil, format: ReportFormat) throws -> [UInt8] {
        let url = fixture.base.folder.url.appending(path: "rejects-\(UUID().uuidString)")
        let output = try ReportOutput(file: url)
        try Reports(store: fixture.store, locale: "es-AR").rejects(from: from, reason: reason, format: format, into: output)
        try output.finish()
        return Array(try Data(contentsOf: url))
    }

    /// Rejected and held orders with every reason, file and line; filtered by reason and day.
    @Test func rejectsWithEveryReasonFileAndLine() throws {
        let fixture = try fixture()
        defer { fixture.remove() }
        let json = try rejects(fixture, format: .json)
        let orders = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [[String: Any]])
        // Morning: 2 held, 5 rejected; afternoon: 3 rejected.
        #expect(orders.filter { $0["outcome"] as? String == "held" }.count == 2)
        #expect(orders.filter { $0["outcome"] as? String == "rejected" }.count == 8)
        let held = try #require(orders.first { $0["number"] as? String == "9900-00000002" })
        #expect(held["file"] as? String == "pedidos-2026-11-28-manana.xml" && held["line"] as? Int == 10)
        #expect((held["reasons"] as? [[String: Any]])?.first?["code"] as? String == "price-mismatch")

        let mismatches = try rejects(fixture, reason: .priceMismatch, format: .json)
        #expect((try JSONSerialization.jsonObject(with: Data(mismatches)) as? [[String: Any]])?.count == 1)
        #expect(String(decoding: try rejects(fixture, from: "2026-11-29", format: .json), as: UTF8.self) == "[]\n")

        // CSV: a row per reason, in the people's dialect.
        let csv = String(decoding: try rejects(fixture, format: .csv).dropFirst(3), as: UTF8.self).components(separatedBy: "\r\n")
        let reasons = orders.map { ($0["reasons"] as? [[String: Any]])?.count ?? 0 }.reduce(0, +)
        #expect(csv.count == 1 + reasons + 1)
        #expect(csv[0].hasPrefix("Resultado;Pedido web;Número;PV;"))
        #expect(csv.contains { $0.hasPrefix("held;W-10046;9900-00000002;9900;") && $0.contains(";price-mismatch;P00020;1376,50;1.00;") })
    }

    /// The prices report shows what a full package gives the site, price for price.
    @Test func pricesAsTheSiteSeesThem() throws {
        let fixture = try fixture()
        defer { fixture.remove() }
        let report = try fixture.base.exporter().export(full: true)
        let package = try PackageReader(fixture.base.folder.url.appending(path: "Outbox/\(try #require(report.sites.first?.package))"))
        let sent = Set(try package.records("prices").map { "\($0["price_list"]!) \($0["product"]!) \($0["price"]!)" })
        let url = fixture.base.folder.url.appending(path: "prices.json")
        let output = try ReportOutput(file: url)
        try Reports(store: fixture.store, locale: "es-AR").prices(format: .json, to: output)
        try output.finish()
        let shown = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [[String: Any]])
        #expect(Set(shown.map { "\($0["price_list"]!) \($0["product"]!) \($0["price"]!)" }) == sent)
        #expect(shown.contains { $0["product"] as? String == "P00005" && $0["product_active"] as? Bool == false })
        #expect(shown.count == sent.count && !sent.isEmpty)
        let one = try ReportOutput(file: url)
        #expect(try Reports(store: fixture.store, locale: "es-AR").prices(list: "L1", format: .csv, to: one)
                == shown.filter { $0["price_list"] as? String == "L1" }.count)
        try one.finish()
    }

    /// A real workbook: a frozen header row with an autofilter over the data, numbers as
    /// numbers in `#,##0.00`, days as dates in `dd/mm/yyyy`, text as text, widths from the
    /// content. (Tests/LibreOffice/check-xlsx.py opens the reports with LibreOffice too.)
    @Test func xlsxWorkbook() throws {
        let fixture = try fixture()
        defer { fixture.remove() }
        let url = fixture.base.folder.url.appending(path: "pedidos.xlsx")
        let output = try ReportOutput(file: url)
        try Reports(store: fixture.store, locale: "es-AR").orders(OrderQuery(), format: .xlsx, to: output)
        try output.finish()
        let workbook = try PackageReader(url)
        let sheet = String(decoding: try #require(workbook.entries["xl/worksheets/sheet1.xml"]), as: UTF8.self)
        let styles = String(decoding: try #require(workbook.entries["xl/styles.xml"]), as: UTF8.self)
        #expect(sheet.contains(#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#))
        #expect(sheet.contains(#"<autoFilter ref="A1:J6"/>"#))
        #expect(sheet.contains(#"<t>Almacén Don Tito</t>"#), "text as text")
        #expect(sheet.contains(#"<c r="J2" s="3"><v>40549.52</v></c>"#), "the total a number, formatted")
        #expect(sheet.contains(#"<c r="D2" s="2"><v>46354</v></c>"#), "the day a date serial (2026-11-28)")
        #expect(sheet.contains(#"<col min="6" max="6" width="34"#), "the name column as wide as its widest name")
        #expect(styles.contains(###"formatCode="#,##0.00""###) && styles.contains(#"formatCode="dd/mm/yyyy""#))
        // Only to a file.
        #expect { try Reports(store: fixture.store, locale: "es-AR").orders(OrderQuery(), format: .xlsx, to: ReportOutput()) }
            throws: { ($0 as? PuenteError)?.code == .usage }
    }
}

/// The admin's page: self-contained, escaped, well-formed, with the day's totals and what to
/// do about each held order.
@Suite struct HTMLReportTests {
    @Test func theAdminsDayPage() throws {
        let fixture = try OrderReportTests().fixture()
        defer { fixture.remove() }
        try fixture.base.store.database.write { db in
            try db.execute(sql: "UPDATE clients SET name = '<script>alert(1)</script> & Cía' WHERE code = 'C0001'")
        }
        func page(_ write: (Reports, ReportOutput) throws -> Void) throws -> String {
            let url = fixture.base.folder.url.appending(path: "page-\(UUID().uuidString).html")
            let output = try ReportOutput(file: url)
            try write(Reports(store: fixture.store, locale: "es-AR"), output)
            try output.finish()
            return try String(contentsOf: url, encoding: .utf8)
        }
        let day = try page { try $0.rejects(format: .html, into: $1) }
        #expect(day.hasPrefix("<!DOCTYPE html>"))
        #expect(day.contains("<svg"), "the totals as an inline chart")
        #expect(day.contains("puente orders release 9900-00000002 --reprice"), "what to do about a price mismatch")
        #expect(day.contains("puente orders release 9900-00000003 · o · puente orders reject 9900-00000003"))
        #expect(day.contains("línea 32: unknown-product for P99999"))
        let orders = try page { try $0.orders(OrderQuery(), format: .html, to: $1) }
        #expect(orders.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Cía"))
        for html in [day, orders] {
            #expect(!html.contains("<script"), "no script at all, and none from a value")
            #expect(!html.contains("src=\"http") && !html.contains("href=\"http"), "nothing from elsewhere")
            #expect(WellFormed.check(html), "well-formed")
        }
    }
}

/// Reads a page back with Foundation's XML parser (Puente's own output, not an Inbox file).
enum WellFormed {
    final class Delegate: NSObject, XMLParserDelegate {}

    static func check(_ text: String) -> Bool {
        // The HTML5 doctype has no DTD to load; the parser is told to resolve nothing.
        let parser = XMLParser(data: Data(text.utf8))
        parser.shouldResolveExternalEntities = false
        let delegate = Delegate()
        parser.delegate = delegate
        return parser.parse()
    }
}
