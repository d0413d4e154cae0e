import Foundation

/// systemd-resolved over D-Bus, through `busctl` (systemd's own D-Bus client, present wherever
/// resolved is). Calls need root or a polkit rule (see docs/host-integration.md).
public struct BusctlResolvedBus: ResolvedBus {
    static let service = "org.freedesktop.resolve1"
    static let managerPath = "/org/freedesktop/resolve1"
    static let managerInterface = "org.freedesktop.resolve1.Manager"
    static let linkInterface = "org.freedesktop.resolve1.Link"

    let busctl: String
    let runner: CommandRunnerBox

    init(busctl: String, runner: CommandRunnerBox) {
        self.busctl = busctl
        self.runner = runner
    }

    private func call(_ arguments: [String]) throws -> String {
        let result: CommandResult
        do {
            result = try self.runner.run(self.busctl, arguments)
        } catch {
            throw HostDNSError.bus("busctl \(arguments.prefix(6).joined(separator: " ")): \(error)")
        }
        guard result.status == 0 else {
            let why = result.standardError.split(separator: "\n").first.map(String.init) ?? "exit \(result.status)"
            throw HostDNSError.bus("busctl \(arguments.dropFirst(3).prefix(2).joined(separator: " ")): \(why)")
        }
        return result.standardOutput
    }

    private func managerCall(_ method: String, _ signature: String, _ arguments: [String]) throws {
        _ = try self.call(["call", Self.service, Self.managerPath, Self.managerInterface, method, signature] + arguments)
    }

    public func isAvailable() -> Bool {
        guard let output = try? self.call(["call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner", "s", Self.service]) else {
            return false
        }
        return output.contains("true")
    }

    public func linkSettings(ifindex: Int32) throws -> ResolvedLinkSettings {
        let reply = try self.call(["call", Self.service, Self.managerPath, Self.managerInterface, "GetLink", "i", String(ifindex)])
        // `o "/org/freedesktop/resolve1/link/_33"`
        guard let first = reply.firstIndex(of: "\""), let last = reply.lastIndex(of: "\""), first < last else {
            throw HostDNSError.bus("GetLink: unexpected reply \(reply)")
        }
        let path = String(reply[reply.index(after: first)..<last])
        var settings = ResolvedLinkSettings()
        let dns = try self.property(path, "DNSEx")
        if let entries = dns as? [[Any]] {
            for entry in entries where entry.count >= 4 {
                let family = (entry[0] as? NSNumber)?.int32Value ?? 0
                let address = (entry[1] as? [NSNumber])?.map { $0.uint8Value } ?? []
                let port = (entry[2] as? NSNumber)?.uint16Value ?? 0
                let name = entry[3] as? String ?? ""
                settings.servers.append(ResolvedDNSServer(family: family, address: address, port: port, serverName: name))
            }
        }
        let domains = try self.property(path, "Domains")
        if let entries = domains as? [[Any]] {
            for entry in entries where entry.count >= 2 {
                settings.domains.append(ResolvedDomain(name: entry[0] as? String ?? "", routingOnly: (entry[1] as? NSNumber)?.boolValue ?? false))
            }
        }
        settings.defaultRoute = (try? self.property(path, "DefaultRoute")).flatMap { ($0 as? NSNumber)?.boolValue }
        return settings
    }

    private func property(_ path: String, _ name: String) throws -> Any? {
        let output = try self.call(["--json=short", "get-property", Self.service, path, Self.linkInterface, name])
        guard let data = output.data(using: .utf8),
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw HostDNSError.bus("get-property \(name): unreadable reply")
        }
        return object["data"]
    }

    public func setLinkDNS(ifindex: Int32, servers: [ResolvedDNSServer]) throws {
        var arguments = [String(ifindex), String(servers.count)]
        for server in servers {
            arguments += [String(server.family), String(server.address.count)] + server.address.map(String.init)
            arguments += [String(server.port), server.serverName]
        }
        try self.managerCall("SetLinkDNSEx", "ia(iayqs)", arguments)
    }

    public func setLinkDomains(ifindex: Int32, domains: [ResolvedDomain]) throws {
        var arguments = [String(ifindex), String(domains.count)]
        for domain in domains { arguments += [domain.name, domain.routingOnly ? "true" : "false"] }
        try self.managerCall("SetLinkDomains", "ia(sb)", arguments)
    }

    public func setLinkDefaultRoute(ifindex: Int32, enabled: Bool) throws {
        try self.managerCall("SetLinkDefaultRoute", "ib", [String(ifindex), enabled ? "true" : "false"])
    }

    public func revertLink(ifindex: Int32) throws {
        try self.managerCall("RevertLink", "i", [String(ifindex)])
    }
}
