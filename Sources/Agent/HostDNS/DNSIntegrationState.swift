/// Exactly what the agent changed on the host, written before each change so that `revert` can
/// undo it byte for byte, also after a crash.
public struct DNSIntegrationState: Codable, Sendable, Hashable {
    /// How far an apply got. `applying` after a crash means the change may be partly made.
    public enum Phase: String, Codable, Sendable, Hashable {
        case applying
        case applied
    }

    /// What /etc/resolv.conf was before the agent touched it.
    public struct OriginalFile: Codable, Sendable, Hashable {
        /// `regular`, `symlink`, `missing`, or `reconstructed` (rebuilt from a file of ours after the
        /// state was lost).
        public var kind: String
        public var symlinkTarget: String?
        /// SHA-256 (hex) of the backup's bytes (regular and reconstructed).
        public var sha256: String?
        public var mode: UInt32
        public var uid: UInt32
        public var gid: UInt32
        /// The nameservers it listed (not the stub, not 127.0.0.53): where the host's original
        /// resolvers are.
        public var nameservers: [String]
    }

    /// The direct mode's record.
    public struct Direct: Codable, Sendable, Hashable {
        public var path: String
        public var backupPath: String
        public var original: OriginalFile
        /// SHA-256 (hex) of the file the agent wrote.
        public var writtenSHA256: String
    }

    /// The resolvconf mode's record.
    public struct Resolvconf: Codable, Sendable, Hashable {
        public var program: String
        public var interface: String
        public var originalNameservers: [String]
    }

    /// The systemd-resolved mode's record.
    public struct Resolved: Codable, Sendable, Hashable {
        public var linkName: String
        public var ifindex: Int32?
        /// The agent created the link (and deletes it on revert).
        public var createdLink: Bool
        /// What the link held before (restored after `RevertLink` when not empty).
        public var previous: ResolvedLinkSettings?
        /// What the agent set.
        public var applied: ResolvedLinkSettings
    }

    public var version: Int
    public var mode: ResolverMode
    public var phase: Phase
    public var request: DNSApplyRequest
    /// Seconds since 1970 of the last successful apply.
    public var appliedAt: Double
    public var direct: Direct?
    public var resolvconf: Resolvconf?
    public var resolved: Resolved?
    /// The resolved drop-in mode: what was at the drop-in path before, and what we wrote.
    public var dropIn: DropIn?

    public struct DropIn: Codable, Sendable, Hashable {
        public var path: String
        /// The previous file's bytes (base64), nil when there was none.
        public var previousContents: String?
        public var previousMode: UInt32?
        public var writtenSHA256: String
    }
    /// Times (seconds since 1970) the agent re-asserted its setup after finding it overwritten.
    public var reassertions: [Double]

    /// A new record for `mode`, in phase `applying`.
    public init(mode: ResolverMode, request: DNSApplyRequest, now: Double) {
        self.version = 1
        self.mode = mode
        self.phase = .applying
        self.request = request
        self.appliedAt = now
        self.reassertions = []
    }

    /// The host's original resolvers as recorded (for fail-open and for reaching names without
    /// the stub).
    public var originalNameservers: [String] {
        self.direct?.original.nameservers ?? self.resolvconf?.originalNameservers ?? []
    }
}
