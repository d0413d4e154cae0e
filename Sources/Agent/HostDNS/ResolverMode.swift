/// How the host's resolver is pointed at the stub.
public enum ResolverMode: String, Codable, Sendable, Hashable, CaseIterable {
    /// systemd-resolved, per link over D-Bus (split DNS with routing-only domains).
    case systemdResolved = "systemd-resolved"
    /// systemd-resolved through a drop-in (/etc/systemd/resolved.conf.d/ztagent.conf) and a
    /// restart: the fallback when the per-link setup cannot work (no link can be made, or the
    /// bus refuses per-link calls).
    case systemdResolvedDropIn = "systemd-resolved-dropin"
    /// Debian resolvconf or openresolv: `resolvconf -a lo.ztagent`.
    case resolvconf
    /// /etc/resolv.conf written by the agent, with a backup taken once.
    case direct
    /// NetworkManager owns /etc/resolv.conf: the agent says what to do and changes nothing.
    case networkManager = "networkmanager"
}
