/// What happened when an enrollment tried to use a token.
public enum TokenConsumption: Sendable, Equatable {
    /// The token was unused and is now consumed; the endpoint is registered.
    case consumed
    case alreadyUsed
    case expired
    /// No such token id.
    case unknown
    /// The token names another endpoint or kind than the request.
    case mismatch
    /// The name is an endpoint already and the token was not made to replace it.
    case endpointExists
}
