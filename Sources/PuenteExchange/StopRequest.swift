import Foundation
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
        // Monotonic: a clock set back or forward does not stretch or cut the wait.
        let deadline = ContinuousClock.now + .milliseconds(Int64((seconds * 1000).rounded(.up)))
        while true {
            let left = (deadline - ContinuousClock.now).inSeconds
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

extension Duration {
    /// The duration in seconds, as a `Double`.
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
