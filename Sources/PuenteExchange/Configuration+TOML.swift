import Foundation
import PuenteDomain
import TOMLKit

extension Configuration {
    /// Finds and reads the configuration: `explicitPath` (from `--config`), else `PUENTE_CONFIG`,
    /// else `puente.toml` in `workingDirectory` if it exists, else the defaults.
    public static func load(
        explicitPath: String?, environment: [String: String], workingDirectory: URL
    ) throws(PuenteError) -> Configuration {
        let named = explicitPath ?? environment["PUENTE_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        if let named {
            let url = URL(filePath: named, relativeTo: workingDirectory).standardizedFileURL
            return try read(url)
        }
        let candidate = workingDirectory.appending(path: "puente.toml")
        if FileManager.default.fileExists(atPath: candidate.path) {
            return try read(candidate)
        }
        return Configuration(directory: workingDirectory)
    }

    /// Reads one configuration file.
    public static func read(_ url: URL) throws(PuenteError) -> Configuration {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ConfigurationError.make(file: url.path, location: "file", message: "cannot be read (\(error.localizedDescription))")
        }
        return try parse(text, file: url)
    }

    /// Parses configuration text; `file` names it in errors and anchors relative paths.
    public static func parse(_ text: String, file: URL) throws(PuenteError) -> Configuration {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigurationError.make(file: file.path, location: "line \(error.source.begin.line)", message: error.description,
                                          line: error.source.begin.line)
        } catch {
            throw ConfigurationError.make(file: file.path, location: "file", message: "\(error)")
        }
        var reader = TOMLReader(file: file)
        return try reader.configuration(from: table)
    }
}

/// Walks the TOML tables, checking every key's type and refusing unknown keys (a typo must
/// not silently fall back to a default).
private struct TOMLReader {
    let file: URL
    var directory: URL { file.deletingLastPathComponent() }

    /// Inbox files up to 4 GiB; the reader never holds a file whole, but a limit that large
    /// is already a mistake, and a larger number would overflow when turned into bytes.
    static let maxFileMB = 1...4096
    /// A tolerance per unit price beyond this is no check at all.
    static let maximumTolerance = Money(units: 1_000_000 * 10_000)

    /// The web site writes the Inbox and reads the Outbox: they must be two separate folders,
    /// and the store, the dumps and the mail templates must be in neither (a site could read
    /// the password hashes, or write master data and mail templates).
    func checkFolders(_ configuration: Configuration) throws(PuenteError) {
        let inbox = configuration.inbox.path.standardizedFileURL.path
        let outbox = configuration.outboxPath.standardizedFileURL.path
        func inside(_ path: String, _ folder: String) -> Bool {
            path == folder || path.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/")
        }
        if inside(inbox, outbox) || inside(outbox, inbox) {
            throw error(inside(inbox, outbox) ? "inbox.path" : "outbox.path",
                        "the Inbox (\(inbox)) and the Outbox (\(outbox)) must be separate folders, neither inside the other")
        }
        var shared: [(key: String, path: String)] = [("database", configuration.database.standardizedFileURL.path)]
        if let source = configuration.mastersSource { shared.append(("masters.source", source.standardizedFileURL.path)) }
        if let templates = configuration.mail.templates { shared.append(("mail.templates", templates.standardizedFileURL.path)) }
        for (key, path) in shared {
            for (name, folder) in [("Inbox", inbox), ("Outbox", outbox)] where inside(path, folder) {
                throw error(key, "\(path) is inside the \(name) (\(folder)), which the web site can reach")
            }
        }
    }

    func error(_ key: String, _ message: String) -> PuenteError {
        ConfigurationError.make(file: file.path, location: key, message: message)
    }

    func checkKeys(_ table: TOMLTable, allowed: Set<String>, prefix: String) throws(PuenteError) {
        for key in table.keys where !allowed.contains(key) {
            let known = allowed.sorted().joined(separator: ", ")
            throw error(prefix + key, "unknown key (known here: \(known))")
        }
    }

