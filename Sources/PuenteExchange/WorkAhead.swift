import Foundation

/// Work started on a thread of its own ahead of the moment its result is needed: the first
/// Inbox file opened and hashed while the masters load, a dump's passwords hashed while the
/// dumps before it load. `get()` waits for it and returns or rethrows what it came to, as
/// doing the work then would have.
final class WorkAhead<Value>: @unchecked Sendable {
    // @unchecked: `result` is written once by the working thread, under `condition`; the
    // value is handed whole to the thread that takes it.
    private let condition = NSCondition()
    private var result: Result<Value, any Error>?

    /// Starts `work`.
    init(_ work: @escaping @Sendable () throws -> Value) {
        Thread.detachNewThread { [self] in
            let result = Result { try work() }
            condition.lock()
            self.result = result
            condition.broadcast()
            condition.unlock()
        }
    }

    /// What the work came to, once done.
    func get() throws -> Value {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        return try result!.get()
    }
}
