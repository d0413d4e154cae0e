import CertStore
import Foundation

/// The identity file: private key and certificate chain in one PEM file (0600), replaced
/// atomically, so a crash at any moment leaves the old identity or the new one.
public enum AgentIdentityFile {
    public static func write(_ identity: TLSIdentity, to path: String) throws {
        let text = PEMCodec.encode(privateKey: identity.privateKey) + (try PEMCodec.encode(certificates: identity.certificateChain))
        try AtomicFile.write(text, to: path, mode: 0o600)
    }

    /// Loads it, refusing a file readable or writable by group or others.
    public static func load(_ path: String) throws -> TLSIdentity {
        try TLSIdentity.load(certificatePath: path, keyPath: path)
    }
}
