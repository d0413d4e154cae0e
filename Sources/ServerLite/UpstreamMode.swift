/// Where the server sends names outside its private zones.
public enum UpstreamMode: String, Codable, Sendable, CaseIterable {
    /// Classic DNS (UDP, TCP on truncation) to the configured servers.
    case dns
    /// DNS over TLS to the configured servers.
    case dot
    /// Answer REFUSED: the server resolves private zones only.
    case refuse
}
