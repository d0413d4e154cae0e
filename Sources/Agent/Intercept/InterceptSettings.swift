/// The agent's intercept settings (config file key `intercept`).
public struct InterceptSettings: Codable, Sendable, Hashable {
    /// Whether names of granted private services get loopback addresses of ours (default on).
    public var enabled: Bool
    /// Where those addresses come from; inside 127.0.0.0/8.
    public var pool: String

    public init(enabled: Bool = true, pool: String = "127.77.0.0/16") {
        self.enabled = enabled
        self.pool = pool
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        self.pool = try container.decodeIfPresent(String.self, forKey: .pool) ?? "127.77.0.0/16"
    }
}
