import Foundation
import GRDB
import Logging
@testable import PuenteExchange
import PuenteSecurity
import PuenteStore
import PuenteTestSupport

/// A store in a temporary folder and a loader over it, with a cheap bcrypt cost.
struct MasterFixture {
    let folder: TemporaryFolder
    let configuration: PuenteExchange.Configuration
    let session: PuenteSession

    init(sites: [PuenteExchange.Configuration.Site]? = nil) throws {
        folder = try TemporaryFolder("puente-masters")
        var configuration = PuenteExchange.Configuration(directory: folder.url)
        configuration.bcryptCost = 4
        if let sites { configuration.sites = sites }
        self.configuration = configuration
        session = try PuenteSession(configuration: configuration, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    var store: BackOfficeStore { session.store }

    /// Writes the dumps (name → text) into `dumps/` and loads that folder.
    @discardableResult
    func load(_ files: [String: String], allowMassDeactivation: Bool = false) throws -> MasterLoadReport {
        let dumps = folder.url.appending(path: "dumps-\(UUID().uuidString)")
        for (name, text) in files { try folder.write(dumps.lastPathComponent + "/" + name, text) }
        return try session.masterLoader().load(paths: [dumps], allowMassDeactivation: allowMassDeactivation)
    }

    /// Loads files given as raw bytes.
    @discardableResult
    func load(bytes files: [String: [UInt8]], allowMassDeactivation: Bool = false) throws -> MasterLoadReport {
        let dumps = folder.url.appending(path: "dumps-\(UUID().uuidString)")
        for (name, bytes) in files { try folder.write(dumps.lastPathComponent + "/" + name, bytes: bytes) }
        return try session.masterLoader().load(paths: [dumps], allowMassDeactivation: allowMassDeactivation)
    }

    func rows(_ sql: String) throws -> [Row] {
        try store.database.read { db in try Row.fetchAll(db, sql: sql) }
    }

    func value<T: DatabaseValueConvertible>(_ sql: String) throws -> T? {
        try store.database.read { db in try T.fetchOne(db, sql: sql) }
    }

    func remove() { folder.remove() }

    /// An exporter over this store; `fault` simulates a crash at an export step.
    func exporter(fault: (@Sendable (ExportStep) throws -> Void)? = nil) -> PackageExporter {
        PackageExporter(store: store, configuration: configuration, logger: session.logger, faultInjection: fault)
    }

    /// The package file of `pos` in the Outbox, by its name.
    func package(_ pos: Int, _ name: String) -> URL {
        configuration.outboxPath.appending(path: "\(pos)/\(name)")
    }

    /// Names in `Outbox/<pos>/`, sorted.
    func outbox(_ pos: Int) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: configuration.outboxPath.appending(path: String(pos)).path)) ?? []).sorted()
    }

    static let priceLists = "code,name,currency\nL1,Mayorista,ARS\nL2,Minorista,ARS\n"
    static let sellers = "code,name,email,web_password,active\nV01,Martín Gómez,mg@example.com,vende01,S\nV02,Sofía Castro,sc@example.com,,S\n"
    static let products = "code,description,unit,tax_rate,active\nP1,Yerba mate 1 kg,kg,21,1\nP2,\"Aceite girasol 1,5 l\",u,10.5,1\nP3,Azúcar 1 kg,kg,10.5,0\n"
    static let clients = """
        code,name,tax_id,email,price_list,seller,web_password,active
        C1,Almacén Don Tito,20-12345678-6,tito@example.com,L2,V01,tito2026,S
        C2,Despensa Los Ñandúes,27-23456789-4,nandu@example.com,L1,,ñandu123,si
        C3,Kiosco El Búho,20-34567890-3,buho@example.com,L2,V01,,1

        """
    static let prices = "price_list;product;price\nL1;P1;1200,50\nL1;P2;899\nL2;P1;1300,0001\n"

    static var all: [String: String] {
        ["price_lists.csv": priceLists, "sellers.csv": sellers, "products.csv": products,
         "clients.csv": clients, "prices.csv": prices]
    }
}
