import PuenteDomain

/// What became of an Inbox file.
public enum FileOutcome: String, Codable, Sendable {
    /// Read; its orders may still be held or rejected.
    case processed
    /// Could not be read at all.
    case rejected
    /// A file an interrupted run had committed, moved now.
    case finished
}

/// How far an import has come, for a person watching it.
public struct ImportProgress: Sendable, Equatable {
    public var file: String
    public var orders: Int
    public var bytesRead: Int64
    public var totalBytes: Int64
    /// Seconds since the file was opened.
    public var elapsed: Double

    public init(file: String, orders: Int, bytesRead: Int64, totalBytes: Int64, elapsed: Double) {
        self.file = file
        self.orders = orders
        self.bytesRead = bytesRead
        self.totalBytes = totalBytes
        self.elapsed = elapsed
    }

    /// The share of the file read, 0…1.
    public var share: Double { totalBytes > 0 ? min(1, Double(bytesRead) / Double(totalBytes)) : 1 }

    public var ordersPerSecond: Double { elapsed > 0 ? Double(orders) / elapsed : 0 }

    /// Seconds left at the pace so far; nil until there is a pace to go by.
    public var secondsLeft: Double? {
        guard elapsed >= 0.5, bytesRead > 0 else { return nil }
        return elapsed * Double(totalBytes - bytesRead) / Double(bytesRead)
    }
}

/// What an import did with one file.
public struct FileImportReport: Codable, Sendable, Equatable {
    public var file: String
    public var outcome: FileOutcome
    /// The file-level reason of a rejected file, and its explanation.
    public var reason: ReasonCode?
    public var message: String?
    public var orders = 0
    /// Orders per outcome (in JSON an object: `accepted`, `held`, `rejected`, `duplicate`).
    public var outcomes: [OrderOutcome: Int] = [:]
    /// Reasons given, per code, over all orders of the file.
    public var reasons: [ReasonCode: Int] = [:]
    /// The held and rejected orders, one line each (the first 100; the ack has them all).
    public var attention: [String] = []
    public var attentionNotShown = 0
    /// Where the ack and the file went (relative to the Inbox/Outbox); nil in a dry run.
    public var ack: String?
    public var movedTo: String?

    public init(file: String, outcome: FileOutcome) {
        self.file = file
        self.outcome = outcome
    }

    static let attentionShown = 100

    mutating func count(_ order: CheckedOrder, line: String?) {
        orders += 1
        outcomes[order.outcome, default: 0] += 1
        for reason in order.reasons { reasons[reason.code, default: 0] += 1 }
        if let line {
            if attention.count < Self.attentionShown { attention.append(line) } else { attentionNotShown += 1 }
        }
    }

    /// Held or rejected orders, or the file itself rejected.
    public var needsAttention: Bool {
        outcome == .rejected || (outcomes[.held] ?? 0) > 0 || (outcomes[.rejected] ?? 0) > 0
    }
}

/// What `puente import` did.
public struct ImportReport: Codable, Sendable, Equatable {
    public var dryRun: Bool
    public var files: [FileImportReport] = []
    /// Inbox entries left alone (links, FIFOs, unreadable files, names that are not UTF-8)
    /// and files imported whose move is still to do.
    public var problems: [InboxEntryProblem] = []
    /// Stopped by a signal between two files: the files not begun wait for the next run.
    public var stopped = false

    public init(dryRun: Bool) { self.dryRun = dryRun }

    public var needsAttention: Bool { files.contains(where: \.needsAttention) || !problems.isEmpty }

    /// Orders per outcome over all files.
    public var outcomes: [OrderOutcome: Int] {
        files.reduce(into: [:]) { total, file in
            for (key, value) in file.outcomes { total[key, default: 0] += value }
        }
    }

    /// Reasons per code over all files.
    public var reasons: [ReasonCode: Int] {
        files.reduce(into: [:]) { total, file in
            for (key, value) in file.reasons { total[key, default: 0] += value }
        }
    }
}

/// An import stopped by a failure of the store (or of the Inbox itself) after it had finished
/// some files: what it finished, and why it stopped.
public struct ImportInterrupted: Error, Sendable, CustomStringConvertible {
    public let report: ImportReport
    public let error: any Error

    public var description: String { "\(error)" }
}
