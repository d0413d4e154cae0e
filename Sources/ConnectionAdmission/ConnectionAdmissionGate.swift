import NIOConcurrencyHelpers

/// One listener's ``ConnectionAdmissionState`` shared by its connections (on any event loop),
/// with a count of refusals by reason. ``HandshakeDeadlineHandler`` is its only user on a
/// connection; `onRefused` is told each refusal (for a rate-limited log line).
public final class ConnectionAdmissionGate: Sendable {
    private struct Guarded {
        var state: ConnectionAdmissionState
        var refusals: [ConnectionRefusalReason: Int] = [:]
    }

    /// The listener's name, for logs and metrics ("dot", "tunnel", "passthrough", "api").
    public let listener: String
    private let guarded: NIOLockedValueBox<Guarded>
    private let onRefused: @Sendable (ConnectionRefusalReason, _ source: String) -> Void

    public init(listener: String, limits: ConnectionAdmissionLimits, onRefused: @escaping @Sendable (ConnectionRefusalReason, _ source: String) -> Void = { _, _ in }) {
        self.listener = listener
        self.guarded = NIOLockedValueBox(Guarded(state: ConnectionAdmissionState(limits: limits)))
        self.onRefused = onRefused
    }

    /// The accounting now.
    public var state: ConnectionAdmissionState { self.guarded.withLockedValue { $0.state } }

    /// Refusals so far, by reason (every reason present, zero when none).
    public var refusals: [ConnectionRefusalReason: Int] {
        let counted = self.guarded.withLockedValue { $0.refusals }
        var all: [ConnectionRefusalReason: Int] = [:]
        for reason in ConnectionRefusalReason.allCases { all[reason] = counted[reason, default: 0] }
        return all
    }

    func open(source: String) -> ConnectionAdmissionDecision {
        self.decide(source: source) { $0.open(source: source) }
    }

    func authenticate(source: String, identity: String) -> ConnectionAdmissionDecision {
        self.decide(source: source) { $0.authenticate(source: source, identity: identity) }
    }

    func release(source: String) {
        self.guarded.withLockedValue { $0.state.release(source: source) }
    }

    func release(identity: String) {
        self.guarded.withLockedValue { $0.state.release(identity: identity) }
    }

    /// Counts a refusal decided outside the state (a handshake that timed out).
    func refused(_ reason: ConnectionRefusalReason, source: String) {
        self.guarded.withLockedValue { $0.refusals[reason, default: 0] += 1 }
        self.onRefused(reason, source)
    }

    private func decide(source: String, _ change: (inout ConnectionAdmissionState) -> ConnectionAdmissionDecision) -> ConnectionAdmissionDecision {
        let decision = self.guarded.withLockedValue { guarded -> ConnectionAdmissionDecision in
            let decision = change(&guarded.state)
            if case .refuse(let reason) = decision { guarded.refusals[reason, default: 0] += 1 }
            return decision
        }
        if case .refuse(let reason) = decision { self.onRefused(reason, source) }
        return decision
    }
}
