import DNSWire

/// What the private-zone authority decided about one question.
public enum AuthorityDecision: Sendable {
    /// An authoritative answer from a private zone.
    case answer(DNSMessage)
    /// The name is in a private zone the endpoint may not see: answer as if it did not exist.
    case hidden(zone: DNSName)
    /// The name is in no private zone: the public path (upstream or refusal) applies.
    case notPrivate
}
