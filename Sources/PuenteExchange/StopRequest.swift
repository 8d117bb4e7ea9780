import Foundation
import Logging
import PuenteDomain
import Synchronization

/// A request to stop the job at the next safe point: after the current file (import), package
/// (export), masters load or mail batch, never in the middle of one. Set by the command line
/// when SIGTERM or SIGINT arrives; read by the steps between their units of work; it also
/// wakes a `--watch` that is waiting for its next cycle.
public final class StopRequest: Sendable {
    private let requests = Atomic<Int>(0)
    /// A pipe whose read end `JobWatch` polls: a byte written wakes it.
    private let wakeRead: Int32
    private let wakeWrite: Int32

    public init() {
        var ends: [Int32] = [-1, -1]
        if pipe(&ends) == 0 {
            for end in ends {
                _ = fcntl(end, F_SETFD, FD_CLOEXEC)
                _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            }
        } else {
            ends = [-1, -1]
        }
        wakeRead = ends[0]
        wakeWrite = ends[1]
    }

    deinit {
        if wakeRead >= 0 { close(wakeRead) }
        if wakeWrite >= 0 { close(wakeWrite) }
    }

    /// Asks the job to stop at the next safe point; returns how many times it was asked.
    @discardableResult
    public func request() -> Int {
        let count = requests.add(1, ordering: .sequentiallyConsistent).newValue
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        return count
    }

    public var isRequested: Bool { requests.load(ordering: .sequentiallyConsistent) > 0 }

    /// Waits until `seconds` have passed, a stop is requested, or `events` (an inotify
    /// descriptor) becomes readable; says which.
    func wait(seconds: Double, events: Int32?) -> Wake {
        guard !isRequested else { return .stop }
        var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        if let events { fds.append(pollfd(fd: events, events: Int16(POLLIN), revents: 0)) }
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return .timeout }
            let ready = poll(&fds, nfds_t(fds.count), Int32(min(left * 1000, Double(Int32.max)).rounded(.up)))
            if isRequested { return .stop }
            if ready > 0, fds.count > 1, fds[1].revents != 0 { return .inbox }
            if ready > 0, fds[0].revents != 0 { drainWake() }
            if ready < 0, errno != EINTR { Thread.sleep(forTimeInterval: min(left, 1)) }
        }
    }

    private func drainWake() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wakeRead, &buffer, buffer.count) > 0 {}
    }

    enum Wake {
        case timeout, stop, inbox
    }
}

/// Wakes a waiting `--watch` early when a file is written or moved into a local Inbox folder
/// (Linux inotify). Only a hint: events from other machines on an SMB or NFS share never
/// arrive, so the interval's polling is what always works.
final class InboxEvents {
    let descriptor: Int32

    init?(folder: URL) {
        #if os(Linux)
        let descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else { return nil }
        guard inotify_add_watch(descriptor, folder.path, UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE_SELF | IN_UNMOUNT)) >= 0 else {
            close(descriptor)
            return nil
        }
        self.descriptor = descriptor
        #else
        return nil
        #endif
    }

    /// The watched folder went away (removed, or its file system unmounted): watch it anew.
    private(set) var isStale = false

    /// Reads away the events that woke the watch.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            guard count > 0 else { return }
            // struct inotify_event: wd (4 bytes), mask (4), cookie (4), len (4), name (len).
            var offset = 0
            while offset + 16 <= count {
                let mask = buffer[offset + 4..<offset + 8].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                let length = buffer[offset + 12..<offset + 16].reversed().reduce(0) { $0 << 8 | Int($1) }
                #if os(Linux)
                if mask & UInt32(IN_IGNORED) != 0 { isStale = true }
                #endif
                offset += 16 + length
            }
        }
    }

    deinit { close(descriptor) }
}

/// The scheduled job as a long-running service (`puente run --watch`): a cycle, then a wait of
/// `interval` seconds (cut short when a file lands in a local Inbox), again and again until a
/// stop is requested. Each cycle opens its own session, so the run lock is held only while a
/// cycle works and a person's `puente orders release` can get in between two cycles.
public struct JobWatch: Sendable {
    let configuration: Configuration
    let logger: Logger
    let clock: any PuenteClock
    let stop: StopRequest

    public init(configuration: Configuration, logger: Logger, stop: StopRequest, clock: any PuenteClock = SystemClock()) {
        self.configuration = configuration
        self.logger = logger
        self.stop = stop
        self.clock = clock
    }

    /// Runs cycles until a stop is requested. `each` is given every cycle's report, or the
    /// error that kept a cycle from starting (another run holds the lock, the store cannot be
    /// opened): the next cycle tries again.
    public func run(interval: Double, each: (Result<CycleReport, any Error>) -> Void) {
        var events = InboxEvents(folder: configuration.inbox.path)
        while !stop.isRequested {
            do {
                let session = try PuenteSession(configuration: configuration, logger: logger, clock: clock, stop: stop)
                each(.success(session.jobCycle().run()))
            } catch {
                logger.warning("run: the cycle could not start", metadata: ["code": "\((error as? PuenteError)?.code.description ?? "io")"])
                each(.failure(error))
            }
            var remaining = interval
            while remaining > 0, !stop.isRequested {
                // The Inbox may have been missing (a share not mounted yet), or made again:
                // without a watch on it, look for it again every few seconds.
                if events == nil || events?.isStale == true { events = InboxEvents(folder: configuration.inbox.path) }
                let began = Date()
                let wake = stop.wait(seconds: events == nil ? min(remaining, 5) : remaining, events: events?.descriptor)
                remaining -= Date().timeIntervalSince(began)
                if wake == .inbox {
                    events?.drain()
                    // A watch on a folder that went away says so once: watch the new one instead.
                    if events?.isStale == true { continue }
                    logger.debug("run: a file arrived in the Inbox")
                    break
                }
            }
        }
        logger.notice("run: stopped as asked")
    }
}
