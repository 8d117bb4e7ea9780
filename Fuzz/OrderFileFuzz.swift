// libFuzzer target: the whole door for order files (open, prolog and encoding check, libxml2's
// reader with the schema, or the CSV reader), then the order rules on what it hands over; an
// XML file is read with the plain-shape check too, which must never vouch for what the schema
// reads otherwise.
// The first byte chooses XML or CSV. Built by Fuzz/run.sh, never by SwiftPM.
import Foundation
import PuenteDomain
import PuenteFormats

struct EveryProductMasters: OrderMasters {
    func isSite(_ pos: Int) -> Bool { pos == 9900 }
    func client(_ code: String) -> ClientFacts? {
        code.isEmpty ? nil : ClientFacts(active: true, webEnabled: code.hasPrefix("C"), priceList: "L1", seller: "V1")
    }
    func seller(_ code: String) -> SellerFacts? { code == "V1" ? SellerFacts(active: true, webEnabled: true) : nil }
    func product(_ code: String) -> ProductFacts? {
        code.isEmpty ? nil : ProductFacts(active: !code.hasSuffix("9"), index: code.utf8.count)
    }
    func listPrice(_ client: ClientFacts, _ product: ProductFacts) -> Money? { Money(units: Int64(product.index) * 12_345_678) }
    func publishedPrice(pos: Int, _ priceList: String, _ product: String, atUnix moment: Int64) throws -> Money? { nil }
}

let folder: String = {
    let path = "/dev/shm/puente-fuzz-\(getpid())"
    mkdir(path, 0o700)
    return path
}()
nonisolated(unsafe) let validator = OrderValidator(masters: EveryProductMasters(), policy: ValidationPolicy(),
                               timezone: TimeZone(identifier: "America/Argentina/Buenos_Aires")!)

@_cdecl("LLVMFuzzerTestOneInput")
public func orderFileFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let isCSV = data[0] & 1 == 1
    let path = folder + (isCSV ? "/input.csv" : "/input.xml")
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard descriptor >= 0 else { fatalError("cannot write \(path)") }
    _ = write(descriptor, data + 1, size - 1)
    close(descriptor)
    var drafts: [OrderDraft] = []
    var refusal: OrderFileError?
    do {
        try OrderFileReader.read(path: path, maxBytes: 1 << 22) { draft in
            drafts.append(draft)
            if isCSV {
                // The door's promise: an id and a note an ack and the store can carry.
                precondition(!draft.id.isEmpty, "an order without id got through")
                precondition(SafeText.firstNonXMLCharacter(in: draft.id) == nil, "an id XML cannot carry got through")
                precondition(SafeText.firstNonXMLCharacter(in: draft.note) == nil, "a note XML cannot carry got through")
            }
            let verdict = try validator.check(draft)
            if verdict.outcome == .accepted || verdict.outcome == .held {
                // A posted order's total is the sum of its lines, exactly.
                var sum = Money.zero
                for line in verdict.lines { sum = sum.adding(line.amount)! }
                precondition(sum == verdict.total, "total \(verdict.total) is not the sum of its lines \(sum)")
            }
            for reason in verdict.reasons { _ = SafeText.escapingNonXMLCharacters(reason.summary) }
        }
    } catch let error as OrderFileError {
        refusal = error
    } catch is UntrustedFileError {
        return 0
    } catch {
        fatalError("unexpected error: \(error)")
    }
    if !isCSV {
        // The plain-shape check only vouches: what it reads through, the schema reads the same.
        var plain: [OrderDraft] = []
        do {
            try OrderFileReader.read(path: path, maxBytes: 1 << 22, schema: .plainShapeFirst) { plain.append($0) }
            precondition(refusal == nil && plain == drafts, "the plain shape vouched for a file the schema reads otherwise")
        } catch is OrderFileReader.ReadWithTheSchema {
        } catch let error as OrderFileError {
            precondition(error == refusal, "the plain shape gave a verdict of its own: \(error)")
        } catch {
            fatalError("unexpected error: \(error)")
        }
    }
    return 0
}
