import Foundation
import Logging
import PuenteDomain
import PuenteFormats
import PuenteStore

/// One file's orders checked, numbered, acknowledged and made into rows on a thread of its
/// own, while the caller writes the rows in its transaction: parsing (libxml2, or the CSV
/// reader) on a third thread (`DraftReader`), the rules, the ack and the rows on this one,
/// SQLite on the caller's, the slowest of the three, which does nothing else; they share the
/// two cores. Each order's verdict is decided in one place, `OrderValidator.check`, and
/// posted as it is.
///
/// The order already posted under a POS and id comes from the store as committed (a connection
/// of the checker's own), or, for one posted earlier in this run's uncommitted work, from the
/// poster itself: the checker remembers a fingerprint of every (POS, id) it sent to be posted
/// and, when one comes again, waits for the poster to have posted everything before and asks
/// it. Orders go in batches through a small bounded queue: memory stays flat whatever the
/// file's size.
final class CheckedFile: @unchecked Sendable {
    // @unchecked: the state below is guarded by `condition`; the validator, the ack and the
    // ledger are used by the checking thread only, until `outcome` is read after the end.

    /// What the checking thread hands to the posting one, in order.
    enum Item {
        /// The rows of the next orders, to write (`OrderPoster.write`).
        case rows(OrderRows)
        /// Answer with the order posted under this POS and id (`answer(_:with:)`).
        case lookup(Lookup)
    }

    final class Lookup: @unchecked Sendable {
        let pos: Int
        let webID: String
        fileprivate var answer: Result<PostedOrder?, any Error>?

        init(pos: Int, webID: String) {
            self.pos = pos
            self.webID = webID
        }
    }

    /// What the checker made of the file, once `next()` returned nil.
    struct Outcome {
        var report: FileImportReport
        var ledger: ImportLedger
    }

    private let condition = NSCondition()
    private var items: [Item] = []
    private var queuedOrders = 0
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false
    private var result: Outcome?
    private static let batchSize = 256
    private static let capacity = 8 * batchSize

    private struct Cancelled: Error {}

    /// Starts reading `file` (at most `maxBytes`, XML held to the orders schema as `schema`
    /// says), checking each order with `validator` against `committed` and `ledger`, and
    /// writing each outcome to `ack` (finished at the end) and each order to `rows`.
    init(file: UntrustedFile, name: String, maxBytes: Int, schema: OrderFileReader.SchemaCheck,
         validator: OrderValidator, committed: CommittedOrders, ledger: ImportLedger, ack: AckWriter, rows: OrderRows,
         progress: (@Sendable (ImportProgress) -> Void)?, logger: Logger, clock: any PuenteClock) {
        let work = UncheckedBox((validator, ack))
        // The thread keeps this object alive until it has finished or was cancelled.
        Thread.detachNewThread { [self] in
            let (validator, ack) = work.value
            var ledger = ledger
            var report = FileImportReport(file: name, outcome: .processed)
            var rows = rows
            let started = clock.now
            let drafts = DraftReader(file: file, maxBytes: maxBytes, schema: schema)
            // If checking fails, the reading thread must not wait for it forever.
            defer { drafts.cancel() }
            do {
                try committed.reading { committed in
                    while let orders = try drafts.next() {
                        for draft in orders {
                            var order = try validator.check(draft) { pos, webID in
                                guard ledger.mayHavePosted(pos: pos, webID: webID) else {
                                    return try committed.postedOrder(pos: pos, webID: webID)
                                }
                                // Posted in this run, not committed yet: the poster has it once it has
                                // written what was sent before.
                                try put(.rows(rows.take()))
                                return try ask(Lookup(pos: pos, webID: webID))
                            }
                            if order.status != nil, let pos = order.pos {
                                order.number = try ledger.nextNumber(pos: pos, committed: committed)
                                ledger.notePosted(pos: pos, webID: draft.id)
                            }
                            try ack.order(order)
                            report.count(order, line: OrderImporter.attentionLine(file: name, order))
                            rows.add(order)
                            if rows.count == Self.batchSize { try put(.rows(rows.take())) }
                            if report.orders % 1_000 == 0, let progress {
                                progress(ImportProgress(file: name, orders: report.orders, bytesRead: file.position,
                                                        totalBytes: file.size, elapsed: clock.now.timeIntervalSince(started)))
                            }
                            if report.orders % 10_000 == 0 {
                                logger.debug("import: \(name): \(report.orders) orders at \(Int(clock.now.timeIntervalSince(started) * 1000)) ms")
                            }
                        }
                    }
                }
                try put(.rows(rows.take()))
                try ack.finish()
                finish(nil, Outcome(report: report, ledger: ledger))
            } catch is Cancelled {
                finish(nil, nil)
            } catch {
                finish(error, nil)
            }
        }
    }

