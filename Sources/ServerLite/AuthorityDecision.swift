import DNSWire

/// What the private-zone authority decided about one question.
public indirect enum AuthorityDecision: Sendable {
    /// An authoritative answer from a private zone the endpoint may see.
    case answer(DNSMessage)
    /// The name is in no private zone the endpoint may see: the public path (upstream or
    /// refusal) applies, exactly as for a name outside every zone.
    case notPrivate
    /// The most specific zone holding the name is one the endpoint may not see (`zone`, for the
    /// server's log only). `then` is what the endpoint gets: the decision as if every zone it
    /// may not see did not exist (the next zone it may see answers, else the public path).
    case hidden(zone: DNSName, then: AuthorityDecision)
}
