import Foundation
import PuenteDomain
@testable import PuenteExchange
import PuenteStore
import PuenteTestSupport
import Testing

/// A person's work on posted orders, on the morning sample (9900-1 pending, 9900-2 held for a
/// price mismatch on P00020, 9900-3 held for an inactive product).
@Suite struct OrderDeskTests {
    func fixture() throws -> (ImportFixture, OrderDesk) {
        let fixture = try ImportFixture()
        try fixture.drop(sample: "pedidos-2026-11-28-manana.xml")
        _ = try fixture.importer().run()
        let desk = OrderDesk(store: fixture.store, timezone: fixture.base.configuration.timezone,
                             clock: FixedClock(ISO8601DateFormatter().date(from: "2026-11-29T09:30:00-03:00")!), person: "ana")
        return (fixture, desk)
    }

    func number(_ text: String) -> OrderNumber { OrderNumber(text)! }

    /// Every transition of the contract, allowed and refused, on one order walked through the
    /// lifecycle: a refused one changes nothing (status, history, change sequence) and says
    /// what is allowed.
    @Test func onlyTheContractsTransitions() throws {
        let (fixture, desk) = try fixture()
        defer { fixture.remove() }
        let order = number("9900-00000001")
        let path: [OrderStatus] = [.inPreparation, .dispatched, .invoiced]
        var current = OrderStatus.pending
        for next in path {
            for refused in OrderStatus.allCases where !current.allowedNext.contains(refused) {
                let sequence: Int64? = try fixture.base.value("SELECT value FROM change_counter")
                let history: Int? = try fixture.base.value("SELECT count(*) FROM order_status_history")
                guard case .failure(let refusal) = try desk.setStatus(order, to: refused) else {
                    Issue.record("\(current.rawValue) → \(refused.rawValue) was allowed")
                    continue
                }
                #expect(refusal.description.contains("cannot change an order from \(current.rawValue) to \(refused.rawValue)"))
                #expect(refusal.description.contains(current.allowedNext.isEmpty ? "is final" : "only"))
                #expect(try fixture.base.value("SELECT value FROM change_counter") == sequence)
                #expect(try fixture.base.value("SELECT count(*) FROM order_status_history") == history)
            }
            #expect(try desk.setStatus(order, to: next, note: "por teléfono") == .success(current))
            current = next
        }
        #expect(try desk.show(order)?.status == .invoiced)
        let history = try #require(try desk.show(order)).history
        #expect(history.map { "\($0.from?.rawValue ?? "-")>\($0.to.rawValue) \($0.source)" } == [
            "->pending import", "pending>in_preparation person:ana", "in_preparation>dispatched person:ana",
            "dispatched>invoiced person:ana",
        ])
        #expect(history.last?.changed == "2026-11-29T09:30:00-03:00")
        #expect(history.last?.note == "por teléfono")
        // Held and cancelled: held → cancelled is allowed, cancelled is final.
        #expect(try desk.setStatus(number("9900-00000003"), to: .cancelled) == .success(.held))
        guard case .failure(let final) = try desk.setStatus(number("9900-00000003"), to: .pending) else {
            Issue.record("cancelled is final")
            return
        }
        #expect(final.description.contains("cancelled is final"))
        #expect(try desk.setStatus(number("9900-00000099"), to: .pending) == .failure(.unknownOrder(number("9900-00000099"))))
    }

    @Test func showTellsLinesSourceHistoryAndWhyItWasHeld() throws {
        let (fixture, desk) = try fixture()
        defer { fixture.remove() }
        let order = try #require(try desk.show(number("9900-00000002")))
        #expect(order.status == .held)
        #expect(order.webID == "W-10046")
        #expect(order.sourceFile == "pedidos-2026-11-28-manana.xml")
        #expect(order.lines.map { "\($0.product) \($0.price) \($0.listPrice?.description ?? "-") \($0.sourceLine)" }
                == ["P00002 6868.00 6868.00 11", "P00020 1.00 1376.50 12"])
        #expect(order.reasons.map(\.code) == [.priceMismatch])
        #expect(order.history.count == 1)
    }

    @Test func releaseRepricesAndRecordsWhatItChanged() throws {
        let (fixture, desk) = try fixture()
        defer { fixture.remove() }
        let held = number("9900-00000002")
        guard case .success(let release) = try desk.release(held, reprice: true) else {
            Issue.record("not released")
            return
        }
        #expect(release.repriced == [.init(item: 2, product: "P00020", was: Money("1.00")!, now: Money("1376.50")!)])
        #expect(release.totalBefore == Money("68684.00")!)
        #expect(release.totalAfter == Money("74186.00")!)
        let order = try #require(try desk.show(held))
        #expect(order.status == .pending)
        #expect(order.total == Money("74186.00")!)
        #expect(order.lines[1].amount == Money("5506.00")!)
        #expect(order.history.last?.note == "repriced at list L1: P00020 1.00 → 1376.50; total 68684.00 → 74186.00")
        // The reports agree.
        #expect(try fixture.store.orderSummaries().first { $0.number == "9900-00000002" }?.total == "74186.00")
        // Released once: a second release is refused.
        #expect(try desk.release(held) == .failure(.notHeld(held, .pending, action: "release")))
    }

    @Test func releaseWithoutRepriceKeepsThePricesAndRejectCancels() throws {
        let (fixture, desk) = try fixture()
        defer { fixture.remove() }
        guard case .success(let release) = try desk.release(number("9900-00000002")) else {
            Issue.record("not released")
            return
        }
        #expect(release.repriced.isEmpty && release.totalAfter == release.totalBefore)
        #expect(try desk.reject(number("9900-00000003"), reason: "producto discontinuado") == .success(.held))
        let rejected = try #require(try desk.show(number("9900-00000003")))
        #expect(rejected.status == .cancelled)
        #expect(rejected.history.last?.note == "producto discontinuado")
        #expect(try desk.reject(number("9900-00000001")) == .failure(.notHeld(number("9900-00000001"), .pending, action: "reject")))
    }

    /// A price that is no longer on the list cannot be taken: the release is refused whole.
    @Test func repriceWithoutAListPriceChangesNothing() throws {
        let (fixture, desk) = try fixture()
        defer { fixture.remove() }
        try fixture.base.store.database.write { db in
            try db.execute(sql: "UPDATE prices SET active = 0 WHERE price_list = 'L1' AND product = 'P00020'")
        }
        let held = number("9900-00000002")
        #expect(try desk.release(held, reprice: true) == .failure(.cannotReprice(held, product: "P00020", priceList: "L1")))
        let order = try #require(try desk.show(held))
        #expect(order.status == .held && order.total == Money("68684.00")! && order.history.count == 1)
    }

    /// What a person changed reaches the site with the next package's order_status.
    @Test func changesReachTheSite() throws {
        let (fixture, desk) = try fixture()
        defer { fixture.remove() }
        try fixture.base.exporter().export()
        _ = try desk.release(number("9900-00000002"), reprice: true)
        let report = try fixture.base.exporter().export()
        let package = try #require(report.sites.first?.package)
        let statuses = try PackageReader(fixture.base.folder.url.appending(path: "Outbox/\(package)")).records("order_status")
        #expect(statuses.map { "\($0["number"]!) \($0["status"]!) \($0["changed"]!)" }
                == ["9900-00000002 pending 2026-11-29T09:30:00-03:00"])
    }

    /// Every pair of statuses through the store: the contract's transitions go through, with a
    /// history entry; every other one is refused and changes nothing.
    @Test func everyPairOfStatuses() throws {
        let allowed: Set<String> = ["held>pending", "held>cancelled", "pending>in_preparation", "pending>cancelled",
                                    "in_preparation>dispatched", "in_preparation>cancelled", "dispatched>invoiced"]
        let (fixture, desk) = try fixture()
        defer { fixture.remove() }
        let order = number("9900-00000001")
        for from in OrderStatus.allCases {
            for to in OrderStatus.allCases {
                try fixture.base.store.database.write { db in
                    try db.execute(sql: "UPDATE orders SET status = ? WHERE pos = 9900 AND number = 1", arguments: [from.rawValue])
                }
                let history: Int? = try fixture.base.value("SELECT count(*) FROM order_status_history")
                let result = try desk.setStatus(order, to: to)
                let now = try #require(try desk.show(order)).status
                let after: Int? = try fixture.base.value("SELECT count(*) FROM order_status_history")
                if allowed.contains("\(from.rawValue)>\(to.rawValue)") {
                    #expect(result == .success(from), "\(from) → \(to)")
                    #expect(now == to && after == history.map { $0 + 1 })
                } else {
                    #expect(result != .success(from), "\(from) → \(to) must be refused")
                    #expect(now == from && after == history, "a refusal changes nothing")
                }
            }
        }
    }
}
