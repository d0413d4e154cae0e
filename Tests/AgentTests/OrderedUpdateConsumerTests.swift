@testable import Agent
import Foundation
import NIOConcurrencyHelpers
import Testing

/// The agent's config/identity flow has one owner: updates are applied in the order they were
/// submitted, one at a time, however long each takes. With one Task per config (the old
/// `useConfig`), v2 taking longer than v3 made v2 land last.
@Suite("Ordered update consumer")
struct OrderedUpdateConsumerTests {
    /// What the consumer did, in order: "start vN" / "end vN".
    final class Journal: Sendable {
        let events = NIOLockedValueBox<[String]>([])
        func note(_ event: String) { self.events.withLockedValue { $0.append(event) } }
    }

    @Test("v2 (slow to apply) then v3 (fast): v2 is applied first and v3 last, never interleaved")
    func slowOlderConfigDoesNotLandLast() async throws {
        let journal = Journal()
        let consumer = OrderedUpdateConsumer<Int> { version in
            journal.note("start v\(version)")
            // v2 takes much longer than v3: applied concurrently, v3 would finish first.
            try? await Task.sleep(for: .milliseconds(version == 2 ? 300 : 1))
            journal.note("end v\(version)")
        }
        #expect(consumer.submit(2))
        #expect(consumer.submit(3))
        await consumer.finish()
        #expect(journal.events.withLockedValue { $0 } == ["start v2", "end v2", "start v3", "end v3"])
        #expect(!consumer.submit(4), "a finished consumer takes no more updates")
    }

    @Test("500 updates submitted from one thread are applied exactly once each, in order")
    func manyUpdatesInOrder() async throws {
        let applied = NIOLockedValueBox<[Int]>([])
        let consumer = OrderedUpdateConsumer<Int> { version in
            if version % 50 == 0 { await Task.yield() }
            applied.withLockedValue { $0.append(version) }
        }
        for version in 1...500 { consumer.submit(version) }
        await consumer.finish()
        #expect(applied.withLockedValue { $0 } == Array(1...500))
    }

    /// The same race with the old shape, to show the test above can tell: one unstructured Task
    /// per update lets the fast v3 finish before the slow v2.
    @Test("control: one Task per update (the old useConfig) applies v2 last")
    func oneTaskPerUpdateReorders() async throws {
        let journal = Journal()
        let apply: @Sendable (Int) async -> Void = { version in
            try? await Task.sleep(for: .milliseconds(version == 2 ? 300 : 1))
            journal.note("end v\(version)")
        }
        let tasks = [2, 3].map { version in Task { await apply(version) } }
        for task in tasks { await task.value }
        #expect(journal.events.withLockedValue { $0 } == ["end v3", "end v2"])
    }
}
