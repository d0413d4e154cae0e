import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import X509
import ZTProtocol

/// The enrollment and admin API over HTTPS:
///
/// | route | auth | what |
/// | --- | --- | --- |
/// | GET /v1/ca | none | the CA bundle and config-signing keys |
/// | POST /v1/enroll | one-time token | certificate, CA, signing keys, first config |
/// | POST /v1/renew | client certificate | a new certificate for a new key |
/// | GET /v1/config | client certificate | the endpoint's current signed config |
/// | POST /v1/services | service endpoint certificate | register a backend (route) |
/// | GET /v1/services | service endpoint certificate | this endpoint's services |
/// | DELETE /v1/services/NAME | service endpoint certificate | remove one |
///
/// Errors are JSON `{"code": ..., "message": ...}` with stable codes (``APIErrorCode``).
public enum EnrollmentAPI {
    public static func router(service: EnrollmentService, logger: Logger) -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: APIErrorMiddleware(routes: [
            ("/v1/ca", [.get]), ("/v1/enroll", [.post]), ("/v1/renew", [.post]), ("/v1/config", [.get]),
            ("/v1/services", [.get, .post]), ("/v1/services/*", [.delete]),
        ]))
        router.get("/v1/ca") { _, _ -> Response in
            await respond { try service.authorityBundle() }
        }
        router.post("/v1/enroll") { request, context -> Response in
            await respond {
                let body = try await decode(EnrollRequest.self, request, context)
                return try await service.enroll(body)
            }
        }
        router.post("/v1/renew") { request, context -> Response in
            await respond {
                let peer = try await authenticatedPeer(context)
                let body = try await decode(RenewRequest.self, request, context)
                return try await service.renew(peer: peer, body)
            }
        }
        router.get("/v1/config") { _, context -> Response in
            await respond {
                let commonName = try service.authenticate(try await authenticatedPeer(context))
                return try await service.config(commonName: commonName)
            }
        }
        router.post("/v1/services") { request, context -> Response in
            await respond {
                let commonName = try service.authenticate(try await authenticatedPeer(context))
                let body = try await decode(ServiceRegistration.self, request, context)
                return try service.registerService(commonName: commonName, body)
            }
        }
        router.get("/v1/services") { _, context -> Response in
            await respond {
                let commonName = try service.authenticate(try await authenticatedPeer(context))
                return try service.services(commonName: commonName)
            }
        }
        router.delete("/v1/services/:name") { _, context -> Response in
            await respond {
                let commonName = try service.authenticate(try await authenticatedPeer(context))
                guard let name = context.parameters.get("name") else {
                    throw APIErrorBody(code: .badRequest, message: "which service?")
                }
                return try service.removeService(commonName: commonName, name: name)
            }
        }
        return router
    }

    /// TLS for the API: the API certificate; a client certificate is requested and, when one is
    /// sent, must chain to the CA (enrollment itself has none yet).
    public static func tlsConfiguration(identity: (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey), trustRoots: [NIOSSLCertificate]) -> TLSConfiguration {
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: identity.chain.map { .certificate($0) }, privateKey: .privateKey(identity.key))
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = .optionalVerification
        tls.trustRoots = .certificates(trustRoots)
        return tls
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: APIRequestContext) async throws -> T {
        let contentType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard contentType == "application/json" else {
            throw APIErrorBody(code: .unsupportedMediaType, message: "the request body must be JSON (Content-Type: application/json)")
        }
        do {
            let buffer = try await request.body.collect(upTo: 64 * 1024)
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch {
            throw APIErrorBody(code: .badRequest, message: "the request body is not a valid \(T.self) (JSON, at most 64 KiB)")
        }
    }

    /// The CN and serial of the verified client certificate on this connection.
    private static func authenticatedPeer(_ context: APIRequestContext) async throws -> AuthenticatedPeer {
        guard let peer = try? await context.channel.nioSSL_peerCertificate().get() else {
            throw APIErrorBody(code: .certificateRequired, message: "this call needs the endpoint's client certificate")
        }
        guard let certificate = try? Certificate(derEncoded: peer.toDERBytes()), let identity = certificate.authenticatedPeer else {
            throw APIErrorBody(code: .certificateRequired, message: "the client certificate has no CN")
        }
        return identity
    }

    private static func respond<T: Encodable>(_ body: () async throws -> T) async -> Response {
        do {
            return json(try await body(), status: .ok)
        } catch let error as APIErrorBody {
            return json(error, status: status(for: error.code))
        } catch {
            return json(APIErrorBody(code: .internalError, message: "internal error"), status: .internalServerError)
        }
    }

    private static func status(for code: APIErrorCode) -> HTTPResponse.Status {
        switch code {
        case .tokenInvalid, .tokenExpired, .certificateRequired: return .unauthorized
        case .tokenUsed, .serviceConflict: return .conflict
        case .notServiceEndpoint, .domainNotDelegated, .backendNotAllowed: return .forbidden
        case .notFound: return .notFound
        case .methodNotAllowed: return .methodNotAllowed
        case .unsupportedMediaType: return .unsupportedMediaType
        case .csrInvalid, .badRequest: return .badRequest
        case .endpointUnknown, .endpointRevoked: return .forbidden
        case .internalError: return .internalServerError
        }
    }

    private static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status) -> Response {
        APIResponse.json(value, status: status)
    }
}
