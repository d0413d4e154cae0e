/// The agent's intercept settings (config file key `intercept`).
public struct InterceptSettings: Codable, Sendable, Hashable {
    /// Whether names of granted private services get loopback addresses of ours (default on).
    public var enabled: Bool
    /// Where those addresses come from; inside 127.0.0.0/8.
    public var pool: String
    /// Local users (names or UIDs) whose connections the intercept carries. When this and
    /// ``allowGroups`` are both unset, every local user is carried with this host's identity.
    public var allowUsers: [String]?
    /// Local groups (names or GIDs, primary or supplementary) whose members' connections the
    /// intercept carries.
    public var allowGroups: [String]?

    public init(enabled: Bool = true, pool: String = "127.77.0.0/16", allowUsers: [String]? = nil, allowGroups: [String]? = nil) {
        self.enabled = enabled
        self.pool = pool
        self.allowUsers = allowUsers
        self.allowGroups = allowGroups
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        self.pool = try container.decodeIfPresent(String.self, forKey: .pool) ?? "127.77.0.0/16"
        self.allowUsers = try container.decodeIfPresent([String].self, forKey: .allowUsers)
        self.allowGroups = try container.decodeIfPresent([String].self, forKey: .allowGroups)
    }
}
