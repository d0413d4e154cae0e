import CertStore
import DNSTransport
import Crypto
import DNSWire
import Foundation
import X509
import ZTProtocol

/// The operations behind `ztserver init`, `zone …` and `endpoint …`. Every change is validated
/// before anything is written, and each file is replaced atomically.
public struct ServerAdministration: Sendable {
    public let paths: ServerPaths
    private let store: ServerStateStore

    public init(paths: ServerPaths) {
        self.paths = paths
        self.store = ServerStateStore(paths: paths)
    }

    // MARK: init

    /// Creates the state directory (0700): a P-256 CA, the DoT server's certificate for
    /// `serverName` (no IP SANs: agents check the name), the API's certificate (the name and the
    /// API's IP address), the config- and token-signing keys, server.json and the registry.
    /// Everything is validated first (`configure` edits server.json before it is checked); the
    /// files are written into a temporary sibling directory that is renamed into place at the
    /// end, so a refused or failed init leaves nothing behind. Refuses a directory that exists
    /// and is not empty.
    public func initialize(
        serverName: String, routerAddress: String, dotListen: String, apiListen: String = "127.0.0.1:5001", apiAdvertise: String? = nil,
        certificateLifetime: TimeInterval = 365 * 86_400, configure: (inout ServerConfiguration) throws -> Void = { _ in }
    ) throws {
        guard IPv4Address(routerAddress) != nil || IPv6Address(routerAddress) != nil else {
            throw AdministrationError.invalid("router address '\(routerAddress)' is not an IP address")
        }
        _ = try HostPort.parse(dotListen, defaultPort: 853)
        let apiAddress = try HostPort.parse(apiAdvertise ?? apiListen, defaultPort: 5001)
        try Self.validateHostName(serverName)
        var configuration = ServerConfiguration(serverName: serverName, dotListen: dotListen, apiListen: apiListen, routerAddress: routerAddress)
        configuration.apiAdvertise = apiAdvertise
        try configure(&configuration)
        try configuration.validate()
        let target = self.paths.directory
        if FileManager.default.fileExists(atPath: self.paths.caKey) {
            throw AdministrationError.invalid("\(self.paths.caKey) exists: this directory already holds a CA (remove it first to start over)")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory) {
            guard isDirectory.boolValue, (try? FileManager.default.contentsOfDirectory(atPath: target))?.isEmpty == true else {
                throw AdministrationError.invalid("\(target) exists and is not an empty directory: refusing to initialize there")
            }
        }

        // Everything checked: write into a temporary sibling, then rename it into place.
        let url = URL(fileURLWithPath: target)
        let parent = url.deletingLastPathComponent().path
        let staging = ServerPaths(directory: "\(parent)/.\(url.lastPathComponent).init-\(UUID().uuidString.prefix(8))")
        try SecureDirectory.ensure(path: staging.directory)
        do {
            let authority = try CertificateAuthority.generate(commonName: "ztserver CA \(serverName)")
            try authority.write(certificatePath: staging.caCertificate, keyPath: staging.caKey)
            let serverKey = P256.Signing.PrivateKey()
            let serverCertificate = try authority.issue(.server(commonName: serverName, dnsNames: [serverName], lifetime: certificateLifetime), publicKey: serverKey.publicKey)
            try TLSIdentity(certificateChain: [serverCertificate], privateKey: serverKey)
                .write(certificatePath: staging.serverCertificate, keyPath: staging.serverKey)
            let apiKey = P256.Signing.PrivateKey()
            let apiIPs = [apiAddress.ipAddress].compactMap { $0 }.filter { $0 != "0.0.0.0" && $0 != "::" }
            let apiCertificate = try authority.issue(.server(commonName: serverName, dnsNames: [serverName], ipAddresses: apiIPs, lifetime: certificateLifetime), publicKey: apiKey.publicKey)
            try TLSIdentity(certificateChain: [apiCertificate], privateKey: apiKey)
                .write(certificatePath: staging.apiCertificate, keyPath: staging.apiKey)
            _ = try SigningKeyFile.loadOrCreate(staging.configSigningKey)
            _ = try SigningKeyFile.loadOrCreate(staging.tokenSigningKey)
            try ServerStateStore(paths: staging).saveConfiguration(configuration)
            _ = try Registry(path: staging.registry)
            if FileManager.default.fileExists(atPath: target) { try FileManager.default.removeItem(atPath: target) }
            guard rename(staging.directory, target) == 0 else {
                throw AdministrationError.invalid("cannot move the new state into \(target): \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(atPath: staging.directory)
            throw error
        }
    }

    /// A host name for certificates: dot-separated labels of letters, digits and hyphens
    /// (not at a label's ends), at most 253 characters.
    public static func validateHostName(_ name: String) throws {
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        let valid = !name.isEmpty && name.utf8.count <= 253 && labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == UInt8(ascii: "-") }
        }
        guard valid else {
            throw AdministrationError.invalid("'\(name)' is not a valid server name (letters, digits and '-' in dot-separated labels)")
        }
    }

