// swift-tools-version:6.1
import PackageDescription

// Modules are split by what they may know:
// - PuenteDomain: clients, prices, money, orders and their rules. No I/O at all (it uses
//   PuenteSecurity's SHA-256 for an order's content hash).
// - PuenteFormats: CSV, XML and ZIP reading/writing, text decoding. Knows nothing of the database.
// - PuenteSecurity: SHA-256, HMAC and bcrypt password hashes (libxcrypt).
// - PuenteStore: the back-office store (SQLite through GRDB), migrations, queries.
// - PuenteExchange: configuration, master loading, Inbox/Outbox work; the library the CLI drives.
//   Each operation comes from a `PuenteSession`, which holds the run lock; the store owns its
//   transactions (Exchange never sees SQL or GRDB).
// - puente: the command line, a thin shell over PuenteExchange (it never sees the store).
let package = Package(
    name: "Puente",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "puente", targets: ["puente"]),
        .library(name: "PuenteExchange", targets: ["PuenteExchange"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CCrypt", providers: [.apt(["libcrypt-dev"])]),
        .systemLibrary(name: "CDeflate", providers: [.apt(["zlib1g-dev"])]),
        // Workbooks for people (`report … --format xlsx`), in constant memory.
        .systemLibrary(name: "CXlsxWriter", pkgConfig: "xlsxwriter", providers: [.apt(["libxlsxwriter-dev"])]),
        // SHA-256 blocks through the processor's SHA instructions, when it has them.
        .target(name: "CSHA256"),
        // syncfs(2): one flush for a batch of mail files; SQLite's process-wide settings.
        .target(name: "CPosix", linkerSettings: [.linkedLibrary("sqlite3")]),

        .target(name: "PuenteSecurity", dependencies: ["CCrypt", "CSHA256"]),

        .target(name: "PuenteDomain", dependencies: ["PuenteSecurity"]),
        .target(name: "PuenteFormats", dependencies: ["PuenteDomain", "CLibXML2", "CDeflate", "CXlsxWriter"]),
        .target(
            name: "PuenteStore",
            dependencies: [
                "PuenteDomain", "CPosix",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]),
        .target(
            name: "PuenteExchange",
            dependencies: [
                "PuenteDomain", "PuenteFormats", "PuenteSecurity", "PuenteStore", "CPosix",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]),
        .executableTarget(
            name: "puente",
            dependencies: [
                "PuenteExchange",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // What tests share: running the binary, temporary folders, and an XSD validator
        // (libxml2) to check what Puente writes against the contract's schemas.
        .target(name: "PuenteTestSupport", dependencies: ["CLibXML2", "PuenteFormats"], path: "Sources/PuenteTestSupport"),
        .testTarget(name: "PuenteDomainTests", dependencies: ["PuenteDomain", "PuenteSecurity"]),
        .testTarget(name: "PuenteFormatsTests", dependencies: ["PuenteFormats", "PuenteTestSupport"]),
        .testTarget(name: "PuenteSecurityTests", dependencies: ["PuenteSecurity", "CCrypt"]),
        .testTarget(
            name: "PuenteExchangeTests",
            dependencies: [
                "PuenteExchange", "PuenteStore", "PuenteSecurity", "PuenteFormats", "PuenteTestSupport", "CCrypt",
                // An independent ZIP reader, to check the packages Puente writes.
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]),
        .testTarget(name: "PuenteEndToEndTests", dependencies: ["puente", "PuenteTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
