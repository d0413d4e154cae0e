import NIOConcurrencyHelpers
import NIOCore

/// One relayed connection: two channels, the bytes each way and when it started. Shared by the
/// two ``SpliceHandler``s; when both channels are closed it reports once through `onFinish`
/// (the router's audit line, the agent's counters).
public final class SpliceSession: Sendable {
    /// What a finished session moved.
    public struct Summary: Sendable, Equatable {
        /// Bytes read from the initiating side (client) and written to the other.
        public var bytesFromClient: Int
        /// Bytes read from the other side (backend) and written to the client.
        public var bytesFromBackend: Int
        /// Seconds between start and the close of the last channel.
        public var durationSeconds: Double
    }

    private struct State {
        var fromClient = 0
        var fromBackend = 0
        var openChannels = 2
        var finished = false
    }

    private let state = NIOLockedValueBox(State())
    private let started = NIODeadline.now()
    private let onFinish: @Sendable (Summary) -> Void

    /// - Parameter onFinish: called once, after both channels closed.
    public init(onFinish: @escaping @Sendable (Summary) -> Void = { _ in }) {
        self.onFinish = onFinish
    }

    /// Which side of the session a handler sits on.
    public enum Side: Sendable {
        case client
        case backend
    }

    func count(_ bytes: Int, readOn side: Side) {
        self.state.withLockedValue { state in
            switch side {
            case .client: state.fromClient &+= bytes
            case .backend: state.fromBackend &+= bytes
            }
        }
    }

    func channelClosed() {
        let summary = self.state.withLockedValue { state -> Summary? in
            state.openChannels -= 1
            guard state.openChannels <= 0, !state.finished else { return nil }
            state.finished = true
            return self.summary(state)
        }
        if let summary { self.onFinish(summary) }
    }

    /// The counts so far.
    public var current: Summary { self.state.withLockedValue { self.summary($0) } }

    private func summary(_ state: State) -> Summary {
        let elapsed = NIODeadline.now() - self.started
        return Summary(bytesFromClient: state.fromClient, bytesFromBackend: state.fromBackend, durationSeconds: Double(elapsed.nanoseconds) / 1e9)
    }
}
