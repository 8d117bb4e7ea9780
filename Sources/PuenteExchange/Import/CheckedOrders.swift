import Foundation
import PuenteDomain
import PuenteFormats

/// Reads and checks a file's orders on a thread of its own while the caller posts them, so
/// parsing and the rules run on one core and SQLite on the other. Orders come in batches
/// through a small bounded queue: memory stays flat whatever the file's size.
final class CheckedOrders: @unchecked Sendable {
    // @unchecked: the state below is guarded by `condition`; the validator is used only by
    // the reading thread.
    typealias Batch = [(draft: OrderDraft, verdict: OrderVerdict)]

    private let condition = NSCondition()
    private var batches: [Batch] = []
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false
    private let capacity = 8
    private let batchSize = 256

    private struct Cancelled: Error {}

    /// Starts reading `file` (at most `maxBytes`) and checking each order with `validator`.
    init(file: UntrustedFile, maxBytes: Int, validator: OrderValidator) {
        let box = UncheckedBox(validator)
        // The thread keeps this object alive until it has finished or was cancelled.
        Thread.detachNewThread { [self] in
            var batch: Batch = []
            batch.reserveCapacity(batchSize)
            do {
                try OrderFileReader.read(file, maxBytes: maxBytes) { draft in
                    batch.append((draft, try box.value.check(draft)))
                    if batch.count == batchSize {
                        try put(batch)
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                if !batch.isEmpty { try put(batch) }
                finish(nil)
            } catch is Cancelled {
                finish(nil)
            } catch {
                finish(error)
            }
        }
    }

    /// The next batch, or nil at the end of the file; rethrows what the reader threw (an
    /// `OrderFileError` for an unreadable file).
    func next() throws -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        while batches.isEmpty, !finished { condition.wait() }
        if !batches.isEmpty {
            let batch = batches.removeFirst()
            condition.broadcast()
            return batch
        }
        if let failure { throw failure }
        return nil
    }

    /// Stops the reader (the caller gave up on the file).
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    private func put(_ batch: Batch) throws {
        condition.lock()
        defer { condition.unlock() }
        while batches.count >= capacity, !cancelled { condition.wait() }
        if cancelled { throw Cancelled() }
        batches.append(batch)
        condition.broadcast()
    }

    private func finish(_ error: (any Error)?) {
        condition.lock()
        finished = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }
}

/// Hands a value that is used by one thread at a time to another thread.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
