/// What `ztagent dns status` (and the agent's status) shows about the resolver integration.
public struct DNSStatusReport: Codable, Sendable, Hashable {
    /// The mode detection picks now.
    public var detectedMode: ResolverMode
    /// Why.
    public var reasons: [String]
    /// A state file exists (the agent changed the host and has not reverted).
    public var applied: Bool
    /// The mode in force, when applied.
    public var appliedMode: ResolverMode?
    /// What was applied is still in place (false: overwritten, or resolved restarted).
    public var intact: Bool
    /// The stub the resolver points at.
    public var stub: String?
    /// Split DNS domains (empty: every name).
    public var domains: [String]
    /// The host's original resolvers (never used for private names).
    public var originalNameservers: [String]
    /// An interrupted apply was found (`applying`); the next apply or revert finishes it.
    public var interrupted: Bool
    /// How often the agent re-asserted its setup.
    public var reassertions: Int
    /// What the operator must do, when anything.
    public var advice: String?
    /// Where the state lives.
    public var statePath: String

    /// Plain text, one fact per line.
    public var text: String {
        var lines: [String] = []
        if let mode = self.appliedMode {
            lines.append("applied: \(mode.rawValue) (\(self.intact ? "intact" : "NOT in force: overwritten or resolved restarted; `ztagent dns apply` re-asserts it"))")
            if let stub = self.stub { lines.append("stub: \(stub)") }
            lines.append("names: " + (self.domains.isEmpty ? "all" : self.domains.joined(separator: " ")))
            if self.interrupted { lines.append("interrupted apply found: run `ztagent dns apply` or `ztagent dns revert`") }
        } else {
            lines.append("applied: no")
        }
        lines.append("detected mode: \(self.detectedMode.rawValue)")
        for reason in self.reasons { lines.append("  - \(reason)") }
        if !self.originalNameservers.isEmpty { lines.append("original nameservers: \(self.originalNameservers.joined(separator: " "))") }
        if self.reassertions > 0 { lines.append("re-asserted: \(self.reassertions) time(s)") }
        if let advice = self.advice { lines.append(advice) }
        lines.append("state: \(self.statePath)")
        return lines.joined(separator: "\n")
    }
}
