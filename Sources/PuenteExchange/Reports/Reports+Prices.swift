import Foundation
import PuenteDomain
import PuenteFormats
import PuenteStore

extension Reports {
    /// The price lists as the sites are given them (the lists of the clients a package carries,
    /// an inactive product's prices included and marked), by list and product: every list's,
    /// or those of `list`; the number of prices.
    @discardableResult
    public func prices(list: String? = nil, format: ReportFormat, to output: ReportOutput) throws -> Int {
        var count = 0
        func each(_ body: (SitePrice) throws -> Void) throws {
            try store.forEachSitePrice(list: list) { price in
                count += 1
                try body(price)
            }
        }
        func money(_ value: Money) -> String { value.formatted(minimumFractionDigits: 2) }
        func rate(_ value: Percentage) -> String { value.formatted(minimumFractionDigits: 2) }
        switch format {
        case .table:
            let table = FixedColumns(widths: [8, 20, 12, 36, 6, 6, 14, 3, 8], rightAligned: [5, 6])
            try output.write(table.row(["list", "name", "product", "description", "unit", "VAT %", "price", "", ""]))
            try each { price in
                try output.write(table.row([price.priceList, price.listName, price.product, price.description, price.unit,
                                            rate(price.taxRate), money(price.price), price.currency,
                                            price.productActive ? "" : "inactive"].map(SafeText.forTerminal)))
            }
            try output.write(count == 1 ? "1 price\n" : "\(count) prices\n")
        case .json:
            var array = JSONArrayWriter(output)
            try each { price in
                try array.append(PriceJSON(priceList: price.priceList, listName: price.listName, currency: price.currency,
                                      product: price.product, description: price.description, unit: price.unit,
                                      taxRate: rate(price.taxRate), price: money(price.price),
                                      productActive: price.productActive))
            }
            try array.finish()
        case .csv:
            let people = PeopleCSV(locale: locale)
            var writer = PeopleCSVWriter(output, locale: locale, header: people.pricesHeader)
            try each { price in
                try writer.append([PeopleCSV.text(price.priceList), PeopleCSV.text(price.listName), PeopleCSV.text(price.currency),
                              PeopleCSV.text(price.product), PeopleCSV.text(price.description), PeopleCSV.text(price.unit),
                              people.number(rate(price.taxRate)), people.number(money(price.price)),
                              price.productActive ? (people.spanish ? "S" : "Y") : "N"])
            }
            try writer.finish()
        case .xlsx:
            let people = PeopleCSV(locale: locale)
            let sheet = try workbook(output, sheet: people.spanish ? "Precios" : "Prices", header: people.pricesHeader)
            try each { price in
                try sheet.append([.text(price.priceList), .text(price.listName), .text(price.currency), .text(price.product),
                                  .text(price.description), .text(price.unit), .money(Money(units: price.taxRate.units * 100)),
                                  .money(price.price), .text(price.productActive ? (people.spanish ? "S" : "Y") : "N")])
            }
            try sheet.finish()
        case .html:
            count = try pricesPage(list: list, into: output)
        }
        return count
    }

    struct PriceJSON: Encodable {
        let priceList: String
        let listName: String
        let currency: String
        let product: String
        let description: String
        let unit: String
        let taxRate: String
        let price: String
        let productActive: Bool
    }
}
