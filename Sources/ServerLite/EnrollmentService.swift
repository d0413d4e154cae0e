import CertStore
import Crypto
import DNSTransport
import DNSWire
import Foundation
import Logging
import NIOConcurrencyHelpers
import SwiftASN1
import X509
import ZTProtocol

/// What the enrollment API does, apart from HTTP: enroll with a one-time token, renew over
/// mutual TLS, hand out signed configs. Every refusal is an ``APIErrorBody`` with a stable code.
public final class EnrollmentService: Sendable {
    private let registry: Registry
    private let authority: CertificateAuthority
    private let signers: ServerSigners
    private let configurationBox: NIOLockedValueBox<ServerConfiguration>
    private let changeHandler = NIOLockedValueBox<(@Sendable () -> Void)?>(nil)
    private let snapshot: @Sendable () -> ServerStateSnapshot
    private let statistics: ServerStatistics
    private let logger: Logger

    public init(registry: Registry, authority: CertificateAuthority, signers: ServerSigners, configuration: ServerConfiguration, snapshot: @escaping @Sendable () -> ServerStateSnapshot, statistics: ServerStatistics = ServerStatistics(), logger: Logger) {
        self.registry = registry
        self.statistics = statistics
        self.authority = authority
        self.signers = signers
        self.configurationBox = NIOLockedValueBox(configuration)
        self.snapshot = snapshot
        self.logger = logger
    }

    private var factory: ConfigFactory { ConfigFactory(configuration: self.configurationBox.withLockedValue { $0 }) }
    private var lifetime: TimeInterval { TimeInterval(self.factory.configuration.endpointCertificateLifetimeSeconds) }
    private var renewalGrace: TimeInterval { TimeInterval(self.factory.configuration.renewalGraceSeconds) }

    /// Called after enrollment or renewal changed the registry, so the DoT listener knows the
    /// endpoint before the agent's first query.
    public func onRegistryChange(_ handler: @escaping @Sendable () -> Void) {
        self.changeHandler.withLockedValue { $0 = handler }
    }

    private func registryChanged() {
        self.changeHandler.withLockedValue { $0 }?()
    }

    /// Sets the DoT and API addresses configs name, once the listeners are bound (when the
    /// operator did not set them, the bound addresses are the truth: port 0 becomes a real port).
    public func advertise(dot: String, api: String, tunnel: String) {
        self.configurationBox.withLockedValue {
            $0.dotAdvertise = dot
            $0.apiAdvertise = api
            $0.tunnelAdvertise = tunnel
        }
    }

    /// GET /v1/ca
    public func authorityBundle() throws -> AuthorityResponse {
        AuthorityResponse(ca: try PEMCodec.encode(certificate: self.authority.certificate), signingKeys: self.signers.publicConfigKeys)
    }

    /// POST /v1/enroll: verifies the token, checks the CSR (a P-256 key the host holds), issues
    /// the certificate, consumes the token and registers the endpoint in one transaction.
    public func enroll(_ request: EnrollRequest) async throws -> IdentityResponse {
        let claims: EnrollmentTokenClaims
        switch await self.signers.verifyToken(request.token) {
        case .success(let verified): claims = verified
        case .failure(let error):
            self.logger.notice("enrollment refused", metadata: ["code": "\(error.code.rawValue)"])
            throw error
        }
        guard let kind = EndpointRecord.Kind(rawValue: claims.kind) else {
            throw APIErrorBody(code: .tokenInvalid, message: "the token names an unknown kind '\(claims.kind)'")
        }
        let publicKey = try Self.checkedKey(fromCSR: request.csr)
        let certificate = try self.authority.issue(.client(commonName: claims.subject, lifetime: self.lifetime), publicKey: publicKey)
        let serial = Self.serial(certificate)
        let outcome: TokenConsumption
        do {
            outcome = try self.registry.enroll(tokenID: claims.tokenID, commonName: claims.subject, kind: kind, serial: serial, notAfter: certificate.notValidAfter)
        } catch {
            throw APIErrorBody(code: .internalError, message: "the registry is unavailable")
        }
        switch outcome {
        case .consumed: break
        case .alreadyUsed: throw APIErrorBody(code: .tokenUsed, message: "this token was already used; ask for a new one")
        case .expired: throw APIErrorBody(code: .tokenExpired, message: "the token expired")
        case .unknown, .mismatch: throw APIErrorBody(code: .tokenInvalid, message: "the token is not known to this server")
        case .endpointExists:
            self.logger.notice("enrollment refused: endpoint exists and the token does not replace it", metadata: ["cn": "\(claims.subject)"])
            throw APIErrorBody(code: .tokenInvalid, message: "the token is not known to this server")
        }
        self.registryChanged()
        self.logger.notice("endpoint enrolled", metadata: ["cn": "\(claims.subject)", "kind": "\(kind.rawValue)", "serial": "\(serial)"])
        return try await self.identityResponse(certificate: certificate, commonName: claims.subject)
    }

