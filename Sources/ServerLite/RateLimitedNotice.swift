import Foundation
import Logging
import NIOConcurrencyHelpers

/// A log line that may come once per query (a refusal an endpoint can provoke at will), kept to
/// at most `perSecond` lines a second so that the log survives a flood. Lines over the limit are
/// counted and reported in one line when the next second's first line is written.
final class RateLimitedNotice: Sendable {
    private struct Window {
        var start: Date = .distantPast
        var written = 0
        var suppressed = 0
    }

    private let message: Logger.Message
    private let perSecond: Int
    private let logger: Logger
    private let window = NIOLockedValueBox(Window())

    init(_ message: Logger.Message, perSecond: Int, logger: Logger) {
        self.message = message
        self.perSecond = perSecond
        self.logger = logger
    }

    /// Writes the line with `metadata`, unless `perSecond` lines were written this second.
    func log(_ metadata: @autoclosure () -> Logger.Metadata, now: Date = Date()) {
        let (write, suppressedBefore) = self.window.withLockedValue { window -> (Bool, Int) in
            if now.timeIntervalSince(window.start) >= 1 {
                let suppressed = window.suppressed
                window = Window(start: now, written: 1, suppressed: 0)
                return (true, suppressed)
            }
            guard window.written < self.perSecond else {
                window.suppressed += 1
                return (false, 0)
            }
            window.written += 1
            return (true, 0)
        }
        if suppressedBefore > 0 {
            self.logger.notice("\(self.message): \(suppressedBefore) more not logged (at most \(self.perSecond) a second)")
        }
        if write { self.logger.notice(self.message, metadata: metadata()) }
    }
}