    /// The next item, or nil at the end of the file; rethrows what the checker threw (an
    /// `OrderFileError` for an unreadable file, a store error).
    func next() throws -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty, !finished { condition.wait() }
        if !items.isEmpty {
            let item = items.removeFirst()
            if case .rows(let rows) = item { queuedOrders -= rows.count }
            condition.broadcast()
            return item
        }
        if let failure { throw failure }
        return nil
    }

    /// The poster's answer to a lookup.
    func answer(_ lookup: Lookup, with answer: Result<PostedOrder?, any Error>) {
        condition.lock()
        lookup.answer = answer
        condition.broadcast()
        condition.unlock()
    }

    /// What the checker made of the file (after `next()` returned nil).
    var outcome: Outcome {
        condition.lock()
        defer { condition.unlock() }
        guard let result else { preconditionFailure("the file is not checked to the end") }
        return result
    }

    /// Stops the checker (the caller gave up on the file).
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    private func put(_ item: Item) throws {
        var count = 0
        if case .rows(let rows) = item {
            guard rows.count > 0 else { return }
            count = rows.count
        }
        condition.lock()
        defer { condition.unlock() }
        while queuedOrders >= Self.capacity, !cancelled { condition.wait() }
        if cancelled { throw Cancelled() }
        items.append(item)
        queuedOrders += count
        condition.broadcast()
    }

    private func ask(_ lookup: Lookup) throws -> PostedOrder? {
        try put(.lookup(lookup))
        condition.lock()
        defer { condition.unlock() }
        while lookup.answer == nil, !cancelled { condition.wait() }
        if cancelled { throw Cancelled() }
        return try lookup.answer!.get()
    }

    private func finish(_ error: (any Error)?, _ outcome: Outcome?) {
        condition.lock()
        finished = true
        failure = error
        result = outcome
        condition.broadcast()
        condition.unlock()
    }
}

/// What an import run has given out and sent to be posted so far: each POS's last number,
/// and a fingerprint of each (POS, id) posted (8 bytes an order; a fingerprint seen again
/// only means "ask the poster", never "duplicate").
struct ImportLedger: Sendable {
    private var lastNumbers: [Int: Int] = [:]
    private var posted: Set<Int> = []

    func mayHavePosted(pos: Int, webID: String) -> Bool { posted.contains(Self.fingerprint(pos, webID)) }

    mutating func notePosted(pos: Int, webID: String) { posted.insert(Self.fingerprint(pos, webID)) }

    /// The next number of `pos`: one past the last given out in this run, or past the last
    /// committed.
    mutating func nextNumber(pos: Int, committed: CommittedOrders.Reader) throws -> OrderNumber {
        let next = try (lastNumbers[pos] ?? committed.lastNumber(pos: pos)) + 1
        lastNumbers[pos] = next
        return OrderNumber(pos: pos, sequence: next)
    }

    private static func fingerprint(_ pos: Int, _ webID: String) -> Int {
        var hasher = Hasher()
        hasher.combine(pos)
        hasher.combine(webID)
        return hasher.finalize()
    }
}

/// Hands a value that is used by one thread at a time to another thread.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
