import NIOConcurrencyHelpers
import NIOCore

/// Wraps a promise that several racing paths (answer, deadline, failover) may try to complete:
/// the first wins, later attempts are ignored.
struct CompletionOnce<Value: Sendable>: Sendable {
    let promise: EventLoopPromise<Value>
    private let done = NIOLockedValueBox(false)

    init(_ promise: EventLoopPromise<Value>) {
        self.promise = promise
    }

    private func claim() -> Bool {
        self.done.withLockedValue { done in
            if done { return false }
            done = true
            return true
        }
    }

    func succeed(_ value: Value) {
        if self.claim() { self.promise.succeed(value) }
    }

    func fail(_ error: Error) {
        if self.claim() { self.promise.fail(error) }
    }

    var isDone: Bool { self.done.withLockedValue { $0 } }
}
