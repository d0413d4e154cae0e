import Foundation
import Testing
import ZTProtocol

/// `ConfigRejection.reasons` is what the agent exports at 0 before any refusal
/// (`ztagent_config_rejections{reason}`): it must hold exactly the labels the cases give.
@Suite("Config rejection reasons")
struct ConfigRejectionReasonTests {
    @Test("every case's reason label is in ConfigRejection.reasons, and nothing else is")
    func reasonsAreComplete() {
        let every: [ConfigRejection] = [
            .malformed("x"), .algorithmNotAllowed("HS256"), .unknownKey("k"), .badSignature,
            .wrongAudience(expected: "a", got: "b"), .expired(Date()), .notYetValid(Date()),
            .rollback(inForce: 2, offered: 1), .unknownSchema(9),
        ]
        #expect(Set(every.map(\.reason)) == Set(ConfigRejection.reasons))
        #expect(ConfigRejection.reasons.count == Set(ConfigRejection.reasons).count)
    }
}
