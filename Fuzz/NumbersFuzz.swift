// libFuzzer target: money and quantity parsing and arithmetic. The input is split at its first
// NUL into a quantity and a price. Nothing may trap; what parses formats back to itself; a
// line amount or a total that cannot be represented is refused, never wrapped.
// Built by Fuzz/run.sh, never by SwiftPM.
import Foundation
import PuenteDomain

let zone = TimeZone(identifier: "America/Argentina/Buenos_Aires")!

@_cdecl("LLVMFuzzerTestOneInput")
public func numbersFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let cut = bytes.firstIndex(of: 0) ?? size
    let first = String(decoding: bytes[..<cut], as: UTF8.self)
    let second = cut < size ? String(decoding: bytes[(cut + 1)...], as: UTF8.self) : "1"
    for separator: Character in [".", ","] {
        if let money = Money(first, decimalSeparator: separator) {
            precondition(Money(money.formatted(decimalSeparator: separator, minimumFractionDigits: 0), decimalSeparator: separator) == money)
            _ = money.roundedToCents()
        }
        if let quantity = Quantity(first, decimalSeparator: separator) {
            precondition(Quantity(quantity.description) == quantity)
        }
        _ = Percentage(first, decimalSeparator: separator)
    }
    let quantity = Quantity(orderFileText: first)
    let price = Money(orderFileText: second)
    if let quantity { precondition(quantity.units >= 0 && Quantity(orderFileText: quantity.description) == quantity) }
    if let price {
        precondition(price.units >= 0 && Money(orderFileText: price.formatted(minimumFractionDigits: 0)) == price)
    }
    if let quantity, let price {
        if let amount = price.extended(by: quantity) {
            // Exact: within half a cent of the true product.
            let exact = Int128(price.units) * Int128(quantity.units)
            let scaled = Int128(amount.units) * 1000
            precondition((exact - scaled).magnitude <= 50_000, "amount \(amount) for \(price) × \(quantity)")
            var total = Money.zero
            for _ in 0..<3 {
                guard let next = total.adding(amount) else { break }
                precondition(next.units == total.units + amount.units)
                total = next
            }
        } else {
            precondition(Int128(price.units) * Int128(quantity.units) / 1000 > Int128(Int64.max) - 100,
                         "\(price) × \(quantity) refused though it fits")
        }
    }
    _ = OrderDateParser.parse(first, timezone: zone)
    _ = OrderValidator.pointOfSale(first)
    _ = SafeText.forTerminal(first)
    _ = SafeText.escapingNonXMLCharacters(first)
    return 0
}
