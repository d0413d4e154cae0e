/// What `ztagent dns apply` is asked to do: where the stub listens and which names go to it.
public struct DNSApplyRequest: Codable, Sendable, Hashable {
    /// The stub (IP and port). resolv.conf-based modes need port 53.
    public var stub: StubAddress
    /// Split DNS: only these domains (and their subdomains) go to the stub. Empty: every name.
    /// Only systemd-resolved can split; the file-based modes send every name to the stub.
    public var domains: [String]
    /// The link the agent owns for systemd-resolved's per-link settings.
    public var linkName: String
    /// Create the link (a veth pair `linkName`/`linkName`p) when missing, and delete it on revert.
    public var createLink: Bool
    /// The address given to a created link: resolved only uses links with carrier and an address.
    public var linkAddress: String

    /// Creates a request; domains are validated and normalized (lowercase, no trailing dot).
    public init(stub: StubAddress, domains: [String] = [], linkName: String = "zt0", createLink: Bool = true, linkAddress: String = "169.254.77.1/32") throws {
        self.stub = stub
        self.domains = try domains.map(Self.normalizedDomain)
        guard Self.isValidLinkName(linkName) else {
            throw HostDNSError.invalidRequest("link name '\(linkName)' is not 1-13 characters of a-z 0-9 . _ -")
        }
        self.linkName = linkName
        self.createLink = createLink
        guard Self.isValidPrefix(linkAddress) else {
            throw HostDNSError.invalidRequest("link address '\(linkAddress)' is not IPv4/prefix")
        }
        self.linkAddress = linkAddress
    }

    /// True when every name goes to the stub.
    public var routesEverything: Bool { self.domains.isEmpty }

    static func normalizedDomain(_ raw: String) throws -> String {
        var name = raw.lowercased()
        if name.hasPrefix("~") { name.removeFirst() }
        if name.hasSuffix(".") { name.removeLast() }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard !name.isEmpty, name.utf8.count <= 253, labels.allSatisfy({ label in
            !label.isEmpty && label.utf8.count <= 63 && label.utf8.allSatisfy { byte in
                (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) || byte == 45 || byte == 95
            }
        }) else {
            throw HostDNSError.invalidRequest("'\(raw)' is not a domain name (omit --domain to send every name to the stub)")
        }
        return name
    }

    static func isValidLinkName(_ name: String) -> Bool {
        // Leave room for the peer's "p" suffix within IFNAMSIZ (15).
        !name.isEmpty && name.utf8.count <= 13 && name.utf8.allSatisfy { byte in
            (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) || byte == 45 || byte == 95 || byte == 46
        }
    }

    static func isValidPrefix(_ text: String) -> Bool {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let length = Int(parts[1]), (0...32).contains(length) else { return false }
        let octets = parts[0].split(separator: ".")
        return octets.count == 4 && octets.allSatisfy { UInt8($0) != nil }
    }
}
