import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import ZTProtocol

/// Talks to the server's enrollment and admin API over HTTPS.
///
/// Every request trusts only the given CA (full verification of the server certificate); the
/// one exception is ``fetchAuthorityUnverified(apiURL:)``, which enrollment uses to learn the CA
/// it then pins by fingerprint before sending anything.
public struct EnrollmentClient: Sendable {
    private let group: EventLoopGroup
    private let timeout: TimeAmount

    public init(group: EventLoopGroup, timeout: TimeAmount = .seconds(10)) {
        self.group = group
        self.timeout = timeout
    }

    /// GET /v1/ca without verifying the server: the answer is only used after its fingerprint
    /// matched the token's.
    public func fetchAuthorityUnverified(apiURL: String) async throws -> AuthorityResponse {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        return try await self.call(apiURL + "/v1/ca", method: .GET, body: Optional<EnrollRequest>.none, tls: tls, as: AuthorityResponse.self)
    }

    /// POST /v1/enroll over TLS pinned to `ca`.
    public func enroll(apiURL: String, request: EnrollRequest, ca: [NIOSSLCertificate]) async throws -> IdentityResponse {
        try await self.call(apiURL + "/v1/enroll", method: .POST, body: request, tls: Self.pinned(ca), as: IdentityResponse.self)
    }

    /// POST /v1/renew with the current identity.
    public func renew(apiURL: String, request: RenewRequest, ca: [NIOSSLCertificate], identity: (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey)) async throws -> IdentityResponse {
        try await self.call(apiURL + "/v1/renew", method: .POST, body: request, tls: Self.pinned(ca, identity: identity), as: IdentityResponse.self)
    }

    /// GET /v1/config with the current identity.
    public func config(apiURL: String, ca: [NIOSSLCertificate], identity: (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey)) async throws -> ConfigResponse {
        try await self.call(apiURL + "/v1/config", method: .GET, body: Optional<EnrollRequest>.none, tls: Self.pinned(ca, identity: identity), as: ConfigResponse.self)
    }

    /// POST /v1/services with a service endpoint's identity.
    public func registerService(apiURL: String, _ registration: ServiceRegistration, ca: [NIOSSLCertificate], identity: (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey)) async throws -> ServiceRegistration {
        try await self.call(apiURL + "/v1/services", method: .POST, body: registration, tls: Self.pinned(ca, identity: identity), as: ServiceRegistration.self)
    }

    /// GET /v1/services.
    public func services(apiURL: String, ca: [NIOSSLCertificate], identity: (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey)) async throws -> ServiceListResponse {
        try await self.call(apiURL + "/v1/services", method: .GET, body: Optional<EnrollRequest>.none, tls: Self.pinned(ca, identity: identity), as: ServiceListResponse.self)
    }

    /// DELETE /v1/services/NAME.
    public func removeService(apiURL: String, name: String, ca: [NIOSSLCertificate], identity: (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey)) async throws -> ServiceListResponse {
        let escaped = name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? name
        return try await self.call(apiURL + "/v1/services/" + escaped, method: .DELETE, body: Optional<EnrollRequest>.none, tls: Self.pinned(ca, identity: identity), as: ServiceListResponse.self)
    }

    static func pinned(_ ca: [NIOSSLCertificate], identity: (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey)? = nil) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        tls.trustRoots = .certificates(ca)
        if let identity {
            tls.certificateChain = identity.chain.map { .certificate($0) }
            tls.privateKey = .privateKey(identity.key)
        }
        return tls
    }

    private func call<Body: Encodable, Answer: Decodable>(_ url: String, method: HTTPMethod, body: Body?, tls: TLSConfiguration, as: Answer.Type) async throws -> Answer {
        guard url.hasPrefix("https://") else { throw EnrollmentClientError.notHTTPS(url) }
        let configuration = HTTPClient.Configuration(tlsConfiguration: tls, timeout: .init(connect: self.timeout, read: self.timeout))
        let client = HTTPClient(eventLoopGroupProvider: .shared(self.group), configuration: configuration)
        do {
            var request = HTTPClientRequest(url: url)
            request.method = method
            if let body {
                request.headers.add(name: "content-type", value: "application/json")
                request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(body)))
            }
            let response: HTTPClientResponse
            do {
                response = try await client.execute(request, timeout: self.timeout)
            } catch {
                throw EnrollmentClientError.unreachable(url, "\(error)")
            }
            let bytes = try await response.body.collect(upTo: 1 << 20)
            let data = Data(bytes.readableBytesView)
            guard response.status == .ok else {
                if let error = try? JSONDecoder().decode(APIErrorBody.self, from: data) {
                    throw EnrollmentClientError.refused(error)
                }
                throw EnrollmentClientError.unexpected(url, "HTTP \(response.status.code)")
            }
            let answer: Answer
            do {
                answer = try JSONDecoder().decode(Answer.self, from: data)
            } catch {
                throw EnrollmentClientError.unexpected(url, "the answer is not a valid \(Answer.self)")
            }
            try await client.shutdown()
            return answer
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

/// Why a call to the API failed.
public enum EnrollmentClientError: Error, CustomStringConvertible, Sendable {
    case notHTTPS(String)
    case unreachable(String, String)
    case refused(APIErrorBody)
    case unexpected(String, String)

    public var description: String {
        switch self {
        case .notHTTPS(let url): return "\(url) is not an https URL"
        case .unreachable(let url, let why): return "cannot reach \(url): \(why)"
        case .refused(let error): return "the server refused: \(error.message) (\(error.code.rawValue))"
        case .unexpected(let url, let why): return "unexpected answer from \(url): \(why)"
        }
    }

    /// The API's error code, when the server answered with one.
    public var code: APIErrorCode? {
        if case .refused(let error) = self { return error.code }
        return nil
    }
}
