import Foundation

/// Runs the real `puente` binary, as end-to-end tests must.
public struct PuenteProcess {
    public struct Outcome: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// The `puente` built beside the running test bundle.
    public static var binary: URL {
        let testExecutable = URL(filePath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                                 ?? CommandLine.arguments[0])
        var folder = testExecutable.deletingLastPathComponent()
        // On macOS the test bundle is a folder (…/PuentePackageTests.xctest/Contents/MacOS).
        while !FileManager.default.isExecutableFile(atPath: folder.appending(path: "puente").path), folder.pathComponents.count > 1 {
            folder = folder.deletingLastPathComponent()
        }
        return folder.appending(path: "puente")
    }

    /// Runs `puente arguments…` in `directory` and waits for it; killed (status 137) after
    /// `timeout` seconds, so a run that would hang fails its test instead of stalling it.
    /// With `user`, runs as that numeric user and group (`setpriv`, for a test run as root
    /// that needs permissions to bite).
    public static func run(_ arguments: [String], in directory: URL, environment: [String: String] = [:],
                           timeout: Double = 120, user: UInt32? = nil) throws -> Outcome {
        try start(arguments, in: directory, environment: environment, user: user).wait(timeout: timeout)
    }
}

extension PuenteProcess {
    /// Starts `puente arguments…` in `directory` without waiting for it (a `run --watch`);
    /// `user` as in `run`.
    public static func start(_ arguments: [String], in directory: URL, environment: [String: String] = [:],
                             user: UInt32? = nil) throws -> Running {
        let process = Process()
        if let user {
            process.executableURL = URL(filePath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=\(user)", "--regid=\(user)", "--clear-groups", binary.path] + arguments
        } else {
            process.executableURL = binary
            process.arguments = arguments
        }
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "PUENTE_CONFIG")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        return Running(process: process, stdout: ErrorCollector(stdout.fileHandleForReading),
                       stderr: ErrorCollector(stderr.fileHandleForReading))
    }

    /// A `puente` started by `start`.
    public final class Running: @unchecked Sendable {
        // @unchecked: Process is used from the test's thread only.
        let process: Process
        private let stdout: ErrorCollector
        private let stderr: ErrorCollector

        fileprivate init(process: Process, stdout: ErrorCollector, stderr: ErrorCollector) {
            self.process = process
            self.stdout = stdout
            self.stderr = stderr
        }

        public var pid: Int32 { process.processIdentifier }
        public var isRunning: Bool { process.isRunning }

        /// Sends `signal` (SIGTERM, SIGINT…).
        public func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

        /// Waits for it to end, reading its output meanwhile; killed with SIGKILL after
        /// `timeout` seconds (status 137), so a run that would hang fails its test instead of stalling it.
        public func wait(timeout: Double = 120) -> Outcome {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning, Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout.wait(), as: UTF8.self),
                           stderr: String(decoding: stderr.wait(), as: UTF8.self))
        }
    }
}

/// Drains a pipe on its own thread.
private final class ErrorCollector: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}