    /// The registry, opened (and migrated) for one operation.
    public func registry() throws -> Registry {
        guard FileManager.default.fileExists(atPath: self.paths.configuration) else {
            throw ZoneError.unreadable(path: self.paths.configuration, reason: "missing; run 'ztserver init' first")
        }
        return try Registry(path: self.paths.registry)
    }

    // MARK: zones

    public func zones() throws -> [String: ZoneDefinition] { try self.registry().zones() }

    /// Adds a zone. Without records, the apex answers A with the router's address.
    public func addZone(_ name: String, records: [String], allow: [String], serviceCommonName: String?) throws {
        let configuration = try self.store.loadConfiguration()
        let registry = try self.registry()
        let key = try self.canonicalZoneName(name)
        guard try registry.zones()[key] == nil else { throw ZoneError.zoneExists(key) }
        var recordMap: [String: [String]] = [:]
        for entry in records {
            // "OWNER TYPE DATA", e.g. "db A 203.0.113.50" or "@ TXT hello".
            let parts = entry.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ZoneError.badRecord(entry, "expected 'OWNER TYPE DATA'") }
            recordMap[parts[0], default: []].append(parts[1])
        }
        if recordMap.isEmpty {
            let type = IPv6Address(configuration.routerAddress) != nil ? "AAAA" : "A"
            recordMap["@"] = ["\(type) \(configuration.routerAddress)"]
        }
        for cn in allow + [serviceCommonName].compactMap({ $0 }) { try Self.validateCommonName(cn) }
        let definition = ZoneDefinition(records: recordMap, serviceCommonName: serviceCommonName, allowedEndpoints: allow)
        // Compile before writing: a bad record is refused and nothing changes.
        _ = try CompiledZone(name: key, definition: definition, defaultTTL: configuration.privateTTL, serial: 1)
        try registry.putZone(key, definition)
    }

    /// Lets `commonName` resolve names in the zone.
    public func allow(zone name: String, commonName: String) throws {
        try Self.validateCommonName(commonName)
        let registry = try self.registry()
        let key = try self.canonicalZoneName(name)
        guard var zone = try registry.zones()[key] else { throw ZoneError.unknownZone(key) }
        if !zone.allowedEndpoints.contains(commonName) { zone.allowedEndpoints.append(commonName) }
        try registry.putZone(key, zone)
    }

    /// Takes `commonName` off the zone's allow list.
    public func disallow(zone name: String, commonName: String) throws {
        let registry = try self.registry()
        let key = try self.canonicalZoneName(name)
        guard var zone = try registry.zones()[key] else { throw ZoneError.unknownZone(key) }
        guard zone.allowedEndpoints.contains(commonName) else { throw ZoneError.notAllowed(zone: key, commonName: commonName) }
        zone.allowedEndpoints.removeAll { $0 == commonName }
        try registry.putZone(key, zone)
    }

    public func removeZone(_ name: String) throws {
        let key = try self.canonicalZoneName(name)
        guard try self.registry().removeZone(key) else { throw ZoneError.unknownZone(key) }
    }

    private func canonicalZoneName(_ name: String) throws -> String {
        do {
            let parsed = try DNSName(name).lowercased()
            guard parsed != .root else { throw ZoneError.badZoneName(name, "the root cannot be a private zone") }
            var text = parsed.description
            if text.hasSuffix(".") { text.removeLast() }
            return text
        } catch let error as ZoneError {
            throw error
        } catch {
            throw ZoneError.badZoneName(name, "\(error)")
        }
    }

    // MARK: endpoints

    public func endpoints() throws -> [String: EndpointRecord] { try self.registry().endpoints() }

    /// Offline issuance: makes a key and a client certificate for `commonName`, writes
    /// `<cn>.key` (0600), `<cn>.pem` and `ca.pem` into `outputDirectory` (0700), and registers the
    /// endpoint as active. For hosts that cannot enroll online. An existing endpoint (active or
    /// revoked) is refused unless `replace`: then the new serial alone is bound (every earlier
    /// certificate of the name is refused from then on) and the kind is the one given.
    @discardableResult
    public func issueEndpoint(_ commonName: String, kind: EndpointRecord.Kind, lifetime: TimeInterval, outputDirectory: String, replace: Bool = false) throws -> (certificate: String, key: String, ca: String) {
        try Self.validateCommonName(commonName)
        guard lifetime.isFinite, lifetime >= Double(DurationLimits.certificateLifetime.lowerBound), lifetime <= Double(DurationLimits.certificateLifetime.upperBound) else {
            throw AdministrationError.invalid("certificate lifetime must be between \(DurationLimits.certificateLifetime.lowerBound) and \(DurationLimits.certificateLifetime.upperBound) seconds (got \(lifetime))")
        }
        let authority = try CertificateAuthority.load(certificatePath: self.paths.caCertificate, keyPath: self.paths.caKey)
        let registry = try self.registry()
        // Refused before any file is written; the registry checks again in its transaction.
        if !replace, try registry.endpoint(commonName) != nil { throw RegistryError.endpointExists(commonName) }
        let key = P256.Signing.PrivateKey()
        let certificate = try authority.issue(.client(commonName: commonName, lifetime: lifetime), publicKey: key.publicKey)
        try SecureDirectory.ensure(path: outputDirectory)
        let files = (certificate: "\(outputDirectory)/\(commonName).pem", key: "\(outputDirectory)/\(commonName).key", ca: "\(outputDirectory)/ca.pem")
        try TLSIdentity(certificateChain: [certificate], privateKey: key).write(certificatePath: files.certificate, keyPath: files.key)
        try AtomicFile.write(try PEMCodec.encode(certificate: authority.certificate), to: files.ca, mode: 0o644)
        try registry.recordIssued(commonName, kind: kind, serial: EnrollmentService.serial(certificate), notAfter: certificate.notValidAfter, replace: replace)
        return files
    }

    /// Marks the endpoint revoked: its connections are closed and new ones refused.
    public func revokeEndpoint(_ commonName: String) throws {
        guard try self.registry().revoke(commonName) else { throw AdministrationError.invalid("no endpoint named '\(commonName)'") }
    }

    // MARK: tokens

    /// Makes a one-time enrollment token (JWT, ES256) for `name`, records its id, and returns it.
    /// It carries the API URL and the CA fingerprint the agent pins.
    /// A token for a name that is already an endpoint is refused unless `replace`; enrolling with
    /// such a token binds a new serial and the token's kind, and every earlier certificate of the
    /// name stays refused.
    public func createToken(name: String, kind: EndpointRecord.Kind, lifetime: TimeInterval? = nil, replace: Bool = false, now: Date = Date()) async throws -> String {
        try Self.validateCommonName(name)
        let configuration = try self.store.loadConfiguration()
        let ttl = lifetime ?? TimeInterval(configuration.tokenLifetimeSeconds)
        guard ttl.isFinite, ttl >= Double(DurationLimits.tokenLifetime.lowerBound), ttl <= Double(DurationLimits.tokenLifetime.upperBound) else {
            throw AdministrationError.invalid("token lifetime must be between \(DurationLimits.tokenLifetime.lowerBound) and \(DurationLimits.tokenLifetime.upperBound) seconds (got \(ttl))")
        }
        let authority = try CertificateAuthority.load(certificatePath: self.paths.caCertificate, keyPath: self.paths.caKey)
        let signers = try await ServerSigners.make(
            configKey: try SigningKeyFile.loadOrCreate(self.paths.configSigningKey),
            tokenKey: try SigningKeyFile.loadOrCreate(self.paths.tokenSigningKey)
        )
        let claims = EnrollmentTokenClaims(
            subject: name, kind: kind.rawValue, tokenID: UUID().uuidString.lowercased(), issuedAt: now,
            expiresAt: now.addingTimeInterval(ttl), apiURL: configuration.apiURL, caFingerprint: authority.fingerprintSHA256
        )
        try self.registry().insertToken(id: claims.tokenID, name: name, kind: kind, expiresAt: claims.expiresAt, replace: replace, now: now)
        return try await signers.signToken(claims)
    }

    /// CNs are identities and file names: 1-64 of [A-Za-z0-9._-], not starting with a dot.
    public static func validateCommonName(_ name: String) throws {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
        guard !name.isEmpty, name.utf8.count <= 64, allowed, !name.hasPrefix(".") else {
            throw AdministrationError.invalid("'\(name)' is not a valid endpoint name (1-64 of A-Z a-z 0-9 . _ -)")
        }
    }
}
