import NIOCore

/// Parses "IP:PORT" and "[IPv6]:PORT" into a socket address. Names are refused on purpose:
/// the server and the agent must not depend on DNS to find their own peers.
public enum HostPort {
    /// "IP:PORT" ("[v6]:PORT"): the form ``parse(_:defaultPort:)`` reads.
    public static func text(_ address: SocketAddress) -> String {
        let ip = address.ipAddress ?? "?"
        return (address.protocol == .inet6 ? "[\(ip)]" : ip) + ":\(address.port ?? 0)"
    }

    /// Splits "HOST:PORT" ("[v6]:PORT") where HOST may also be a name (backend targets, which are
    /// dialed, not listened on). The port is required.
    public static func split(_ text: String) throws -> (host: String, port: Int) {
        let host: String
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { throw HostPortError.invalid(text) }
            host = String(text[text.index(after: text.startIndex)..<close])
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), text.firstIndex(of: ":") == colon else { throw HostPortError.invalid(text) }
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, !host.contains(where: { $0.isWhitespace || $0 == "/" }),
              let port = Int(portText), (1...65_535).contains(port)
        else { throw HostPortError.invalid(text) }
        return (host, port)
    }

    public static func parse(_ text: String, defaultPort: Int? = nil) throws -> SocketAddress {
        var host = text
        var port = defaultPort
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw HostPortError.invalid(text) }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.hasPrefix(":") { port = Int(rest.dropFirst()) } else if !rest.isEmpty { throw HostPortError.invalid(text) }
        } else if let colon = text.lastIndex(of: ":"), text.firstIndex(of: ":") == colon {
            host = String(text[..<colon])
            port = Int(text[text.index(after: colon)...])
        }
        guard let port, (0...65_535).contains(port) else { throw HostPortError.invalid(text) }
        do {
            return try SocketAddress(ipAddress: host, port: port)
        } catch {
            throw HostPortError.notAnAddress(text)
        }
    }
}

/// A malformed address.
public enum HostPortError: Error, CustomStringConvertible, Sendable {
    case invalid(String)
    case notAnAddress(String)

    public var description: String {
        switch self {
        case .invalid(let text): return "'\(text)' is not IP:PORT"
        case .notAnAddress(let text): return "'\(text)' does not name an IP address (host names are not accepted here)"
        }
    }
}
