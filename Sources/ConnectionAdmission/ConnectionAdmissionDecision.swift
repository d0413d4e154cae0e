/// What ``ConnectionAdmissionState`` decided for one connection.
public enum ConnectionAdmissionDecision: Sendable, Hashable {
    /// The connection holds a slot now; it must be released once (see ``ConnectionAdmissionState``).
    case admit
    /// The connection holds no slot and is to be closed.
    case refuse(ConnectionRefusalReason)
}
