import Foundation
import PuenteDomain
import PuenteStore

/// What `puente status` tells: what waits in the Inbox and why, held orders and their age, the
/// last runs, each site's last package and whether the site took it, mail waiting, and what
/// needs a person (which makes the exit status 65).
public struct StatusReport: Encodable, Sendable {
    public struct HeldOrder: Encodable, Sendable, Equatable {
        public var number: String
        public var client: String
        public var since: String
        /// Seconds since it was held.
        public var ageSeconds: Int
    }

    public struct Run: Encodable, Sendable, Equatable {
        public var run: Int64
        public var started: String
        public var finished: String?
        /// `running`, `done`, `attention`, `failed`, `stopped`, `interrupted` (it never ended).
        public var outcome: String
        public var exitStatus: Int32?
        /// What it did, in one line (`import: 2 files, 14 orders (3 accepted…)`).
        public var did: String
        /// The steps that failed, as `step: message`.
        public var failures: [String]
    }

    public struct Site: Encodable, Sendable, Equatable {
        public var pos: Int
        public var name: String
        /// The last package's file name, and when it was made (nil: none yet).
        public var lastPackage: String?
        public var created: String?
        /// Whether the site took it (it is no longer in `Outbox/<pos>/`).
        public var pickedUp: Bool?
        /// Packages in `Outbox/<pos>/` the site has not taken yet, oldest first.
        public var waiting: [String]
        /// Seconds the oldest waiting package has waited (by its file's time).
        public var oldestWaitingSeconds: Int?
    }

    public struct Mail: Encodable, Sendable, Equatable {
        /// Recorded, not handed over yet (the next run does).
        public var queued: Int
        /// A run was handing them over when it stopped: never resent; a person checks.
        public var uncertain: Int
    }

    public var store: String
    /// There is no store yet (nothing has run).
    public var noStore: Bool
    public var inbox: [InboxScanner.Entry]
    /// Imported files whose move out of the Inbox is still to do (the next run does it).
    public var unfinished: [String]
    public var held: [HeldOrder]
    public var runs: [Run]
    public var sites: [Site]
    public var mail: Mail
    /// What needs a person, in sentences: empty when nothing does.
    public var attention: [String]

    /// Whether something does (the exit status 65): in the JSON for scripts too.
    public var needsAttention: Bool

    /// A package the site has not taken for this long is worth a person's look.
    public static let staleHours = 24

    /// An age for people: `40 s`, `12 min`, `5 h`, `3 days`.
    public static func age(_ seconds: Int) -> String {
        switch seconds {
        case ..<60: "\(seconds) s"
        case ..<3600: "\(seconds / 60) min"
        case ..<(48 * 3600): "\(seconds / 3600) h"
        default: "\(seconds / 86400) days"
        }
    }
}

