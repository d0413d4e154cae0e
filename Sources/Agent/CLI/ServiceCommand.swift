import ArgumentParser
import Foundation
import Logging
import CertStore
import NIOPosix
import NIOSSL
import ZTProtocol
#if canImport(Glibc)
import Glibc
#endif

struct ServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service",
        abstract: "Service mode: register backends this host serves through the router.",
        subcommands: [Add.self, List.self, Remove.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a backend with the server (this agent must be enrolled as a service endpoint).",
            discussion: "Each --domain must lie in a private zone the operator delegated to this endpoint (zone add --service-cn). With --reverse the running agent keeps a connection to the router and dials the target itself for each client, so the target needs no port the server can reach."
        )
        @Option(help: "State directory of the enrolled service agent.") var state: String = "/var/lib/ztagent"
        @Option(help: "The service's name (unique on the server).") var name: String
        @Option(name: .customLong("domain"), help: "A name clients use (repeatable).") var domains: [String] = []
        @Option(help: "The backend, HOST:PORT (as the router sees it; with --reverse, as this host sees it).") var target: String
        @Option(name: .customLong("port"), help: "A port clients connect to (repeatable; default: the target's port).") var ports: [Int] = []
        @Flag(help: "The router asks this agent to dial back (no inbound port needed at the backend).") var reverse = false

        func run() async throws {
            guard !self.domains.isEmpty else { throw ValidationError("give at least one --domain") }
            guard ServiceName.isValid(self.name) else { throw ValidationError("'\(self.name)' is not a valid service name (\(ServiceName.rule))") }
            let registration = ServiceRegistration(name: self.name, domains: self.domains, target: self.target, ports: self.ports, reverse: self.reverse)
            let session = try await ServiceCommandSession(state: self.state)
            let stored = try await session.register(registration)
            try LocalServiceStore(path: session.paths.services).put(registration)
            print("service \(stored.name) registered: \(stored.domains.joined(separator: ", ")) -> \(stored.target)\(stored.reverse ? " (reverse tunnel)" : "")")
            session.notifyRunningAgent()
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the services this endpoint registered (as the server has them).")
        @Option(help: "State directory of the enrolled service agent.") var state: String = "/var/lib/ztagent"

        func run() async throws {
            let session = try await ServiceCommandSession(state: self.state)
            for service in try await session.list() {
                print("\(service.name)  \(service.domains.joined(separator: ", ")) -> \(service.target)\(service.reverse ? "  reverse" : "")\(service.ports.isEmpty ? "" : "  ports \(service.ports.map(String.init).joined(separator: ","))")")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a service (its route and open connections go away).")
        @Option(help: "State directory of the enrolled service agent.") var state: String = "/var/lib/ztagent"
        @Argument var name: String

        func run() async throws {
            let session = try await ServiceCommandSession(state: self.state)
            try await session.remove(self.name)
            try LocalServiceStore(path: session.paths.services).remove(named: self.name)
            print("service \(self.name) removed")
            session.notifyRunningAgent()
        }
    }
}

/// The enrolled identity and API a service command talks with.
struct ServiceCommandSession {
    let paths: AgentStatePaths
    let loaded: AgentIdentityManager.Loaded
    let client = EnrollmentClient(group: MultiThreadedEventLoopGroup.singleton)

    init(state: String) async throws {
        self.paths = AgentStatePaths(directory: state)
        self.loaded = try await AgentIdentityManager.load(self.paths)
    }

    private var credentials: (ca: [NIOSSLCertificate], identity: (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey)) {
        get throws {
            (try TrustAnchors.nioCertificates([self.loaded.ca]),
             (try self.loaded.identity.nioCertificateChain(), try self.loaded.identity.nioPrivateKey()))
        }
    }

    func register(_ registration: ServiceRegistration) async throws -> ServiceRegistration {
        let credentials = try self.credentials
        return try await self.client.registerService(apiURL: self.loaded.config.apiURL, registration, ca: credentials.ca, identity: credentials.identity)
    }

    func list() async throws -> [ServiceRegistration] {
        let credentials = try self.credentials
        return try await self.client.services(apiURL: self.loaded.config.apiURL, ca: credentials.ca, identity: credentials.identity).services
    }

    func remove(_ name: String) async throws {
        let credentials = try self.credentials
        _ = try await self.client.removeService(apiURL: self.loaded.config.apiURL, name: name, ca: credentials.ca, identity: credentials.identity)
    }

    /// SIGHUP to a running agent: it re-reads its services (and its config).
    func notifyRunningAgent() {
        if let text = try? String(contentsOfFile: self.paths.pid, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1 {
            _ = kill(pid, SIGHUP)
        }
    }
}
