#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything that can go wrong in `CertStore`.
///
/// Each case that concerns a file carries its path, and ``description`` names it, so an operator
/// can act on the message alone. No case ever carries key material.
public enum CertStoreError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file does not exist.
    case fileNotFound(path: String)
    /// The file exists but could not be read (`reason` is the system's explanation).
    case readFailed(path: String, reason: String)
    /// The file is not a regular file (a directory, a device, ...).
    case notARegularFile(path: String)
    /// The file is larger than any PEM file this module reads.
    case fileTooLarge(path: String, size: Int, limit: Int)
    /// A private key file is readable or writable by group or others.
    case insecureKeyPermissions(path: String, mode: mode_t)
    /// A directory that must be private grants access to group or others.
    case insecureDirectoryPermissions(path: String, mode: mode_t)
    /// A path that must be a directory is something else.
    case notADirectory(path: String)
    /// A directory is owned by another user and is more open than required, so it cannot be fixed.
    case directoryNotOwned(path: String, owner: uid_t, mode: mode_t)
    /// A directory could not be created, inspected or changed.
    case directoryFailed(path: String, reason: String)
    /// Writing a file failed; the previous content of `path` (if any) is untouched unless `reason` says otherwise.
    case writeFailed(path: String, reason: String)
    /// PEM text could not be decoded. `path` is nil when the PEM did not come from a file.
    case invalidPEM(path: String?, reason: String)
    /// A PEM or DER certificate could not be parsed.
    case invalidCertificate(path: String?, reason: String)
    /// A private key could not be parsed or is not a P-256 key.
    case invalidPrivateKey(path: String?, reason: String)
    /// A certificate chain was empty.
    case emptyCertificateChain(path: String?)
    /// The private key does not belong to the certificate.
    case keyMismatch(certificatePath: String?, keyPath: String?, subject: String)
    /// A certificate that should be a CA is not one.
    case notACertificateAuthority(path: String?, subject: String)
    /// An issuance request was rejected before signing.
    case invalidProfile(reason: String)
    /// Building or signing a certificate failed.
    case issuanceFailed(reason: String)
    /// A certificate or key could not be serialized.
    case encodingFailed(reason: String)
    /// Converting to a NIOSSL type failed.
    case tlsConversionFailed(reason: String)

    /// A human-readable message naming the file involved.
    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "file not found: \(path)"
        case .readFailed(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .notARegularFile(let path):
            return "\(path) is not a regular file"
        case .fileTooLarge(let path, let size, let limit):
            return "\(path) is too large (\(size) bytes; limit \(limit))"
        case .insecureKeyPermissions(let path, let mode):
            return "private key file \(path) has mode \(Self.octal(mode)); it must not be accessible by group or others (run: chmod 600 \(path))"
        case .insecureDirectoryPermissions(let path, let mode):
            return "directory \(path) has mode \(Self.octal(mode)); it must not be accessible by group or others (run: chmod 700 \(path))"
        case .notADirectory(let path):
            return "\(path) exists but is not a directory"
        case .directoryNotOwned(let path, let owner, let mode):
            return "directory \(path) is owned by uid \(owner), not by us, and has mode \(Self.octal(mode)); cannot make it private"
        case .directoryFailed(let path, let reason):
            return "directory \(path): \(reason)"
        case .writeFailed(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .invalidPEM(let path, let reason):
            return "invalid PEM\(Self.inFile(path)): \(reason)"
        case .invalidCertificate(let path, let reason):
            return "invalid certificate\(Self.inFile(path)): \(reason)"
        case .invalidPrivateKey(let path, let reason):
            return "invalid private key\(Self.inFile(path)): \(reason)"
        case .emptyCertificateChain(let path):
            return "no certificate found\(Self.inFile(path))"
        case .keyMismatch(let certificatePath, let keyPath, let subject):
            let files: String
            switch (certificatePath, keyPath) {
            case (let cert?, let key?): files = " (certificate \(cert), key \(key))"
            case (let cert?, nil): files = " (certificate \(cert))"
            case (nil, let key?): files = " (key \(key))"
            case (nil, nil): files = ""
            }
            return "private key does not match the certificate for \(subject)\(files)"
        case .notACertificateAuthority(let path, let subject):
            return "certificate \(subject)\(Self.inFile(path)) is not a CA certificate (BasicConstraints CA:TRUE missing)"
        case .invalidProfile(let reason):
            return "invalid issuance profile: \(reason)"
        case .issuanceFailed(let reason):
            return "certificate issuance failed: \(reason)"
        case .encodingFailed(let reason):
            return "encoding failed: \(reason)"
        case .tlsConversionFailed(let reason):
            return "conversion to NIOSSL failed: \(reason)"
        }
    }

    /// Returns the same error with `path` filled in where the error concerns PEM content
    /// that was decoded without knowing its file.
    func attributed(to path: String) -> CertStoreError {
        switch self {
        case .invalidPEM(nil, let reason): return .invalidPEM(path: path, reason: reason)
        case .invalidCertificate(nil, let reason): return .invalidCertificate(path: path, reason: reason)
        case .invalidPrivateKey(nil, let reason): return .invalidPrivateKey(path: path, reason: reason)
        case .emptyCertificateChain(nil): return .emptyCertificateChain(path: path)
        case .notACertificateAuthority(nil, let subject): return .notACertificateAuthority(path: path, subject: subject)
        default: return self
        }
    }

    static func octal(_ mode: mode_t) -> String {
        let digits = String(UInt32(mode) & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    private static func inFile(_ path: String?) -> String {
        guard let path else { return "" }
        return " in \(path)"
    }
}
