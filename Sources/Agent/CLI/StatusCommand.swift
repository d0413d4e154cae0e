import ArgumentParser
import Foundation
import NIOPosix

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the running agent's identity, config, upstreams, cache, counters, resolver integration and network changes."
    )

    @Option(help: "State directory of the running agent (its control socket is <state>/control.sock).")
    var state: String = "/var/lib/ztagent"

    @Option(help: "The control socket, when not in the state directory.")
    var socket: String?

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let path = self.socket ?? "\(self.state)/control.sock"
        // Throws ControlSocketError: one line naming the socket, exit 1.
        let data = try await ControlSocketServer.read(path: path, group: MultiThreadedEventLoopGroup.singleton)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let status: AgentStatus
        do {
            status = try decoder.decode(AgentStatus.self, from: data)
        } catch {
            throw ControlSocketError.notAStatus(path: path, cause: error)
        }
        if self.json {
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let formatter = ISO8601DateFormatter()
        print("identity:  \(status.identity.commonName ?? "?"), certificate until \(status.identity.certificateNotAfter.map { formatter.string(from: $0) } ?? "?"), renewals \(status.identity.renewals), refusals \(status.identity.rejections)")
        if let config = status.config {
            print("config:    version \(config.version), private \(config.privateSuffixes.joined(separator: " ")), refused \(config.rejections.values.reduce(0, +))")
        }
        for upstream in status.upstreams {
            print("upstream:  \(upstream.server) \(upstream.up ? "up" : "DOWN") connections \(upstream.openConnections) rtt \(upstream.rttMilliseconds.map { String(format: "%.2fms", $0) } ?? "-")")
        }
        print("cache:     \(status.cache.entries) entries, hit rate \(String(format: "%.1f%%", status.cache.hitRate * 100))")
        print("queries:   \(status.queries.queries) (udp \(status.queries.udpQueries), tcp \(status.queries.tcpQueries)), servfail \(status.queries.serverFailures), formerr \(status.queries.formatErrors), stale \(status.queries.staleAnswers)")
        print("resolver:  \(status.resolver.mode), applied \(status.resolver.applied), intact \(status.resolver.intact)\(status.resolver.advice.map { " — \($0)" } ?? "")")
        print("network:   \(status.network.changes) changes, last \(status.network.lastChange.map { formatter.string(from: $0) } ?? "never")")
        print("listening: \(status.listening.joined(separator: "; "))")
        if let intercept = status.intercept {
            let names = intercept.listeners.keys.sorted().map { "\($0) \(intercept.listeners[$0]?.joined(separator: ",") ?? "")" }
            print("intercept: \(names.isEmpty ? "no services" : names.joined(separator: "; ")); connections \(intercept.connections.accepted) (open \(intercept.connections.open), router failures \(intercept.connections.routerFailures))")
        }
        if let service = status.serviceMode {
            print("services:  \(service.services.joined(separator: ", ")); reverse tunnel \(service.reverseConnected ? "up" : "down") serving \(service.reverseServed.joined(separator: ", ")), dial-backs \(service.dialBacks) (failed \(service.dialBackFailures))")
        }
    }
}
