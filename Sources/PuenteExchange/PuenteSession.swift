import Foundation
import Logging
import PuenteSecurity
import PuenteStore

/// The store and helpers one command works with, made from the configuration.
public struct PuenteSession: Sendable {
    public let configuration: Configuration
    public let store: BackOfficeStore
    public let logger: Logger

    /// Opens (or creates) the store and registers the configured sites.
    public init(configuration: Configuration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        try FileManager.default.createDirectory(at: configuration.database.deletingLastPathComponent(),
                                                withIntermediateDirectories: true)
        store = try BackOfficeStore(path: configuration.database.path)
        try store.registerSites(configuration.sites.map { ($0.pos, $0.name) })
    }

    public func packageExporter() -> PackageExporter {
        PackageExporter(store: store, configuration: configuration, logger: logger)
    }

    public func orderImporter() -> OrderImporter {
        OrderImporter(store: store, configuration: configuration, logger: logger)
    }

    public func masterLoader() throws -> MasterLoader {
        MasterLoader(store: store, hasher: PasswordHasher(cost: configuration.bcryptCost),
                     fingerprint: try PasswordFingerprint.keyFile(for: configuration.database),
                     timezone: configuration.timezone, logger: logger)
    }
}
