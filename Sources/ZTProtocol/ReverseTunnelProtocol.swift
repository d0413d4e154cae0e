/// The reverse tunnel's reserved names and lines (text, one per line, ASCII).
///
/// A service agent whose backend the router cannot reach keeps a *control* connection to the
/// tunnel listener (mutual TLS, SNI ``controlServerName``) and says which reverse routes it
/// serves (`SERVE <route>`; the router answers `OK <route>` or `ERR <route> <reason>`). For each
/// client connection the router sends `DIAL <id> <route>`; the agent dials its backend, opens a
/// *data* connection (SNI ``dataServerName``), sends `ACCEPT <id>` and, after the router's `OK`,
/// relays bytes. `FAIL <id>` on the control connection says the backend could not be reached.
/// The router sends `PING` when the control connection is quiet; the agent answers `PONG`.
/// The names are under `.invalid` (RFC 2606), so no service can ever be called that.
public enum ReverseTunnelProtocol {
    public static let controlServerName = "control.reverse.ztagent.invalid"
    public static let dataServerName = "data.reverse.ztagent.invalid"
    /// Longest line either side accepts.
    public static let maximumLineLength = 256
}
