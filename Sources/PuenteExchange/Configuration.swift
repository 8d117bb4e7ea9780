import Foundation
import PuenteDomain

/// Everything `puente.toml` can set, with the contract's defaults.
///
/// Relative paths in the file are taken from the folder that holds the file; with no file,
/// from the working directory.
public struct Configuration: Sendable {
    public struct Site: Sendable, Equatable {
        public var pos: Int
        public var name: String

        public init(pos: Int, name: String) {
            self.pos = pos
            self.name = name
        }
    }

    public enum Policy: String, Sendable, Equatable {
        case hold
        case reject
    }

    public struct Inbox: Sendable, Equatable {
        public var path: URL
        public var settleSeconds: Double = 2
        public var doneMarkers = false
        public var maxFileMB = 256
    }

    public struct Validation: Sendable, Equatable {
        public var priceMismatch: Policy = .hold
        public var productInactive: Policy = .hold
        public var priceTolerance: Money = .zero
    }

    public struct Mail: Sendable, Equatable {
        /// False: no e-mail at all (a company that does not write to its customers); turned
        /// on again, only changes from then on are mailed.
        public var enabled = true
        public var from = "ventas@example.com.ar"
        public var sendmail = ""
        public var templates: URL?
    }

    /// The configuration file read, or nil when the defaults apply.
    public var file: URL?
    public var database: URL
    public var timezone: TimeZone
    public var locale = "es-AR"
    public var inbox: Inbox
    public var outboxPath: URL
    public var sites: [Site] = [Site(pos: 9900, name: "Tienda web")]
    public var validation = Validation()
    public var mail = Mail()
    /// Folder or file of master dumps that `puente run` reloads when it changed.
    public var mastersSource: URL?
    /// bcrypt cost for web passwords.
    public var bcryptCost = 12

    /// The defaults, relative to `directory`.
    public init(directory: URL) {
        database = directory.appending(path: "puente.sqlite")
        timezone = TimeZone(identifier: "America/Argentina/Buenos_Aires")!
        inbox = Inbox(path: directory.appending(path: "Inbox"))
        outboxPath = directory.appending(path: "Outbox")
    }
}

/// The configuration file is wrong: `FILE: KEY-OR-LINE: what`, code `configuration`.
enum ConfigurationError {
    /// `location`: the key (`inbox.settle_seconds`), `line 4`, or `file`.
    static func make(file: String, location: String, message: String, line: Int? = nil,
                     cause: (any Error)? = nil) -> PuenteError {
        PuenteError(.configuration, "\(file): \(location): \(message)", path: file, line: line,
                    key: line == nil && location != "file" ? location : nil, cause: cause)
    }
}
