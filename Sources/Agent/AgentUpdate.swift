import CertStore
import ZTProtocol

/// What the identity manager hands the running agent: a renewed identity or a new signed
/// config. Both go through one ``OrderedUpdateConsumer`` so they are applied in the order
/// they happened, one at a time.
enum AgentUpdate: Sendable {
    case identity(TLSIdentity)
    case config(AgentConfigClaims)
}