    /// Checks an API caller's client certificate against the registry, by CN and serial: the
    /// endpoint's current serial, or the previous one inside its grace window. Returns the CN.
    /// Refusals are counted and logged; the caller learns only that it is refused.
    public func authenticate(_ peer: AuthenticatedPeer) throws -> String {
        let endpoint: EndpointRecord?
        do {
            endpoint = try self.registry.endpoint(peer.commonName)
        } catch {
            throw APIErrorBody(code: .internalError, message: "the registry is unavailable")
        }
        let now = Date()
        let refusal: IdentityRefusal? = endpoint.map { now < peer.notValidAfter ? $0.admits(serial: peer.serial, at: now) : .certificateExpired } ?? .unknownEndpoint
        if let refusal {
            try self.refuse(peer, refusal)
        }
        try? self.registry.touch(peer.commonName)
        if let endpoint, endpoint.certificateSerial == peer.serial, endpoint.certificateConfirmedAt == nil {
            try? self.registry.confirmCurrentSerial(peer.commonName, serial: peer.serial)
        }
        return peer.commonName
    }

    private func refuse(_ peer: AuthenticatedPeer, _ refusal: IdentityRefusal) throws -> Never {
        self.statistics.refusedAPICall(refusal)
        self.logger.notice("API call refused: \(refusal.explanation)", metadata: ["cn": "\(peer.commonName)", "serial": "\(peer.serial)", "reason": "\(refusal.rawValue)"])
        switch refusal {
        case .unknownEndpoint: throw APIErrorBody(code: .endpointUnknown, message: "endpoint \(peer.commonName) is not registered")
        case .revoked, .staleSerial, .certificateExpired:
            // One answer whatever the cause: the caller learns no more than that it is refused.
            throw APIErrorBody(code: .endpointRevoked, message: "this certificate of \(peer.commonName) is revoked or replaced")
        }
    }

    /// POST /v1/renew, for an authenticated active endpoint: a new certificate for a new key.
    /// Only the endpoint's current certificate may renew (not the previous one in its grace
    /// window, not a copy that re-enrollment replaced).
    public func renew(peer: AuthenticatedPeer, _ request: RenewRequest) async throws -> IdentityResponse {
        let commonName = try self.authenticate(peer)
        let publicKey = try Self.checkedKey(fromCSR: request.csr)
        let certificate = try self.authority.issue(.client(commonName: commonName, lifetime: self.lifetime), publicKey: publicKey)
        let serial = Self.serial(certificate)
        let outcome: RenewalOutcome
        do {
            outcome = try self.registry.recordRenewal(commonName, presentedSerial: peer.serial, serial: serial, notAfter: certificate.notValidAfter, grace: self.renewalGrace)
        } catch {
            throw APIErrorBody(code: .internalError, message: "the registry is unavailable")
        }
        switch outcome {
        case .renewed: break
        case .unknownEndpoint: try self.refuse(peer, .unknownEndpoint)
        case .revoked: try self.refuse(peer, .revoked)
        case .notCurrentSerial: try self.refuse(peer, .staleSerial)
        }
        self.registryChanged()
        self.logger.notice("endpoint renewed", metadata: ["cn": "\(commonName)", "serial": "\(serial)", "previous_serial": "\(peer.serial)"])
        return try await self.identityResponse(certificate: certificate, commonName: commonName)
    }

