import Foundation
import PuenteTestSupport
import Testing

/// `puente orders …` as an admin types it, on the morning sample.
@Suite struct OrdersCommandTests {
    func prepared() throws -> TemporaryFolder {
        let folder = try ImportCommandTests().prepared()
        try ImportCommandTests().drop("pedidos-2026-11-28-manana.xml", into: folder)
        let run = try PuenteProcess.run(["import"], in: folder.url)
        #expect(run.status == 65, "\(run.stderr)")
        return folder
    }

    @Test func anAdminWorksThroughTheHeldOrders() throws {
        let folder = try prepared()
        defer { folder.remove() }
        let list = try PuenteProcess.run(["orders", "list", "--status", "held"], in: folder.url)
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("9900-00000002") && list.stdout.contains("9900-00000003"))
        #expect(!list.stdout.contains("9900-00000001"))

        let show = try PuenteProcess.run(["orders", "show", "9900-00000002"], in: folder.url)
        #expect(show.status == 0)
        #expect(show.stdout.contains("held because:"))
        #expect(show.stdout.contains("price-mismatch for P00020 (list 1376.50, got 1.00)"))
        #expect(show.stdout.contains("from pedidos-2026-11-28-manana.xml line 10"))

        // Not allowed: exit 65, nothing changed, the allowed transitions named.
        let refused = try PuenteProcess.run(["orders", "set-status", "9900-00000002", "dispatched"], in: folder.url)
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("cannot change an order from held to dispatched: from held only cancelled or pending is allowed"))

        let release = try PuenteProcess.run(["orders", "release", "9900-00000002", "--reprice"], in: folder.url)
        #expect(release.status == 0, "\(release.stderr)")
        #expect(release.stdout.contains("held → pending") && release.stdout.contains("total 68684.00 → 74186.00"))
        let json = try PuenteProcess.run(["--json", "orders", "show", "9900-00000002"], in: folder.url)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["status"] as? String == "pending")
        #expect(object?["total"] as? String == "74186.00")
        let history = object?["history"] as? [[String: Any]]
        #expect((history?.last?["source"] as? String)?.hasPrefix("person:") == true)

        let reject = try PuenteProcess.run(["orders", "reject", "9900-00000003", "--reason", "sin stock"], in: folder.url)
        #expect(reject.status == 0)
        let again = try PuenteProcess.run(["orders", "reject", "9900-00000003"], in: folder.url)
        #expect(again.status == 65)
        #expect(again.stderr.contains("is cancelled, not held: only a held order can be rejected; cancelled is final"))
    }

    @Test func unknownAndMalformedNumbers() throws {
        let folder = try prepared()
        defer { folder.remove() }
        let unknown = try PuenteProcess.run(["orders", "show", "9900-00000099"], in: folder.url)
        #expect(unknown.status == 65)
        #expect(unknown.stderr.contains("order 9900-00000099 does not exist"))
        let malformed = try PuenteProcess.run(["orders", "show", "W-10046"], in: folder.url)
        #expect(malformed.status == 64)
        let status = try PuenteProcess.run(["orders", "set-status", "9900-00000001", "shipped"], in: folder.url)
        #expect(status.status == 64, "an unknown status is a usage error")
    }
}
