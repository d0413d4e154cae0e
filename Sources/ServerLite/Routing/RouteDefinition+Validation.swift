import ZTProtocol

extension RouteDefinition {
    /// The one rule for route and service names (``ServiceName``), used by `ztserver route add`
    /// and the service API.
    public static func validateName(_ name: String) throws {
        guard ServiceName.isValid(name) else { throw RouteError.invalid("'\(name)' is not a valid route name (\(ServiceName.rule))") }
    }

    /// What changes from `self` to `replacement`, for the line `route add --replace` prints.
    public func changes(to replacement: RouteDefinition) -> [String] {
        var changes: [String] = []
        func host(_ route: RouteDefinition) -> String { route.host.contains(":") ? "[\(route.host)]:\(route.port)" : "\(route.host):\(route.port)" }
        if host(self) != host(replacement) { changes.append("target \(host(self)) -> \(host(replacement))") }
        if self.serviceCommonName != replacement.serviceCommonName { changes.append("service_cn \(self.serviceCommonName) -> \(replacement.serviceCommonName)") }
        if self.domains.sorted() != replacement.domains.sorted() {
            changes.append("domains \(self.domains.joined(separator: ",")) -> \(replacement.domains.joined(separator: ","))")
        }
        if self.clientPorts != replacement.clientPorts {
            changes.append("ports \(self.clientPorts.map(String.init).joined(separator: ",")) -> \(replacement.clientPorts.map(String.init).joined(separator: ","))")
        }
        if self.dial != replacement.dial { changes.append("dial \(self.dial.rawValue) -> \(replacement.dial.rawValue)") }
        if self.passthrough != replacement.passthrough { changes.append("passthrough \(self.passthrough) -> \(replacement.passthrough)") }
        return changes
    }
}
