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
        let watchdog = DispatchWorkItem { [process] in if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        defer { watchdog.cancel() }
        // Read both pipes while the process runs so neither fills up.
        let errorData = ErrorCollector(stderr.fileHandleForReading)
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus,
                       stdout: String(decoding: output, as: UTF8.self),
                       stderr: String(decoding: errorData.wait(), as: UTF8.self))
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
