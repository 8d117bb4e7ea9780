import ArgumentParser
import Foundation
import Logging
import PuenteDomain
import PuenteExchange

/// Options every subcommand accepts, before or after its name.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (default: puente.toml here, or $PUENTE_CONFIG).")
    var config: String?

    @Flag(name: .long, help: "Log more detail to stderr.")
    var verbose = false

    @Flag(name: .long, help: "Print nothing but errors.")
    var quiet = false

    @Flag(name: .long, help: "Print a machine-readable summary on stdout.")
    var json = false

    /// Moves global options written before the subcommand name to after it (before a `--`).
    static func movingLeadingGlobals(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var rest = arguments[...]
        while let first = rest.first, first.hasPrefix("--"), first != "--" {
            if ["--json", "--verbose", "--quiet"].contains(first) || first.hasPrefix("--config=") {
                leading.append(first)
                rest = rest.dropFirst()
            } else if first == "--config", rest.count >= 2 {
                leading += rest.prefix(2)
                rest = rest.dropFirst(2)
            } else {
                break
            }
        }
        guard !leading.isEmpty else { return arguments }
        var moved = Array(rest)
        let end = moved.firstIndex(of: "--") ?? moved.endIndex
        moved.insert(contentsOf: leading, at: end)
        return moved
    }

    /// Reads the configuration and sets up logging (stderr); once per process.
    /// `defaultLevel`: what is logged without `--verbose` or `--quiet` (`run` logs its notices:
    /// watching, a signal, stopping).
    func makeContext(defaultLevel: Logger.Level = .warning) throws -> CommandContext {
        let level: Logger.Level = verbose ? .debug : (quiet ? .error : defaultLevel)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return OneLineLogHandler(wrapped: handler)
        }
        let workingDirectory = URL(filePath: FileManager.default.currentDirectoryPath, directoryHint: .isDirectory)
        let configuration = try Failure.guarding {
            try Configuration.load(explicitPath: config, environment: ProcessInfo.processInfo.environment,
                                   workingDirectory: workingDirectory)
        }
        return CommandContext(configuration: configuration, logger: Logger(label: "puente"),
                              workingDirectory: workingDirectory, options: self)
    }
}

struct CommandContext {
    let configuration: Configuration
    let logger: Logger
    let workingDirectory: URL
    let options: GlobalOptions

    /// The session a command works in (the run lock first when it writes); a failure to open
    /// it is reported with its exit status.
    func session(_ access: PuenteSession.Access = .write, stop: StopRequest = StopRequest()) throws -> PuenteSession {
        try Failure.guarding { try PuenteSession(configuration: configuration, logger: logger, access: access, stop: stop) }
    }

    /// Human output: stdout, unless `--quiet` or `--json`.
    func say(_ text: String) {
        guard !options.quiet, !options.json else { return }
        print(text)
    }

    /// The `--json` summary on stdout.
    func printJSON(_ value: some Encodable) throws {
        guard options.json else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data = try encoder.encode(value)
        print(String(decoding: data, as: UTF8.self))
    }

    /// The `--json` summary as one line (JSON Lines: one per cycle of `run --watch`).
    func printJSONLine(_ value: some Encodable) throws {
        guard options.json else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        FileHandle.standardOutput.write(try encoder.encode(value) + Data("\n".utf8))
    }

    /// Human output written at once (not held in stdout's buffer: a long-running
    /// `run --watch` under a service manager shows each cycle as it ends).
    func sayNow(_ text: String) {
        guard !options.quiet, !options.json else { return }
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}

/// Logs one line per event: a message or value holding a line break or an ESC sequence (a
/// file name from the Inbox, say) is written escaped, so nothing can forge a log line.
struct OneLineLogHandler: LogHandler {
    var wrapped: StreamLogHandler

    var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        var event = event
        event.message = "\(SafeText.forTerminal(event.message.description))"
        event.metadata = event.metadata?.mapValues { .string(SafeText.forTerminal($0.description)) }
        wrapped.log(event: event)
    }
}
