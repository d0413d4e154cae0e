import Foundation
import ZTProtocol

/// The agent's configuration file (JSON). Relative paths are relative to the file's directory.
///
/// ```json
/// {
///   "listen": ["127.0.0.1:53"],
///   "identity": { "certificate": "identity.pem", "key": "identity.key" },
///   "ca": "ca.pem",
///   "servers": [ { "address": "127.0.0.1:853", "name": "ztserver.local" } ]
/// }
/// ```
public struct AgentConfiguration: Codable, Sendable, Hashable {
    /// Where the identity lives.
    public struct Identity: Codable, Sendable, Hashable {
        public var certificate: String
        public var key: String
        public init(certificate: String, key: String) {
            self.certificate = certificate
            self.key = key
        }
    }

    /// One DoT server, by IP address (never a name: the agent must not need DNS to reach it),
    /// with the name its certificate must carry. The same type the signed config uses.
    public typealias Server = AgentConfigClaims.Server

    /// Stub listen addresses, "IP:PORT". Default 127.0.0.1:53.
    public var listen: [String]
    /// Allow non-loopback listen addresses.
    public var allowNonLoopback: Bool
    /// Enrolled mode: the state directory written by `ztagent enroll` (identity, pinned CA and
    /// keys, signed config). Identity, CA and servers then come from there.
    public var state: String?
    /// Static mode (offline-issued identity): the certificate and key.
    public var identity: Identity?
    /// Static mode: the CA bundle that signs the servers' certificates (nothing else is trusted).
    public var ca: String?
    /// Static mode: DoT servers in order of preference.
    public var servers: [Server]
    public var cacheSize: Int
    public var upstreamTimeoutSeconds: Double
    public var connectionsPerServer: Int
    /// "1.3" (default) or "1.2".
    public var minimumTLSVersion: String
    /// Threads serving the stub (default: one per core).
    public var threads: Int?
    /// Prometheus metrics on this loopback address ("127.0.0.1:9153"); off when nil.
    public var metricsListen: String?
    /// The control socket `ztagent status` reads; default `<state>/control.sock` for an enrolled
    /// agent, none otherwise.
    public var controlSocket: String?
    /// Private service intercept (enrolled mode).
    public var intercept: InterceptSettings
    /// Service mode: backends this agent registers at start (enrolled as a service endpoint).
    public var services: [ServiceRegistration]

    /// The control socket in use, if any.
    public var effectiveControlSocket: String? {
        self.controlSocket ?? self.state.map { "\($0)/control.sock" }
    }

    public init(
        listen: [String] = ["127.0.0.1:53"],
        allowNonLoopback: Bool = false,
        state: String? = nil,
        identity: Identity? = nil,
        ca: String? = nil,
        servers: [Server] = [],
        cacheSize: Int = 100_000,
        upstreamTimeoutSeconds: Double = 3,
        connectionsPerServer: Int = 2,
        minimumTLSVersion: String = "1.3",
        threads: Int? = nil,
        metricsListen: String? = nil
    ) {
        self.metricsListen = metricsListen
        self.listen = listen
        self.allowNonLoopback = allowNonLoopback
        self.state = state
        self.identity = identity
        self.ca = ca
        self.servers = servers
        self.cacheSize = cacheSize
        self.upstreamTimeoutSeconds = upstreamTimeoutSeconds
        self.connectionsPerServer = connectionsPerServer
        self.minimumTLSVersion = minimumTLSVersion
        self.threads = threads
        self.intercept = InterceptSettings()
        self.services = []
    }

    enum CodingKeys: String, CodingKey {
        case listen, allowNonLoopback, state, identity, ca, servers, cacheSize, upstreamTimeoutSeconds, connectionsPerServer, minimumTLSVersion, threads, metricsListen, controlSocket, intercept, services
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.listen = try container.decodeIfPresent([String].self, forKey: .listen) ?? ["127.0.0.1:53"]
        self.allowNonLoopback = try container.decodeIfPresent(Bool.self, forKey: .allowNonLoopback) ?? false
        self.state = try container.decodeIfPresent(String.self, forKey: .state)
        self.identity = try container.decodeIfPresent(Identity.self, forKey: .identity)
        self.ca = try container.decodeIfPresent(String.self, forKey: .ca)
        self.servers = try container.decodeIfPresent([Server].self, forKey: .servers) ?? []
        self.cacheSize = try container.decodeIfPresent(Int.self, forKey: .cacheSize) ?? 100_000
        self.upstreamTimeoutSeconds = try container.decodeIfPresent(Double.self, forKey: .upstreamTimeoutSeconds) ?? 3
        self.connectionsPerServer = try container.decodeIfPresent(Int.self, forKey: .connectionsPerServer) ?? 2
        self.minimumTLSVersion = try container.decodeIfPresent(String.self, forKey: .minimumTLSVersion) ?? "1.3"
        self.threads = try container.decodeIfPresent(Int.self, forKey: .threads)
        self.metricsListen = try container.decodeIfPresent(String.self, forKey: .metricsListen)
        self.controlSocket = try container.decodeIfPresent(String.self, forKey: .controlSocket)
        self.intercept = try container.decodeIfPresent(InterceptSettings.self, forKey: .intercept) ?? InterceptSettings()
        self.services = try container.decodeIfPresent([ServiceRegistration].self, forKey: .services) ?? []
    }

    /// Reads and checks a configuration file; relative paths become absolute.
    public static func load(path: String) throws -> AgentConfiguration {
        let data = try AgentFileReader.read(path)
        var configuration: AgentConfiguration
        do {
            configuration = try JSONDecoder().decode(AgentConfiguration.self, from: data)
        } catch {
            throw AgentStateFileError.malformed(path: path, expected: "a valid agent configuration", cause: error)
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        func absolute(_ file: String) -> String { file.hasPrefix("/") ? file : "\(base)/\(file)" }
        if let identity = configuration.identity {
            configuration.identity = Identity(certificate: absolute(identity.certificate), key: absolute(identity.key))
        }
        configuration.ca = configuration.ca.map(absolute)
        configuration.state = configuration.state.map(absolute)
        configuration.controlSocket = configuration.controlSocket.map(absolute)
        try configuration.validate()
        return configuration
    }

    /// Checks what can be checked without touching the network.
    public func validate() throws {
        if self.state == nil {
            guard self.identity != nil, self.ca != nil else {
                throw AgentError.configuration("configure either \"state\" (an enrolled agent) or \"identity\" and \"ca\" (an offline-issued identity)")
            }
            guard !self.servers.isEmpty else { throw AgentError.configuration("no DoT servers configured") }
        }
        guard !self.listen.isEmpty else { throw AgentError.configuration("no listen address configured") }
        guard self.cacheSize > 0 else { throw AgentError.configuration("cacheSize must be positive") }
        guard self.upstreamTimeoutSeconds > 0, self.upstreamTimeoutSeconds <= 60 else {
            throw AgentError.configuration("upstreamTimeoutSeconds must be in (0, 60]")
        }
        _ = try InterceptAddressPool(self.intercept.pool)
        _ = try InterceptOwnerPolicy(self.intercept)
        if !self.services.isEmpty, self.state == nil {
            throw AgentError.configuration("services need an enrolled agent (\"state\")")
        }
        guard ["1.2", "1.3"].contains(self.minimumTLSVersion) else {
            throw AgentError.configuration("minimumTLSVersion must be \"1.2\" or \"1.3\"")
        }
    }
}
