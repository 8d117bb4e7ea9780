import PuenteDomain

/// What an import did with one file.
public struct FileImportReport: Codable, Sendable, Equatable {
    public var file: String
    /// `processed` (read; its orders may still be held or rejected), `rejected` (could not be
    /// read at all), or `finished` (a file an interrupted run had committed, moved now).
    public var outcome: String
    /// The file-level reason of a rejected file, and its explanation.
    public var reason: ReasonCode?
    public var message: String?
    public var orders = 0
    /// Orders per outcome (`accepted`, `held`, `rejected`, `duplicate`).
    public var outcomes: [String: Int] = [:]
    /// Reasons given, per code, over all orders of the file.
    public var reasons: [String: Int] = [:]
    /// The held and rejected orders, one line each (the first 100; the ack has them all).
    public var attention: [String] = []
    public var attentionNotShown = 0
    /// Where the ack and the file went (relative to the Inbox/Outbox); nil in a dry run.
    public var ack: String?
    public var movedTo: String?

    public init(file: String, outcome: String) {
        self.file = file
        self.outcome = outcome
    }

    static let attentionShown = 100

    mutating func count(_ verdict: OrderVerdict, line: String?) {
        orders += 1
        outcomes[verdict.outcome.rawValue, default: 0] += 1
        for reason in verdict.reasons { reasons[reason.code.rawValue, default: 0] += 1 }
        if let line {
            if attention.count < Self.attentionShown { attention.append(line) } else { attentionNotShown += 1 }
        }
    }

    /// Held or rejected orders, or the file itself rejected.
    public var needsAttention: Bool {
        outcome == "rejected" || (outcomes["held"] ?? 0) > 0 || (outcomes["rejected"] ?? 0) > 0
    }
}

/// What `puente import` did.
public struct ImportReport: Codable, Sendable, Equatable {
    public var dryRun: Bool
    public var files: [FileImportReport] = []
    /// Inbox entries left alone (links, FIFOs, unreadable files, names that are not UTF-8)
    /// and files imported whose move is still to do.
    public var problems: [InboxEntryProblem] = []

    public init(dryRun: Bool) { self.dryRun = dryRun }

    public var needsAttention: Bool { files.contains(where: \.needsAttention) || !problems.isEmpty }

    /// Orders per outcome over all files.
    public var outcomes: [String: Int] {
        files.reduce(into: [:]) { total, file in
            for (key, value) in file.outcomes { total[key, default: 0] += value }
        }
    }

    /// Reasons per code over all files.
    public var reasons: [String: Int] {
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
