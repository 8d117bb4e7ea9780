import Foundation
import Logging
import PuenteStore

/// What `puente demo` did.
public struct DemoOutcome: Codable, Sendable {
    public var masters: MasterLoadReport
    public var webClients: Int
    public var webSellers: Int
    public var export: ExportReport
}

/// The demo: a fresh store, the sample dumps loaded, one whole cycle.
public struct DemoRun {
    let configuration: Configuration
    let logger: Logger

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    public func run(samples: URL) throws -> DemoOutcome {
        // A fresh store: the old one, its WAL files and its fingerprint key go.
        for suffix in ["", "-wal", "-shm", ".key"] {
            let url = URL(filePath: configuration.database.path + suffix)
            if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
        }
        // The packages of the previous demo belong to the store just removed.
        for site in configuration.sites {
            let folder = configuration.outboxPath.appending(path: String(site.pos))
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for name in names where name.hasPrefix("puente-") || name.hasPrefix(".puente-") {
                try FileManager.default.removeItem(at: folder.appending(path: name))
            }
        }
        let session = try PuenteSession(configuration: configuration, logger: logger)
        let masters = try session.masterLoader().load(paths: [samples])
        let (clients, sellers) = try session.store.database.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM clients WHERE active = 1 AND password_hash <> ''") ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM sellers WHERE active = 1 AND password_hash <> ''") ?? 0)
        }
        let export = try session.packageExporter().export()
        return DemoOutcome(masters: masters, webClients: clients, webSellers: sellers, export: export)
    }
}
