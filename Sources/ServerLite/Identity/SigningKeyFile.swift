import CertStore
import Crypto
import Foundation

/// A P-256 signing key kept in one PEM file (0600), and its key id.
public enum SigningKeyFile {
    /// Loads the key at `path`, creating it (atomically, 0600) when missing.
    public static func loadOrCreate(_ path: String) throws -> P256.Signing.PrivateKey {
        if FileManager.default.fileExists(atPath: path) {
            try checkPermissions(path)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            return try PEMCodec.decodePrivateKey(pem: text)
        }
        let key = P256.Signing.PrivateKey()
        try AtomicFile.write(PEMCodec.encode(privateKey: key), to: path, mode: 0o600)
        return key
    }

    /// The key id agents pin: the first 16 hex digits of SHA-256 over the public key's DER.
    public static func keyID(of key: P256.Signing.PublicKey) -> String {
        SHA256.hash(data: key.derRepresentation).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    private static func checkPermissions(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw AdministrationError.invalid("cannot stat \(path)") }
        guard info.st_mode & 0o077 == 0 else {
            throw AdministrationError.invalid("\(path) is readable by group or others (mode \(String(info.st_mode & 0o777, radix: 8))); it must be 0600")
        }
    }
}
