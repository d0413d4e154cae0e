import Foundation

/// Checks every field of a DNS integration record read back from disk against the fixed values the
/// agent itself would have written, before any of it is used. `ztagent dns apply` and `revert` run
/// as root: a record that names another program, another path, a setuid mode or a foreign link
/// would otherwise make root run, write or delete what its author chose.
///
/// A refusal is ``HostDNSError/untrustedRecord(field:reason:)`` naming the field; the caller has
/// run nothing and written nothing when it sees it.
public struct DNSRecordValidator: Sendable {
    /// The link names the agent uses for systemd-resolved (the default `zt0`, plus the one this
    /// command was given).
    public var linkNames: Set<String>
    /// The backup path the store uses (fixed by the record directory).
    public var backupPath: String
    /// The only /etc/resolv.conf path direct mode manages.
    public var resolvConfPath: String

    /// The largest previous drop-in the record may carry (resolved drop-ins are a few lines).
    static let maximumDropInBytes = 65_536

    /// Creates a validator.
    public init(linkNames: Set<String>, backupPath: String, resolvConfPath: String = "/etc/resolv.conf") {
        self.linkNames = linkNames
        self.backupPath = backupPath
        self.resolvConfPath = resolvConfPath
    }

    /// Throws ``HostDNSError/untrustedRecord(field:reason:)`` at the first field that is not one the
    /// agent would have written.
    public func validate(_ state: DNSIntegrationState) throws {
        guard state.version == 1 else { throw Self.refuse("version", "\(state.version) is not 1") }
        try self.validate(request: state.request)
        guard state.appliedAt.isFinite else { throw Self.refuse("appliedAt", "not a number") }
        guard state.reassertions.allSatisfy(\.isFinite) else { throw Self.refuse("reassertions", "not numbers") }
        if let direct = state.direct { try self.validate(direct: direct) }
        if let resolvconf = state.resolvconf { try self.validate(resolvconf: resolvconf) }
        if let resolved = state.resolved { try self.validate(resolved: resolved, request: state.request) }
        if let dropIn = state.dropIn { try self.validate(dropIn: dropIn) }
    }

    func validate(request: DNSApplyRequest) throws {
        guard StubAddress.bytes(of: request.stub.ip) != nil, request.stub.port != 0 else {
            throw Self.refuse("request.stub", "'\(request.stub)' is not an IP address and port")
        }
        for domain in request.domains {
            guard (try? DNSApplyRequest.normalizedDomain(domain)) == domain else {
                throw Self.refuse("request.domains", "'\(Self.printable(domain))' is not a normalized domain name")
            }
        }
        try self.validate(linkName: request.linkName, field: "request.linkName")
        guard DNSApplyRequest.isValidPrefix(request.linkAddress) else {
            throw Self.refuse("request.linkAddress", "'\(Self.printable(request.linkAddress))' is not IPv4/prefix")
        }
    }

    func validate(linkName: String, field: String) throws {
        guard DNSApplyRequest.isValidLinkName(linkName) else {
            throw Self.refuse(field, "'\(Self.printable(linkName))' is not an interface name (1-13 of a-z 0-9 . _ -)")
        }
        guard self.linkNames.contains(linkName) else {
            throw Self.refuse(field, "'\(linkName)' is not the agent's link (\(self.linkNames.sorted().joined(separator: ", ")); pass --link to name another)")
        }
    }

    func validate(direct: DNSIntegrationState.Direct) throws {
        guard direct.path == self.resolvConfPath else {
            throw Self.refuse("direct.path", "'\(Self.printable(direct.path))' is not \(self.resolvConfPath)")
        }
        guard direct.backupPath == self.backupPath else {
            throw Self.refuse("direct.backupPath", "'\(Self.printable(direct.backupPath))' is not \(self.backupPath)")
        }
        try Self.validate(sha256: direct.writtenSHA256, field: "direct.writtenSHA256")
        let original = direct.original
        switch original.kind {
        case "regular", "reconstructed":
            guard let sum = original.sha256 else { throw Self.refuse("direct.original.sha256", "missing for a \(original.kind) file") }
            try Self.validate(sha256: sum, field: "direct.original.sha256")
            // The mode revert gives /etc/resolv.conf (a symlink's 0777 is never used).
            try Self.validate(mode: original.mode, field: "direct.original.mode")
        case "symlink":
            guard let target = original.symlinkTarget else { throw Self.refuse("direct.original.symlinkTarget", "missing for a symlink") }
            try Self.validate(symlinkTarget: target)
        case "missing":
            break
        default:
            throw Self.refuse("direct.original.kind", "'\(Self.printable(original.kind))' is not regular, symlink, missing or reconstructed")
        }
        try Self.validate(nameservers: original.nameservers, field: "direct.original.nameservers")
    }

