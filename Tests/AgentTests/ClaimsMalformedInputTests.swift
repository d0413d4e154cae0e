import Foundation
import Testing
import ZTProtocol

/// Inputs the protocol fuzzer (scripts/fuzz.sh protocol) crashed on, kept as tests.
@Suite struct ClaimsMalformedInputTests {
    /// Fuzz/corpus/protocol/crash-config-iat-overflow.json: config claims whose `iat` decodes
    /// (a Double of about 2e55) but fits no Int64. Encoding them trapped in `Int64(_:)`.
    static let configWithHugeIssuedAt = #"{"iss":"ztserver","dot":[{"address":"127.0.0.1:18853","name":"ztserver.local"}],"renew":0.6666666666666666,"private":["svc.corp"],"iat":19999999999999999999999999999999999999999999999795328947,"ver":4,"exp":1797920947,"tunnel":"127.0.0.1:18443","schema":1,"router":"127.0.0.1","aud":"des","kservices":[{"ports":[443,8443],"name":"web","domainsJ0.eyJhcGkiOiJodHRwczovLzEyNy4wLjAuMTo1MDAxIiwiY2FmIjoiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJtYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYmFiYWJhYiIsImV4cCI6MTc5MDAwMDAwMCwiaWF5IjoxNzg-CSwMDAwMDAwLCJpcAmerica:St_Ki":["web.svc.corp"]}],"refresh":299,"capture_all":true,"api":"https:\/\/127.0.0.1:15091","public_failure":"closed","nbf":1795328887}"#

    @Test func configClaimsWithAnOutOfRangeDateDoNotEncode() throws {
        let claims = try JSONDecoder().decode(AgentConfigClaims.self, from: Data(Self.configWithHugeIssuedAt.utf8))
        #expect(claims.issuedAt.timeIntervalSince1970 > 1e55)
        #expect(throws: EncodingError.self) { _ = try JSONEncoder().encode(claims) }
    }

    @Test(arguments: ["1e30", "-1e300", "9223372036854775808", "-1e19"])
    func tokenClaimsWithAnOutOfRangeExpiryDoNotEncode(_ expiry: String) throws {
        let json = #"{"iss":"ztserver","sub":"laptop","kind":"client","jti":"j","iat":1780000000,"exp":"# + expiry
            + #","api":"https://127.0.0.1:5001","caf":"ab","ver":1}"#
        let claims = try JSONDecoder().decode(EnrollmentTokenClaims.self, from: Data(json.utf8))
        #expect(throws: EncodingError.self) { _ = try JSONEncoder().encode(claims) }
    }

    @Test func datesInRangeStillEncodeAsWholeSecondsTowardZero() throws {
        let claims = EnrollmentTokenClaims(
            subject: "laptop", kind: "client", tokenID: "j", issuedAt: Date(timeIntervalSince1970: 1_780_000_000.75),
            expiresAt: Date(timeIntervalSince1970: -1.5), apiURL: "https://127.0.0.1:5001", caFingerprint: "ab"
        )
        let object = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(claims)) as? [String: Any]
        #expect(object?["iat"] as? Int == 1_780_000_000)
        #expect(object?["exp"] as? Int == -1)
    }
}
