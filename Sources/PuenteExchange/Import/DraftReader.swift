import Foundation
import PuenteDomain
import PuenteFormats

/// One file's orders parsed on a thread of its own (libxml2 and the XSD, or the CSV reader),
/// handed on in batches through a small bounded queue: the checker works on one batch while
/// the next is parsed. Three threads then share the two cores — parsing, checking, posting —
/// instead of the checker parsing too (measured in Benchmarks/README.md).
final class DraftReader: @unchecked Sendable {
    // @unchecked: the state below is guarded by `condition`.
    private let condition = NSCondition()
    private var batches: [[OrderDraft]] = []
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false
    private static let batchSize = 256
    private static let capacity = 4

    private struct Cancelled: Error {}

    /// Starts reading `file` (at most `maxBytes`), holding XML to the orders schema as `schema` says.
    init(file: UntrustedFile, maxBytes: Int, schema: OrderFileReader.SchemaCheck) {
        // The thread keeps this object alive until it has finished or was cancelled.
        Thread.detachNewThread { [self] in
            var batch: [OrderDraft] = []
            batch.reserveCapacity(Self.batchSize)
            do {
                try OrderFileReader.read(file, maxBytes: maxBytes, schema: schema) { draft in
                    batch.append(draft)
                    if batch.count == Self.batchSize {
                        try put(batch)
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                if !batch.isEmpty { try put(batch) }
                end(nil)
            } catch is Cancelled {
                end(nil)
            } catch {
                end(error)
            }
        }
    }

    /// The next batch of orders in file order, or nil at the end; rethrows what reading threw
    /// (an `OrderFileError` for an unreadable file), after the orders read before it.
    func next() throws -> [OrderDraft]? {
        condition.lock()
        defer { condition.unlock() }
        while batches.isEmpty, !finished { condition.wait() }
        if !batches.isEmpty {
            condition.broadcast()
            return batches.removeFirst()
        }
        if let failure { throw failure }
        return nil
    }

    /// Stops the reading thread (the checker gave up on the file).
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    private func put(_ batch: [OrderDraft]) throws {
        condition.lock()
        defer { condition.unlock() }
        while batches.count >= Self.capacity, !cancelled { condition.wait() }
        if cancelled { throw Cancelled() }
        batches.append(batch)
        condition.broadcast()
    }

    private func end(_ error: (any Error)?) {
        condition.lock()
        finished = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }
}