    /// GET /v1/config, for an authenticated active endpoint.
    public func config(commonName: String) async throws -> ConfigResponse {
        try self.requireActive(commonName)
        return ConfigResponse(config: try await self.signedConfig(for: commonName))
    }

    /// The endpoint's current signed config.
    public func signedConfig(for commonName: String) async throws -> String {
        let version = try self.registry.configVersion()
        return try await self.signers.signConfig(self.factory.claims(for: commonName, snapshot: self.snapshot(), version: version))
    }

    // MARK: services

    /// POST /v1/services: a service endpoint registers a backend. Each domain must lie in a
    /// private zone whose `service_cn` is this endpoint (the operator delegated it); the route
    /// is then stored and the zone answers the domains with the router's address.
    public func registerService(commonName: String, _ request: ServiceRegistration) throws -> ServiceRegistration {
        try self.requireActive(commonName)
        guard try self.registry.endpoint(commonName)?.kind == .service else {
            throw APIErrorBody(code: .notServiceEndpoint, message: "only service endpoints register services")
        }
        let route = try Self.route(from: request, owner: commonName)
        let snapshot = self.snapshot()
        for domain in route.domains {
            guard let name = try? DNSName(domain), let zone = snapshot.zone(containing: name), zone.serviceCommonName == commonName else {
                self.logger.notice("service registration refused: domain not delegated", metadata: ["cn": "\(commonName)", "domain": "\(domain)"])
                throw APIErrorBody(code: .domainNotDelegated, message: "\(domain) is not in a zone delegated to \(commonName)")
            }
        }
        if route.dial != .reverse {
            // The router dials this target: it must not be the router itself (checked again at
            // every dial, on what the name resolves to then).
            let policy = BackendNetworkPolicy(self.configurationBox.withLockedValue { $0 })
            do {
                _ = try policy.check(host: route.host, port: route.port, for: route, requireAddress: false)
            } catch {
                self.statistics.refusedBackends.wrappingAdd(1, ordering: .relaxed)
                self.logger.notice("service registration refused: backend address", metadata: ["cn": "\(commonName)", "service": "\(route.name)", "target": "\(request.target)", "reason": "\(error)"])
                throw APIErrorBody(code: .backendNotAllowed, message: "target \(request.target) is not allowed: \(error) (the router does not dial itself; the operator may allow the network)")
            }
        }
        do {
            try self.registry.putRoute(route)
        } catch let error as RouteError {
            // The detail may name another endpoint's route or domain: it stays in the log.
            self.logger.notice("service registration refused: conflict", metadata: ["cn": "\(commonName)", "service": "\(route.name)", "detail": "\(error)"])
            throw APIErrorBody(code: .serviceConflict, message: "a service with that name or domain exists")
        } catch {
            throw APIErrorBody(code: .internalError, message: "the registry is unavailable")
        }
        self.registryChanged()
        self.logger.notice("service registered", metadata: ["cn": "\(commonName)", "service": "\(route.name)", "domains": "\(route.domains)", "dial": "\(route.dial.rawValue)"])
        return Self.registration(from: route)
    }

    /// GET /v1/services: this endpoint's services.
    public func services(commonName: String) throws -> ServiceListResponse {
        try self.requireActive(commonName)
        let routes = (try? self.registry.routes()) ?? []
        return ServiceListResponse(services: routes.filter { $0.serviceCommonName == commonName }.map(Self.registration(from:)))
    }

    /// DELETE /v1/services/NAME: removes one of this endpoint's services.
    public func removeService(commonName: String, name: String) throws -> ServiceListResponse {
        try self.requireActive(commonName)
        guard try self.registry.removeRoute(named: name, serviceCommonName: commonName) else {
            throw APIErrorBody(code: .notFound, message: "\(commonName) has no service named \(name)")
        }
        self.registryChanged()
        self.logger.notice("service removed", metadata: ["cn": "\(commonName)", "service": "\(name)"])
        return try self.services(commonName: commonName)
    }

