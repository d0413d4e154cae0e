import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a handler when the process receives `signal` (instead of the default action).
final class SignalWatcher {
    private let source: DispatchSourceSignal

    init(signal number: Int32, handler: @escaping @Sendable () -> Void) {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler(handler: handler)
        source.resume()
        self.source = source
    }

    func cancel() {
        self.source.cancel()
    }
}
