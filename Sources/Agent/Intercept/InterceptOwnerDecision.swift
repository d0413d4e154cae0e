/// The owner check's verdict on one intercepted connection.
public enum InterceptOwnerDecision: Sendable, Equatable {
    /// The connecting user is allowed.
    case admitted(uid: UInt32)
    /// The connecting user is not on the lists.
    case refused(uid: UInt32)
    /// The kernel could not say who connected (timeout, client gone): refused too.
    case unknown(SocketOwnerLookupError)
}