    func string(_ table: TOMLTable, _ key: String, _ path: String) throws(PuenteError) -> String? {
        guard let value = table[key] else { return nil }
        guard let text = value.string else { throw error(path, "must be a string") }
        // A line break in mail.from would forge mail headers; one in a name, lines of output.
        if let bad = text.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw error(path, "holds the control character \(SafeText.codePoint(bad))")
        }
        return text
    }

    /// A whole number within `range`; the message says the range, so a huge value that
    /// would overflow later (`max_file_mb = 9223372036854775807`) is refused here.
    func integer(_ table: TOMLTable, _ key: String, _ path: String, in range: ClosedRange<Int>,
                 unit: String = "") throws(PuenteError) -> Int? {
        guard let number = try integer(table, key, path) else { return nil }
        guard range.contains(number) else {
            throw error(path, "must be from \(range.lowerBound) to \(range.upperBound)\(unit), not \(number)")
        }
        return number
    }

    func integer(_ table: TOMLTable, _ key: String, _ path: String) throws(PuenteError) -> Int? {
        guard let value = table[key] else { return nil }
        guard let number = value.int else { throw error(path, "must be a whole number") }
        return number
    }

    func number(_ table: TOMLTable, _ key: String, _ path: String) throws(PuenteError) -> Double? {
        guard let value = table[key] else { return nil }
        if let number = value.int { return Double(number) }
        guard let number = value.double else { throw error(path, "must be a number") }
        return number
    }

    func bool(_ table: TOMLTable, _ key: String, _ path: String) throws(PuenteError) -> Bool? {
        guard let value = table[key] else { return nil }
        guard let flag = value.bool else { throw error(path, "must be true or false") }
        return flag
    }

    func subtable(_ table: TOMLTable, _ key: String) throws(PuenteError) -> TOMLTable? {
        guard let value = table[key] else { return nil }
        guard let sub = value.table else { throw error(key, "must be a table ([\(key)])") }
        return sub
    }

    func path(_ text: String) -> URL {
        URL(filePath: text, relativeTo: directory).standardizedFileURL
    }

    func policy(_ table: TOMLTable, _ key: String, _ path: String) throws(PuenteError) -> Configuration.Policy? {
        guard let text = try string(table, key, path) else { return nil }
        guard let policy = Configuration.Policy(rawValue: text) else { throw error(path, "must be \"hold\" or \"reject\", not \"\(text)\"") }
        return policy
    }

    mutating func configuration(from root: TOMLTable) throws(PuenteError) -> Configuration {
        var configuration = Configuration(directory: directory)
        configuration.file = file
        try checkKeys(root, allowed: ["database", "timezone", "locale", "inbox", "outbox", "site",
                                      "validation", "mail", "masters", "security"], prefix: "")
        if let database = try string(root, "database", "database") {
            guard !database.isEmpty else { throw error("database", "must not be empty") }
            configuration.database = path(database)
        }
        if let zone = try string(root, "timezone", "timezone") {
            guard let timezone = TimeZone(identifier: zone) else { throw error("timezone", "\"\(zone)\" is not a known time zone (for example America/Argentina/Buenos_Aires)") }
            configuration.timezone = timezone
        }
        if let locale = try string(root, "locale", "locale") {
            guard ["es-AR", "en-US"].contains(locale) else { throw error("locale", "\"\(locale)\" is not supported (es-AR or en-US)") }
            configuration.locale = locale
        }
        if let inbox = try subtable(root, "inbox") {
            try checkKeys(inbox, allowed: ["path", "settle_seconds", "done_markers", "max_file_mb"], prefix: "inbox.")
            if let value = try string(inbox, "path", "inbox.path") { configuration.inbox.path = path(value) }
            if let value = try number(inbox, "settle_seconds", "inbox.settle_seconds") {
                guard value >= 0, value <= 3600 else { throw error("inbox.settle_seconds", "must be from 0 to 3600 (seconds)") }
                configuration.inbox.settleSeconds = value
            }
            if let value = try bool(inbox, "done_markers", "inbox.done_markers") { configuration.inbox.doneMarkers = value }
            if let value = try integer(inbox, "max_file_mb", "inbox.max_file_mb", in: Self.maxFileMB, unit: " (megabytes)") {
                configuration.inbox.maxFileMB = value
            }
        }
        if let outbox = try subtable(root, "outbox") {
            try checkKeys(outbox, allowed: ["path"], prefix: "outbox.")
            if let value = try string(outbox, "path", "outbox.path") { configuration.outboxPath = path(value) }
        }
        if let value = root["site"] {
            guard let sites = value.array else { throw error("site", "must be an array of tables ([[site]])") }
            var parsed: [Configuration.Site] = []
            for (index, element) in sites.enumerated() {
                let key = "site[\(index + 1)]"
                guard let site = element.table else { throw error(key, "must be a table with pos and name") }
                try checkKeys(site, allowed: ["pos", "name"], prefix: key + ".")
                guard let pos = try integer(site, "pos", key + ".pos") else { throw error(key + ".pos", "is required") }
                guard (1...9999).contains(pos) else { throw error(key + ".pos", "must be a point of sale from 1 to 9999, not \(pos)") }
                guard !parsed.contains(where: { $0.pos == pos }) else { throw error(key + ".pos", "POS \(pos) is configured twice") }
                let name = try string(site, "name", key + ".name") ?? "Sitio \(pos)"
                parsed.append(.init(pos: pos, name: name))
            }
            guard !parsed.isEmpty else { throw error("site", "needs at least one [[site]]") }
            configuration.sites = parsed
        }
        if let validation = try subtable(root, "validation") {
            try checkKeys(validation, allowed: ["price_mismatch", "product_inactive", "price_tolerance"], prefix: "validation.")
            if let value = try policy(validation, "price_mismatch", "validation.price_mismatch") { configuration.validation.priceMismatch = value }
            if let value = try policy(validation, "product_inactive", "validation.product_inactive") { configuration.validation.productInactive = value }
            if let value = try string(validation, "price_tolerance", "validation.price_tolerance") {
                guard let money = Money(value), money >= .zero, money <= Self.maximumTolerance else {
                    throw error("validation.price_tolerance",
                                "must be an amount from \"0\" to \"\(Self.maximumTolerance)\" written as a string, like \"0.01\"")
                }
                configuration.validation.priceTolerance = money
            }
        }
        if let mail = try subtable(root, "mail") {
            try checkKeys(mail, allowed: ["enabled", "from", "sendmail", "templates"], prefix: "mail.")
            if let value = try bool(mail, "enabled", "mail.enabled") { configuration.mail.enabled = value }
            if let value = try string(mail, "from", "mail.from") { configuration.mail.from = value }
            if let value = try string(mail, "sendmail", "mail.sendmail") { configuration.mail.sendmail = value }
            if let value = try string(mail, "templates", "mail.templates") { configuration.mail.templates = value.isEmpty ? nil : path(value) }
        }
        if let masters = try subtable(root, "masters") {
            try checkKeys(masters, allowed: ["source"], prefix: "masters.")
            if let value = try string(masters, "source", "masters.source") { configuration.mastersSource = value.isEmpty ? nil : path(value) }
        }
        if let security = try subtable(root, "security") {
            try checkKeys(security, allowed: ["bcrypt_cost"], prefix: "security.")
            if let value = try integer(security, "bcrypt_cost", "security.bcrypt_cost", in: 4...31) {
                configuration.bcryptCost = value
            }
        }
        try checkFolders(configuration)
        return configuration
    }
}
