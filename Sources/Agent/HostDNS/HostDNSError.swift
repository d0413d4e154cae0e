/// Why a host DNS change was refused or failed. Every case names what to look at; a refused change
/// has written nothing.
public enum HostDNSError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A file could not be read or written.
    case io(path: String, reason: String)
    /// A D-Bus call to systemd-resolved failed.
    case bus(String)
    /// A helper program failed (`ip`, `resolvconf`).
    case command(String)
    /// The request cannot be honoured in this mode (for example a port in resolv.conf).
    case invalidRequest(String)
    /// The host's resolver is managed by something the agent will not fight; the text says what to do.
    case operatorActionRequired(String)
    /// The state file is unreadable or inconsistent with what is on disk.
    case inconsistentState(String)
    /// A simulated crash (tests only).
    case simulatedCrash(String)
    /// The integration record (or its directory) cannot be trusted: `field` names the file or field
    /// that was refused and why. Nothing was run and nothing was written.
    case untrustedRecord(field: String, reason: String)

    public var description: String {
        switch self {
        case .io(let path, let reason): return "\(path): \(reason)"
        case .bus(let why): return "systemd-resolved: \(why)"
        case .command(let why): return why
        case .invalidRequest(let why): return why
        case .operatorActionRequired(let advice): return advice
        case .inconsistentState(let why): return "DNS state: \(why)"
        case .simulatedCrash(let point): return "simulated crash at \(point)"
        case .untrustedRecord(let field, let reason): return "DNS record refused: \(field): \(reason); nothing was run or written"
        }
    }
}