extension PuenteSession {
    /// How things stand: read only, never taking the run lock (a status while a run works
    /// shows it running). The Inbox is looked at twice, `gap` seconds apart (at most the
    /// configured `settle_seconds`), to tell a file still being written.
    public func status(gap: Double = 2, runs limit: Int = 5) throws -> StatusReport {
        let now = clock.now
        let inbox = configuration.inbox
        var attention: [String] = []
        let entries: [InboxScanner.Entry]
        do {
            entries = try InboxScanner(folder: inbox.path, settleSeconds: inbox.settleSeconds, doneMarkers: inbox.doneMarkers)
                .survey(gap: gap)
        } catch {
            entries = []
            attention.append("the Inbox cannot be read: \(error)")
        }
        for entry in entries where entry.needsAttention {
            attention.append("Inbox: \(entry.name) \(entry.detail)")
        }
        let unfinished = try store.unfinishedFiles().map(\.name)

        let held = try store.heldOrders().map { order in
            StatusReport.HeldOrder(number: order.number.description, client: order.client, since: order.since,
                                   ageSeconds: max(0, Int(now.timeIntervalSince1970) - Int(order.sinceUnix)))
        }
        if let oldest = held.first {
            attention.append((held.count == 1 ? "1 held order waits" : "\(held.count) held orders wait") + " for a person (the oldest, \(oldest.number), "
                             + "for \(StatusReport.age(oldest.ageSeconds))): puente orders list --status held")
        }

        let runs = try store.recentRuns(limit: limit).map(Self.statusRun)
        if let last = runs.first {
            switch last.outcome {
            case "failed":
                attention.append("the last run (\(last.run), \(last.started)) failed: " + last.failures.joined(separator: "; "))
            case "interrupted":
                attention.append("the last run (\(last.run), \(last.started)) never ended (killed, or the machine stopped): "
                                 + "the next run completes what it began")
            case "attention":
                attention.append("the last run (\(last.run), \(last.started)) left something for a person (\(last.did)): "
                                 + "puente report rejects, puente orders list --status held")
            default: break
            }
        }

        var sites: [StatusReport.Site] = []
        for site in configuration.sites {
            let folder = configuration.outboxPath.appending(path: String(site.pos))
            let last = try store.lastPackage(pos: site.pos)
            var waiting: [(name: String, modified: Int)] = []
            if let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) {
                for name in names where !name.hasPrefix(".") && name.hasSuffix(".zip") {
                    var info = stat()
                    guard lstat(folder.appending(path: name).path, &info) == 0 else { continue }
                    waiting.append((name, info.st_mtim.tv_sec))
                }
            }
            waiting.sort { $0.name < $1.name }
            let oldest = waiting.map(\.modified).min().map { max(0, Int(now.timeIntervalSince1970) - $0) }
            let pickedUp = last.map { record in !waiting.contains { $0.name == record.fileName } }
            sites.append(StatusReport.Site(pos: site.pos, name: site.name, lastPackage: last?.fileName, created: last?.created,
                                           pickedUp: pickedUp, waiting: waiting.map(\.name), oldestWaitingSeconds: oldest))
            if let oldest, oldest >= StatusReport.staleHours * 3600 {
                attention.append("site \(site.pos) has not taken \(waiting.count) package\(waiting.count == 1 ? "" : "s") "
                                 + "from \(folder.path) for \(StatusReport.age(oldest)): is the site fetching them?")
            }
        }

        let counts = try store.mailCounts()
        let mail = StatusReport.Mail(queued: counts["queued"] ?? 0, uncertain: counts["handing"] ?? 0)
        // A run hands over what it made; what is still queued after it was refused — unless
        // the last run is working or was stopped (a signal) before its mail step: then the
        // mail simply waits for the next run.
        let mailWaits = ["running", "stopped"].contains(runs.first?.outcome ?? "")
        if mail.queued > 0, !mailWaits {
            attention.append("\(mail.queued) e-mail\(mail.queued == 1 ? "" : "s") could not be handed over (mail.sendmail refused "
                             + "\(mail.queued == 1 ? "it" : "them")): the next run tries again; they are in Outbox/mail/")
        }
        if mail.uncertain > 0 {
            attention.append("\(mail.uncertain) e-mail\(mail.uncertain == 1 ? " was" : "s were") being handed over when a run stopped: "
                             + "check whether \(mail.uncertain == 1 ? "it" : "they") went out (Outbox/mail/ keeps them)")
        }
        return StatusReport(store: configuration.database.path, noStore: isScratch, inbox: entries, unfinished: unfinished,
                            held: held, runs: runs, sites: sites, mail: mail, attention: attention,
                            needsAttention: !attention.isEmpty)
    }

    private static func statusRun(_ record: RunRecord) -> StatusReport.Run {
        var outcome = record.outcome ?? "running"
        if record.outcome == nil, kill(record.pid, 0) != 0, errno == ESRCH {
            // No such process: it was killed, or the machine stopped, and no run has begun since.
            outcome = "interrupted"
        }
        struct Summary: Decodable {
            struct Failure: Decodable {
                var step: String
                var message: String
            }
            var failures: [Failure]
            var did: String?
        }
        let summary = record.summary.flatMap { try? JSONDecoder().decode(Summary.self, from: Data($0.utf8)) }
        let failures = summary?.failures.map { "\($0.step): \($0.message)" } ?? []
        return StatusReport.Run(run: record.id, started: record.started, finished: record.finished, outcome: outcome,
                                exitStatus: record.exitStatus, did: summary?.did ?? "", failures: failures)
    }
}
