import CPosix
import Foundation
import Logging
import PuenteDomain

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
    /// opened): the next cycle tries again — unless it is a configuration error (the store on
    /// a network file system, say), which no waiting mends: that error ends the watch, thrown.
    public func run(interval: Double, each: (Result<CycleReport, any Error>) -> Void) throws {
        var events = InboxEvents(folder: configuration.inbox.path)
        while !stop.isRequested {
            do {
                let session = try PuenteSession(configuration: configuration, logger: logger, clock: clock, stop: stop)
                each(.success(session.jobCycle().run()))
            } catch let error as PuenteError where error.code == .configuration {
                throw error
            } catch {
                logger.warning("run: the cycle could not start", metadata: ["code": "\((error as? PuenteError)?.code.description ?? "io")"])
                each(.failure(error))
            }
            // The cycle's session is gone: what its connections cached goes back to the system.
            puente_release_free_memory()
            var remaining = interval
            while remaining > 0, !stop.isRequested {
                // The Inbox may have been missing (a share not mounted yet), or made again:
                // without a watch on it, look for it again every few seconds.
                if events == nil || events?.isStale == true { events = InboxEvents(folder: configuration.inbox.path) }
                let began = ContinuousClock.now
                let wake = stop.wait(seconds: events == nil ? min(remaining, 5) : remaining, events: events?.descriptor)
                remaining -= (ContinuousClock.now - began).inSeconds
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
