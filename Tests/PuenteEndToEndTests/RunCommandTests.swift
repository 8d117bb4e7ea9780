import Foundation
import PuenteTestSupport
import Testing

/// `puente run`, one cycle of the scheduled job, on a temporary folder.
@Suite struct RunCommandTests {
    @Test func oneCycleReloadsOnlyChangedDumpsImportsExportsAndMails() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try FileManager.default.copyItem(at: DemoTests.samples.appending(path: "masters"), to: folder.url.appending(path: "erp"))
        try folder.write("puente.toml", "[security]\nbcrypt_cost = 4\n\n[inbox]\nsettle_seconds = 0\n\n[masters]\nsource = \"erp\"\n")
        try ImportCommandTests().drop("pedidos-2026-11-28-manana.xml", into: folder)

        let first = try PuenteProcess.run(["run"], in: folder.url)
        #expect(first.status == 65, "held and rejected orders need a person: \(first.stderr)")
        #expect(first.stdout.contains("clients.csv (windows-1252): 27 added"))
        #expect(first.stdout.contains("pedidos-2026-11-28-manana.xml: 8 orders: 1 accepted, 2 held, 5 rejected"))
        #expect(first.stdout.contains("site 9900: Outbox/9900/puente-9900-000001-full.zip (full)"))
        #expect(first.stdout.contains("Mail: 1 written to Outbox/mail/"))

        // Nothing changed: nothing read again, nothing to import, no package, exit 0.
        let second = try PuenteProcess.run(["run"], in: folder.url)
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(second.stdout.contains("clients.csv (windows-1252): the same as the dump last loaded"))
        #expect(second.stdout.contains("Nothing to import"))
        #expect(second.stdout.contains("nothing changed since its last package"))

        // The Outbox cannot take the package: 74, said clearly; the import's work is kept.
        try FileManager.default.removeItem(at: folder.url.appending(path: "Outbox/9900"))
        try folder.write("Outbox/9900", "not a folder")
        try ImportCommandTests().drop("pedidos-2026-11-28-tarde.csv", into: folder)
        let third = try PuenteProcess.run(["run"], in: folder.url)
        #expect(third.status == 74)
        #expect(third.stderr.contains("export: could not use the folder"))
        #expect(third.stdout.contains("pedidos-2026-11-28-tarde.csv: 6 orders: 2 accepted"))
        #expect(FileManager.default.fileExists(
            atPath: folder.url.appending(path: "Inbox/processed/\(Self.today)/pedidos-2026-11-28-tarde.csv").path)
            || FileManager.default.fileExists(
                atPath: folder.url.appending(path: "Inbox/processed/\(Self.tomorrow)/pedidos-2026-11-28-tarde.csv").path))

        // Fixed, the next run exports what the failed one could not.
        try FileManager.default.removeItem(at: folder.url.appending(path: "Outbox/9900"))
        let fourth = try PuenteProcess.run(["--json", "run"], in: folder.url)
        let object = try JSONSerialization.jsonObject(with: Data(fourth.stdout.utf8)) as? [String: Any]
        #expect((object?["failures"] as? [Any])?.isEmpty == true)
        // The delta with the afternoon's order statuses the failed run could not write.
        #expect(FileManager.default.fileExists(atPath: folder.url.appending(path: "Outbox/9900/puente-9900-000002-delta.zip").path))
    }

    static var today: String { day(Date()) }
    static var tomorrow: String { day(Date().addingTimeInterval(86_400)) }

    static func day(_ date: Date) -> String {
        ISO8601DateFormatter.string(from: date, timeZone: TimeZone(identifier: "America/Argentina/Buenos_Aires")!,
                                    formatOptions: [.withFullDate])
    }
}
