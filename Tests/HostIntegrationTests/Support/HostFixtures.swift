@testable import Agent

/// Hosts as the detection table and the backend tests describe them.
enum HostFixtures {
    static let plain = "# written by the installer\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nsearch corp.local lab.local\noptions edns0 trust-ad\n"
    static let resolvedStub = """
        # This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).
        # Do not edit.
        nameserver 127.0.0.53
        options edns0 trust-ad
        search corp.local

        """
    static let lyingHeader = """
        # This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).
        # Do not edit.
        nameserver 192.0.2.1
        search corp.local

        """

    static func host(resolvConf: String? = plain, nsswitch: String = "hosts:          files dns\n") -> InMemoryHost {
        let host = InMemoryHost()
        if let resolvConf { host.setFile("/etc/resolv.conf", resolvConf) }
        host.setFile("/etc/nsswitch.conf", "passwd: files\n" + nsswitch)
        host.addExecutable("/usr/sbin/ip")
        return host
    }

    static func request(stub: String = "127.0.0.1:53", domains: [String] = []) throws -> DNSApplyRequest {
        try DNSApplyRequest(stub: try StubAddress(parsing: stub), domains: domains)
    }

    /// A host whose `ip` knows a link `zt0` (index 7) once created, and `eth0` (index 2).
    static func withIPLinks(_ host: InMemoryHost, zt0Exists: Bool = false) -> InMemoryHost {
        let created = LinkFlag(zt0Exists)
        host.commandHandler = { _, arguments, _ in
            if arguments.starts(with: ["link", "add", "zt0"]) { created.set(true); return CommandResult(status: 0) }
            if arguments.starts(with: ["link", "del", "zt0"]) { created.set(false); return CommandResult(status: 0) }
            if arguments == ["-o", "link", "show", "dev", "zt0"] {
                return created.value ? CommandResult(status: 0, standardOutput: "7: zt0@zt0p: <BROADCAST,UP> mtu 1500\n") : CommandResult(status: 1, standardError: "Device \"zt0\" does not exist.\n")
            }
            if arguments == ["-o", "link", "show", "dev", "eth0"] {
                return CommandResult(status: 0, standardOutput: "2: eth0: <BROADCAST,UP> mtu 1500\n")
            }
            return CommandResult(status: 0)
        }
        return host
    }
}

/// A flag shared with a command handler.
final class LinkFlag: @unchecked Sendable {
    private let lock = NSLockBox()
    private var current: Bool
    init(_ value: Bool) { self.current = value }
    var value: Bool { self.lock.with { self.current } }
    func set(_ value: Bool) { self.lock.with { self.current = value } }
}

import Foundation

final class NSLockBox: @unchecked Sendable {
    private let lock = NSLock()
    func with<T>(_ body: () throws -> T) rethrows -> T { try self.lock.withLock(body) }
}
