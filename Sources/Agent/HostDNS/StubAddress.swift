#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The stub's address as the host resolver must reach it: an IP literal and a port.
public struct StubAddress: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The IP literal ("127.0.0.1", "::1").
    public var ip: String
    public var port: UInt16

    /// Parses "IP", "IP:PORT" or "[IPv6]:PORT" (port 53 when absent). Names are refused.
    public init(parsing text: String) throws {
        var host = text
        var port: UInt16 = 53
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw HostDNSError.invalidRequest("stub address '\(text)' is not IP:PORT") }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.hasPrefix(":") {
                guard let value = UInt16(rest.dropFirst()) else { throw HostDNSError.invalidRequest("stub address '\(text)' has a bad port") }
                port = value
            } else if !rest.isEmpty {
                throw HostDNSError.invalidRequest("stub address '\(text)' is not IP:PORT")
            }
        } else if let colon = text.lastIndex(of: ":"), text.firstIndex(of: ":") == colon {
            host = String(text[..<colon])
            guard let value = UInt16(text[text.index(after: colon)...]) else { throw HostDNSError.invalidRequest("stub address '\(text)' has a bad port") }
            port = value
        }
        guard port != 0 else { throw HostDNSError.invalidRequest("stub address '\(text)': port 0") }
        guard Self.bytes(of: host) != nil else {
            throw HostDNSError.invalidRequest("stub address '\(text)' is not an IP address (host names are not accepted)")
        }
        self.ip = host
        self.port = port
    }

    /// Address family (`AF_INET` or `AF_INET6`) and bytes.
    public var familyAndBytes: (family: Int32, bytes: [UInt8]) {
        Self.bytes(of: self.ip) ?? (Int32(AF_INET), [127, 0, 0, 1])
    }

    static func bytes(of ip: String) -> (family: Int32, bytes: [UInt8])? {
        var v4 = in_addr()
        if inet_pton(AF_INET, ip, &v4) == 1 {
            return (Int32(AF_INET), withUnsafeBytes(of: v4) { Array($0) })
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, ip, &v6) == 1 {
            return (Int32(AF_INET6), withUnsafeBytes(of: v6) { Array($0) })
        }
        return nil
    }

    /// True for an address resolv.conf may list: an IP literal, IPv6 optionally with a `%zone`
    /// (an interface name or index).
    public static func isNameserverAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = parts.first, Self.bytes(of: String(address)) != nil else { return false }
        guard parts.count == 2 else { return true }
        let zone = parts[1]
        return address.contains(":") && !zone.isEmpty && zone.utf8.count <= 15 && zone.utf8.allSatisfy { byte in
            (byte >= 97 && byte <= 122) || (byte >= 65 && byte <= 90) || (byte >= 48 && byte <= 57) || byte == 45 || byte == 95 || byte == 46
        }
    }

    public var description: String {
        self.ip.contains(":") ? "[\(self.ip)]:\(self.port)" : "\(self.ip):\(self.port)"
    }
}
