import Foundation
import Logging
@testable import PuenteExchange
import PuenteTestSupport
import Synchronization
import Testing

/// Every log line an import and a masters load write, caught in memory.
final class LogRecorder: Sendable {
    private let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    var logger: Logger {
        Logger(label: "test") { _ in RecordingHandler(recorder: self) }
    }

    struct RecordingHandler: LogHandler {
        let recorder: LogRecorder
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            recorder.append("\(event.level) \(event.message) " + all.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: " "))
        }
    }
}

/// Logs go to a journal that operators, vendors and support read: names of files and counts,
/// never a customer's values (names, e-mails, tax ids, passwords or their hashes, what an
/// order held), whatever the level.
@Suite struct LogPrivacyTests {
    static let secrets = [
        "Almacén Secreto", "secreto@example.com", "20-99999999-7", "clave-Secreta-1", "Vendedora Secreta",
        "vendedora@example.com", "clave-Secreta-2", "NOTA-SECRETA", "W-SECRETO-1", "W-SECRETO-2", "4321.98",
        "$2y$", "CS1",
    ]

    @Test func importAndMastersLoadLogNoCustomerValue() throws {
        let recorder = LogRecorder()
        let folder = try TemporaryFolder("puente-logs")
        defer { folder.remove() }
        var configuration = PuenteExchange.Configuration(directory: folder.url)
        configuration.bcryptCost = 4
        let session = try PuenteSession(configuration: configuration, logger: recorder.logger)

        try folder.write("dumps/price_lists.csv", "code,name,currency\nL1,Lista,ARS\n")
        try folder.write("dumps/products.csv", "code,description,unit,tax_rate,active\nP1,Yerba,kg,21,1\n")
        try folder.write("dumps/sellers.csv", "code,name,email,web_password,active\nV1,Vendedora Secreta,vendedora@example.com,clave-Secreta-2,1\n")
        try folder.write("dumps/clients.csv", """
            code,name,tax_id,email,price_list,seller,web_password,active
            CS1,Almacén Secreto,20-99999999-7,secreto@example.com,L1,V1,clave-Secreta-1,1

            """)
        try folder.write("dumps/prices.csv", "price_list,product,price\nL1,P1,4321.98\n")
        // A bad row too: its report names the line, the log only counts it.
        try folder.write("dumps/more/clients.csv", "code,name,tax_id,email,price_list,seller,web_password,active\nCS1,Almacén Secreto,x,secreto@example.com,L404,,clave-Secreta-1,1\n")
        _ = try session.masterLoader().load(paths: [folder.url.appending(path: "dumps")])
        _ = try session.masterLoader().load(paths: [folder.url.appending(path: "dumps/more/clients.csv")],
                                            allowMassDeactivation: true)

        try folder.write("Inbox/pedidos.csv", """
            order,pos,date,client,seller,product,quantity,price,note
            W-SECRETO-1,9900,2026-11-28T10:15:00-03:00,CS1,,P1,2,4321.98,NOTA-SECRETA
            W-SECRETO-2,9900,2026-11-28T10:15:00-03:00,CS1,,P404,2,4321.98,NOTA-SECRETA

            """)
        let report = try session.orderImporter().run()
        #expect(report.files.first?.outcomes[.accepted] == 1, "the import did its work")
        #expect(report.files.first?.outcomes[.rejected] == 1)

        let lines = recorder.all
        #expect(lines.contains { $0.contains("loaded master dump") }, "the load logged")
        #expect(lines.contains { $0.contains("import: pedidos.csv: processed") }, "the import logged")
        for line in lines {
            for secret in Self.secrets {
                #expect(!line.contains(secret), "a log line holds \(secret): \(line)")
            }
        }
    }
}