    func validate(resolvconf: DNSIntegrationState.Resolvconf) throws {
        guard ResolverDetection.resolvconfPrograms.contains(resolvconf.program) else {
            throw Self.refuse("resolvconf.program", "'\(Self.printable(resolvconf.program))' is not one of \(ResolverDetection.resolvconfPrograms.joined(separator: ", "))")
        }
        guard resolvconf.interface == ResolvconfBackend.interface else {
            throw Self.refuse("resolvconf.interface", "'\(Self.printable(resolvconf.interface))' is not \(ResolvconfBackend.interface)")
        }
        try Self.validate(nameservers: resolvconf.originalNameservers, field: "resolvconf.originalNameservers")
    }

    func validate(resolved: DNSIntegrationState.Resolved, request: DNSApplyRequest) throws {
        try self.validate(linkName: resolved.linkName, field: "resolved.linkName")
        guard resolved.linkName == request.linkName else {
            throw Self.refuse("resolved.linkName", "'\(resolved.linkName)' is not the requested link \(request.linkName)")
        }
        if let index = resolved.ifindex, index <= 0 { throw Self.refuse("resolved.ifindex", "\(index) is not an interface index") }
        try Self.validate(settings: resolved.applied, field: "resolved.applied")
        if let previous = resolved.previous { try Self.validate(settings: previous, field: "resolved.previous") }
    }

    func validate(dropIn: DNSIntegrationState.DropIn) throws {
        guard dropIn.path == ResolvedDropInBackend.path else {
            throw Self.refuse("dropIn.path", "'\(Self.printable(dropIn.path))' is not \(ResolvedDropInBackend.path)")
        }
        try Self.validate(sha256: dropIn.writtenSHA256, field: "dropIn.writtenSHA256")
        if let mode = dropIn.previousMode { try Self.validate(mode: mode, field: "dropIn.previousMode") }
        if let previous = dropIn.previousContents {
            guard let data = Data(base64Encoded: previous), data.count <= Self.maximumDropInBytes else {
                throw Self.refuse("dropIn.previousContents", "not base64 of at most \(Self.maximumDropInBytes) bytes")
            }
        }
    }

    static func validate(settings: ResolvedLinkSettings, field: String) throws {
        for server in settings.servers {
            let size = server.family == 2 ? 4 : server.family == 10 ? 16 : -1
            guard server.address.count == size else { throw Self.refuse("\(field).servers", "an address of family \(server.family) with \(server.address.count) bytes") }
            guard server.serverName.isEmpty || (try? DNSApplyRequest.normalizedDomain(server.serverName)) != nil else {
                throw Self.refuse("\(field).servers", "server name '\(Self.printable(server.serverName))' is not a domain name")
            }
        }
        for domain in settings.domains where domain.name != "." {
            guard (try? DNSApplyRequest.normalizedDomain(domain.name)) != nil else {
                throw Self.refuse("\(field).domains", "'\(Self.printable(domain.name))' is not a domain name")
            }
        }
    }

    /// Permission bits the agent may restore: no setuid, setgid or sticky bit, not writable by others.
    static func validate(mode: UInt32, field: String) throws {
        guard mode & ~UInt32(0o777) == 0 else {
            throw Self.refuse(field, "0\(String(mode, radix: 8)) has setuid, setgid or sticky bits")
        }
        guard mode & 0o002 == 0 else { throw Self.refuse(field, "0\(String(mode, radix: 8)) is writable by others") }
    }

    static func validate(sha256: String, field: String) throws {
        guard sha256.utf8.count == 64, sha256.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            throw Self.refuse(field, "not a SHA-256 in hex")
        }
    }

    static func validate(nameservers: [String], field: String) throws {
        for server in nameservers where !StubAddress.isNameserverAddress(server) {
            throw Self.refuse(field, "'\(Self.printable(server))' is not an IP address")
        }
    }

    /// The target /etc/resolv.conf pointed to: a resolv.conf-named file (stub-resolv.conf,
    /// resolv.conf), no control characters, so a restored link cannot expose another file.
    static func validate(symlinkTarget target: String) throws {
        guard !target.isEmpty, target.utf8.count <= 4_096, !target.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) else {
            throw Self.refuse("direct.original.symlinkTarget", "empty, too long or has control characters")
        }
        let base = target.split(separator: "/").last.map(String.init) ?? ""
        guard base.hasSuffix("resolv.conf") else {
            throw Self.refuse("direct.original.symlinkTarget", "'\(Self.printable(target))' does not name a resolv.conf")
        }
    }

    static func refuse(_ field: String, _ reason: String) -> HostDNSError {
        .untrustedRecord(field: field, reason: reason)
    }

    /// A value fit for a message: control characters escaped, at most 200 characters.
    static func printable(_ text: String) -> String {
        String(text.unicodeScalars.prefix(200).map { $0.value < 0x20 || $0.value == 0x7f ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined())
    }
}
