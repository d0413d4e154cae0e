import Dispatch
import Synchronization

/// Runs async work to completion from synchronous code (libFuzzer calls its entry point
/// synchronously; the verifiers are async).
enum BlockingWait {
    static func run<T: Sendable>(_ work: @escaping @Sendable () async -> T) -> T {
        let box = Box<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            let value = await work()
            box.value.withLock { $0 = value }
            done.signal()
        }
        done.wait()
        guard let value = box.value.withLock({ $0 }) else {
            fatalError("BlockingWait: the task finished without a value")
        }
        return value
    }

    private final class Box<T: Sendable>: Sendable {
        let value = Mutex<T?>(nil)
    }
}
