import Foundation

/// A locked byte buffer, filled from another thread while a child process runs.
final class ErrorBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    func set(_ newValue: Data) {
        lock.lock()
        defer { lock.unlock() }
        data = newValue
    }

    func get() -> Data {
        lock.lock()
        defer { lock.unlock() }
        return data
    }
}