    static func route(from request: ServiceRegistration, owner: String) throws -> RouteDefinition {
        guard (try? RouteDefinition.validateName(request.name)) != nil else {
            throw APIErrorBody(code: .badRequest, message: "a service name is 1-63 letters, digits, '-', '_' or '.'")
        }
        guard !request.domains.isEmpty, request.domains.allSatisfy({ (try? DNSName($0)) != nil }) else {
            throw APIErrorBody(code: .badRequest, message: "a service needs at least one valid domain")
        }
        guard let target = try? HostPort.split(request.target), (1...65_535).contains(target.port) else {
            throw APIErrorBody(code: .badRequest, message: "target must be HOST:PORT")
        }
        guard request.ports.allSatisfy({ (1...65_535).contains($0) }), request.ports.count <= 16 else {
            throw APIErrorBody(code: .badRequest, message: "ports must be 1-65535 (at most 16)")
        }
        return RouteDefinition(
            name: request.name, serviceCommonName: owner, host: target.host, port: target.port,
            domains: request.domains.map { $0.lowercased() }, ports: request.ports, dial: request.reverse ? .reverse : .address
        )
    }

    static func registration(from route: RouteDefinition) -> ServiceRegistration {
        let host = route.host.contains(":") ? "[\(route.host)]" : route.host
        return ServiceRegistration(name: route.name, domains: route.domains, target: "\(host):\(route.port)", ports: route.ports, reverse: route.dial == .reverse)
    }

    private func identityResponse(certificate: Certificate, commonName: String) async throws -> IdentityResponse {
        IdentityResponse(
            certificate: try PEMCodec.encode(certificate: certificate),
            ca: try PEMCodec.encode(certificate: self.authority.certificate),
            signingKeys: self.signers.publicConfigKeys,
            config: try await self.signedConfig(for: commonName)
        )
    }

    private func requireActive(_ commonName: String) throws {
        guard let endpoint = try self.registry.endpoint(commonName) else {
            throw APIErrorBody(code: .endpointUnknown, message: "endpoint \(commonName) is not registered")
        }
        guard endpoint.status == .active else {
            throw APIErrorBody(code: .endpointRevoked, message: "endpoint \(commonName) is revoked")
        }
        try? self.registry.touch(commonName)
    }

    /// The CSR must parse, carry a valid self-signature (proof the requester holds the key) and
    /// a P-256 key. Its subject is ignored: the CN comes from the token or the TLS identity.
    static func checkedKey(fromCSR pem: String) throws -> P256.Signing.PublicKey {
        let csr: CertificateSigningRequest
        do {
            csr = try CertificateSigningRequest(pemEncoded: pem)
        } catch {
            guard let document = try? PEMDocument(pemString: pem), document.discriminator == CertificateSigningRequest.defaultPEMDiscriminator else {
                throw APIErrorBody(code: .csrInvalid, message: "the CSR is not a PEM certificate request")
            }
            // SEQUENCE { info, algorithm, BIT STRING } whose bit string is not an ECDSA
            // signature (SEQUENCE of two INTEGERs): what failed is the self-signature.
            if let root = try? DER.parse(document.derBytes), case .constructed(let nodes) = root.content {
                let children = Array(nodes)
                if children.count == 3, let bits = try? ASN1BitString(derEncoded: children[2]) {
                    let isSignature = (try? DER.parse(Array(bits.bytes))).map { node -> Bool in
                        guard case .constructed(let integers) = node.content else { return false }
                        return Array(integers).count == 2
                    } ?? false
                    if !isSignature {
                        throw APIErrorBody(code: .csrInvalid, message: "the CSR's signature does not verify (it is not a valid signature of its algorithm)")
                    }
                }
            }
            throw APIErrorBody(code: .csrInvalid, message: "the CSR is not a well-formed certificate request")
        }
        guard csr.publicKey.isValidSignature(csr.signature, for: csr) else {
            throw APIErrorBody(code: .csrInvalid, message: "the CSR's signature does not verify")
        }
        guard let key = P256.Signing.PublicKey(csr.publicKey) else {
            throw APIErrorBody(code: .csrInvalid, message: "the CSR's key must be ECDSA P-256")
        }
        return key
    }

    static func serial(_ certificate: Certificate) -> String {
        certificate.serialText
    }
}
