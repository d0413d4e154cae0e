import NIOConcurrencyHelpers

/// One owner for a stream of updates: ``submit(_:)`` never blocks and never reorders, and a
/// single task applies the updates strictly one after another, each to completion before the
/// next starts. (One task per update, as before, let an older config land after a newer one.)
final class OrderedUpdateConsumer<Update: Sendable>: Sendable {
    private let continuation: AsyncStream<Update>.Continuation
    private let consumer: NIOLockedValueBox<Task<Void, Never>?>

    /// Starts the consuming task; `apply` is called with each update in submission order.
    init(apply: @escaping @Sendable (Update) async -> Void) {
        let (stream, continuation) = AsyncStream.makeStream(of: Update.self, bufferingPolicy: .unbounded)
        self.continuation = continuation
        self.consumer = NIOLockedValueBox(Task {
            for await update in stream { await apply(update) }
        })
    }

    /// Queues `update` behind every update submitted before it. Returns false once finished.
    @discardableResult
    func submit(_ update: Update) -> Bool {
        if case .enqueued = self.continuation.yield(update) { return true }
        return false
    }

    /// Takes no more updates; waits until those already queued were applied.
    func finish() async {
        self.continuation.finish()
        await self.consumer.withLockedValue { $0 }?.value
    }
}
