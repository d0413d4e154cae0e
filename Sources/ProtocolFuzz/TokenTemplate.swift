import Foundation
import JWTKit
import ZTProtocol

/// A validly signed token, kept as its three parts, into which the fuzzer splices its bytes.
///
/// Signing a fresh token per input would cost more than verifying it, so a few tokens are signed
/// once at start and inputs replace one of their parts instead (see ``ProtocolFuzzer``). The
/// header and payload JSON are written here with sorted keys, so they are the same in every
/// process; the ECDSA signature differs per run but always verifies with the fixed key.
struct TokenTemplate: Sendable {
    /// The header JSON and its base64url text.
    var headerJSON: [UInt8]
    var header: String
    /// The payload JSON and its base64url text.
    var payloadJSON: [UInt8]
    var payload: String
    /// The signature's base64url text.
    var signature: String

    /// `header.payload.signature`.
    var token: String { "\(self.header).\(self.payload).\(self.signature)" }

    /// Signs `claims` with the key stored under `kid` in `keys`, with the header fields given.
    static func make(claims: some Encodable, header fields: [(String, String)], kid: String, keys: JWTKeyCollection) async throws -> TokenTemplate {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let headerJSON = Array(try encoder.encode(Dictionary(uniqueKeysWithValues: fields)))
        let payloadJSON = Array(try encoder.encode(claims))
        let header = Base64URL.encode(Data(headerJSON))
        let payload = Base64URL.encode(Data(payloadJSON))
        let key = try await keys.getKey(for: JWKIdentifier(string: kid))
        let signature = Base64URL.encode(Data(try key.sign(Array("\(header).\(payload)".utf8))))
        return TokenTemplate(headerJSON: headerJSON, header: header, payloadJSON: payloadJSON, payload: payload, signature: signature)
    }
}
