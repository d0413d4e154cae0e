import CertStore
import DNSTransport
import Crypto
import DNSWire
import Foundation
import X509

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

    /// Creates the state directory (0700), a P-256 CA, the server's certificate for `serverName`,
    /// server.json and empty zone and endpoint registries. Refuses to overwrite an existing CA.
    public func initialize(serverName: String, routerAddress: String, dotListen: String, certificateLifetime: TimeInterval = 365 * 86_400) throws {
        guard IPv4Address(routerAddress) != nil || IPv6Address(routerAddress) != nil else {
            throw AdministrationError.invalid("router address '\(routerAddress)' is not an IP address")
        }
        _ = try HostPort.parse(dotListen, defaultPort: 853)
        _ = try DNSName(serverName)
        if FileManager.default.fileExists(atPath: self.paths.caKey) {
            throw AdministrationError.invalid("\(self.paths.caKey) exists: this directory already holds a CA (remove it first to start over)")
        }
        try SecureDirectory.ensure(path: self.paths.directory)
        let authority = try CertificateAuthority.generate(commonName: "ztserver CA \(serverName)")
        try authority.write(certificatePath: self.paths.caCertificate, keyPath: self.paths.caKey)
        let serverKey = P256.Signing.PrivateKey()
        let serverCertificate = try authority.issue(.server(commonName: serverName, dnsNames: [serverName], lifetime: certificateLifetime), publicKey: serverKey.publicKey)
        try TLSIdentity(certificateChain: [serverCertificate], privateKey: serverKey)
            .write(certificatePath: self.paths.serverCertificate, keyPath: self.paths.serverKey)
        try self.store.saveConfiguration(ServerConfiguration(serverName: serverName, dotListen: dotListen, routerAddress: routerAddress))
        try self.store.saveZones([:])
        try self.store.saveEndpoints([:])
    }

    // MARK: zones

    public func zones() throws -> [String: ZoneDefinition] { try self.store.loadZones() }

    /// Adds a zone. Without records, the apex answers A with the router's address.
    public func addZone(_ name: String, records: [String], allow: [String], serviceCommonName: String?) throws {
        let configuration = try self.store.loadConfiguration()
        var zones = try self.store.loadZones()
        let key = try self.canonicalZoneName(name)
        guard zones[key] == nil else { throw ZoneError.zoneExists(key) }
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
        zones[key] = definition
        try self.store.saveZones(zones)
    }

    /// Lets `commonName` resolve names in the zone.
    public func allow(zone name: String, commonName: String) throws {
        try Self.validateCommonName(commonName)
        var zones = try self.store.loadZones()
        let key = try self.canonicalZoneName(name)
        guard var zone = zones[key] else { throw ZoneError.unknownZone(key) }
        if !zone.allowedEndpoints.contains(commonName) { zone.allowedEndpoints.append(commonName) }
        zones[key] = zone
        try self.store.saveZones(zones)
    }

    /// Takes `commonName` off the zone's allow list.
    public func disallow(zone name: String, commonName: String) throws {
        var zones = try self.store.loadZones()
        let key = try self.canonicalZoneName(name)
        guard var zone = zones[key] else { throw ZoneError.unknownZone(key) }
        zone.allowedEndpoints.removeAll { $0 == commonName }
        zones[key] = zone
        try self.store.saveZones(zones)
    }

    public func removeZone(_ name: String) throws {
        var zones = try self.store.loadZones()
        let key = try self.canonicalZoneName(name)
        guard zones.removeValue(forKey: key) != nil else { throw ZoneError.unknownZone(key) }
        try self.store.saveZones(zones)
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

    public func endpoints() throws -> [String: EndpointRecord] { try self.store.loadEndpoints() }

    /// Offline issuance: makes a key and a client certificate for `commonName`, writes
    /// `<cn>.key` (0600), `<cn>.pem` and `ca.pem` into `outputDirectory` (0700), and registers the
    /// endpoint as active. For hosts that cannot enroll online.
    @discardableResult
    public func issueEndpoint(_ commonName: String, kind: EndpointRecord.Kind, lifetime: TimeInterval, outputDirectory: String) throws -> (certificate: String, key: String, ca: String) {
        try Self.validateCommonName(commonName)
        guard lifetime >= 60 else { throw AdministrationError.invalid("certificate lifetime must be at least 60 seconds") }
        let authority = try CertificateAuthority.load(certificatePath: self.paths.caCertificate, keyPath: self.paths.caKey)
        var endpoints = try self.store.loadEndpoints()
        let key = P256.Signing.PrivateKey()
        let certificate = try authority.issue(.client(commonName: commonName, lifetime: lifetime), publicKey: key.publicKey)
        try SecureDirectory.ensure(path: outputDirectory)
        let files = (certificate: "\(outputDirectory)/\(commonName).pem", key: "\(outputDirectory)/\(commonName).key", ca: "\(outputDirectory)/ca.pem")
        try TLSIdentity(certificateChain: [certificate], privateKey: key).write(certificatePath: files.certificate, keyPath: files.key)
        try AtomicFile.write(try PEMCodec.encode(certificate: authority.certificate), to: files.ca, mode: 0o644)
        var record = endpoints[commonName] ?? EndpointRecord(commonName: commonName, kind: kind)
        record.kind = kind
        record.status = .active
        record.certificateSerial = certificate.serialNumber.bytes.map { String(format: "%02x", $0) }.joined()
        record.certificateNotAfter = certificate.notValidAfter
        endpoints[commonName] = record
        try self.store.saveEndpoints(endpoints)
        return files
    }

    /// Marks the endpoint revoked: its connections are closed and new ones refused.
    public func revokeEndpoint(_ commonName: String) throws {
        var endpoints = try self.store.loadEndpoints()
        guard endpoints[commonName] != nil else { throw AdministrationError.invalid("no endpoint named '\(commonName)'") }
        endpoints[commonName]?.status = .revoked
        try self.store.saveEndpoints(endpoints)
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
