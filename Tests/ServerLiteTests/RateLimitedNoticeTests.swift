import Foundation
import Logging
import NIOConcurrencyHelpers
@testable import ServerLite
import Testing

/// The hidden-zone refusal line: one per question up to the limit, then counted and reported in
/// one line when the next second starts; CN and name in the metadata.
@Suite struct RateLimitedNoticeTests {
    /// Collects what is logged.
    struct CollectingHandler: LogHandler {
        let lines: NIOLockedValueBox<[(message: String, metadata: Logger.Metadata)]>
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
            self.lines.withLockedValue { $0.append((message.description, metadata ?? [:])) }
        }
    }

    @Test func aFloodIsCappedPerSecondAndCounted() {
        let lines = NIOLockedValueBox<[(message: String, metadata: Logger.Metadata)]>([])
        let logger = Logger(label: "test") { _ in CollectingHandler(lines: lines) }
        let notice = RateLimitedNotice("refused private name", perSecond: 20, logger: logger)
        let start = Date(timeIntervalSince1970: 1_000_000)
        for index in 0..<1000 {
            notice.log(["cn": "laptop", "name": "x\(index).secret.corp."], now: start.addingTimeInterval(Double(index) / 2000))
        }
        let first = lines.withLockedValue { $0 }
        #expect(first.count == 20, "at most 20 lines in the first second")
        #expect(first.first?.metadata["cn"] == "laptop" && first.first?.metadata["name"] == "x0.secret.corp.")
        notice.log(["cn": "laptop", "name": "later.secret.corp."], now: start.addingTimeInterval(1.5))
        let after = lines.withLockedValue { $0 }
        #expect(after.count == 22)
        #expect(after[20].message.contains("980 more not logged"), "\(after[20].message)")
        #expect(after[21].metadata["name"] == "later.secret.corp.")
    }
}
