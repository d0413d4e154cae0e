import ArgumentParser
import DNSTransport
import Foundation

struct RouteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route",
        abstract: "Manage the TLS router's routes (service -> backend).",
        subcommands: [Add.self, List.self, Remove.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a route (or change one with --replace).")
        @OptionGroup var state: StateOptions
        @Option(help: "The route's name (unique).") var name: String
        @Option(name: .customLong("service-cn"), help: "The service endpoint that owns the route.") var serviceCN: String
        @Option(help: "The backend, HOST:PORT (for --dial reverse: as the service agent sees it; for --dial resolve: only the port counts).")
        var target: String
        @Option(name: .customLong("domain"), help: "A name clients connect to, inside a private zone (repeatable).") var domains: [String] = []
        @Option(name: .customLong("port"), help: "A port clients connect to (repeatable; default: the target's port).") var ports: [Int] = []
        @Option(help: "How the router reaches the backend: address, resolve (the client's name, AAAA/A) or reverse.") var dial: RouteDial = .address
        @Flag(help: "Also serve the route on the passthrough listener (no client identity; TLS not terminated).") var passthrough = false
        @Option(name: .customLong("allow-network"), help: "A network (CIDR) the backend may be in although the router refuses it by default: loopback, link-local, unspecified, this server's addresses (repeatable).")
        var allowNetworks: [String] = []
        @Flag(help: "Change the route of that name if it exists (prints what changes); without it an existing name is refused.") var replace = false

        func run() throws {
            let target = try HostPort.split(self.target)
            let route = RouteDefinition(name: self.name, serviceCommonName: self.serviceCN, host: target.host, port: target.port,
                                        domains: self.domains, ports: self.ports, dial: self.dial, passthrough: self.passthrough,
                                        allowNetworks: self.allowNetworks)
            if let previous = try ServerAdministration(paths: self.state.paths).addRoute(route, replace: self.replace) {
                let changes = previous.changes(to: route)
                print("route \(self.name) replaced: \(changes.isEmpty ? "nothing changed" : changes.joined(separator: "; "))")
            } else {
                print("route \(self.name) added")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List routes (JSON with --json, keyed by name).")
        @OptionGroup var state: StateOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let routes = try ServerAdministration(paths: self.state.paths).routes()
            if self.json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                let keyed = Dictionary(uniqueKeysWithValues: routes.map { ($0.name, $0) })
                print(String(decoding: try encoder.encode(keyed), as: UTF8.self))
                return
            }
            for route in routes {
                let host = route.host.contains(":") ? "[\(route.host)]" : route.host
                print("\(route.name)  service_cn=\(route.serviceCommonName)  target=\(host):\(route.port)  dial=\(route.dial.rawValue)\(route.passthrough ? "  passthrough" : "")")
                print("  domains: \(route.domains.joined(separator: ", "))  ports: \(route.clientPorts.map(String.init).joined(separator: ", "))")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a route; open connections through it are closed.")
        @OptionGroup var state: StateOptions
        @Argument var name: String

        func run() throws {
            try ServerAdministration(paths: self.state.paths).removeRoute(self.name)
            print("route \(self.name) removed")
        }
    }
}

extension RouteDial: ExpressibleByArgument {}
