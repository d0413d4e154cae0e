import Foundation
import ZTProtocol

/// The fixed keys, names and clock the protocol fuzzer verifies with. Fixed (not generated per
/// run) so a token signed with them stays valid in the seed corpus and a crash reproducer replays
/// the same way in any process. These keys are test keys: nothing else trusts them.
enum FuzzFixture {
    /// The config-signing key, pinned as ``configKeyID``.
    static let configKeyPEM = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQglyVwKgtLniMB6I0L
        jcSCmVy8RhxLUakGOtOWnNYpf3ChRANCAASSN9wRFAxy/VP+E79RCqd985mD2lW1
        oRo3b83D0BF7LlbOPiLyb9yNf0O4LBPIO7Kav1UhMsrAimuv0tmEN5P2
        -----END PRIVATE KEY-----
        """
    static let configKeyID = "k1"

    /// The enrollment-token key, the server's ``tokenKeyID``.
    static let tokenKeyPEM = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgN7lIkxnYquYukvmW
        cfAZHVIeru6bnY2lsVzzBYFX9dmhRANCAATvPWZtMtb2s6mNwQ+nbhynBXLMo22h
        x+zmaVzbo2hhzWsw4UVNxlzZBLU1FIFPp///1+WoLtJ8nzjjyh2SJ1Jq
        -----END PRIVATE KEY-----
        """
    static let tokenKeyID = "t1"

    /// The endpoint whose configs are verified (the config's `aud`).
    static let audience = "laptop"
    /// The config version in force: lower ones are rollbacks.
    static let inForceVersion: Int64 = 4
    /// The clock every verification uses: 2026-06-01T00:00:00Z.
    static let now = Date(timeIntervalSince1970: 1_780_272_000)
    /// Validity window of the template tokens, around ``now``.
    static let issuedAt = Date(timeIntervalSince1970: 1_780_000_000)
    static let expiresAt = Date(timeIntervalSince1970: 1_790_000_000)

    /// Longer inputs are skipped: real tokens are under 2 KiB and the verifiers' work grows with
    /// the input, so big inputs would only slow the fuzzer down.
    static let maximumInputBytes = 8192

    /// The claims of the template configs and tokens (see ``TokenTemplate``).
    static var configClaims: [AgentConfigClaims] {
        [
            AgentConfigClaims(
                audience: Self.audience, issuedAt: Self.issuedAt, notBefore: Self.issuedAt, expiresAt: Self.expiresAt, version: 5,
                servers: [.init(address: "127.0.0.1:853", name: "ztserver.local"), .init(address: "[2001:db8::53]:853", name: "ztserver.local")],
                apiURL: "https://127.0.0.1:5001", routerAddress: "127.0.0.1", privateSuffixes: ["internal.corp", "svc.corp"],
                refreshSeconds: 300, renewAtFraction: 2.0 / 3.0, tunnel: "127.0.0.1:8443",
                services: [ServiceGrant(name: "web", domains: ["web.svc.corp"], ports: [443, 8443])]
            ),
            AgentConfigClaims(
                audience: Self.audience, issuedAt: Self.issuedAt, notBefore: Self.issuedAt, expiresAt: Self.expiresAt, version: Self.inForceVersion,
                servers: [.init(address: "192.0.2.53:853", name: "dot.example")], apiURL: "https://192.0.2.53:5001",
                routerAddress: "192.0.2.80", privateSuffixes: [], refreshSeconds: 60, renewAtFraction: 0.5,
                captureAll: false, publicFailure: "open"
            ),
        ]
    }

    static var tokenClaims: [EnrollmentTokenClaims] {
        let fingerprint = String(repeating: "ab", count: 32)
        return [
            EnrollmentTokenClaims(
                subject: Self.audience, kind: "client", tokenID: "0b5c6a54-7f1e-4c55-9d1f-2a4f3c1d9e01",
                issuedAt: Self.issuedAt, expiresAt: Self.expiresAt, apiURL: "https://127.0.0.1:5001", caFingerprint: fingerprint
            ),
            EnrollmentTokenClaims(
                subject: "web-svc", kind: "service", tokenID: "7d0e2b1a-3c4f-4e5d-8a9b-0c1d2e3f4a5b",
                issuedAt: Self.issuedAt, expiresAt: Self.expiresAt, apiURL: "https://[2001:db8::1]:5001", caFingerprint: fingerprint
            ),
        ]
    }
}
