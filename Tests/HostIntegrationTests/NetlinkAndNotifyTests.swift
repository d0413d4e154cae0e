import Foundation
import Testing
import TestSupport
@testable import Agent

#if canImport(Glibc)
import Glibc
#endif

@Suite("Netlink watcher and sd_notify")
struct NetlinkAndNotifyTests {
    @Test("netlink in a private network namespace: veth and address added and removed arrive as debounced batches")
    func netlink() throws {
        let ztagent = try BuiltProducts.executable("ztagent")
        let result = try NamespaceTests.runScript("netlink-namespace.sh", [ztagent], timeout: 60)
        #expect(result.status == 0, "\(result.standardOutput)\n\(result.standardError)")
        for check in ["veth added", "address added", "address removed", "veth removed", "debounced"] {
            #expect(result.standardOutput.contains("ok: \(check)"), "missing: \(check)\n\(result.standardOutput)")
        }
    }

    @Test("the netlink monitor starts and stops in-process (host namespace, no changes made)")
    func monitorLifecycle() throws {
        let monitor = NetworkChangeMonitor(debounceMilliseconds: 50) { _ in }
        try monitor.start()
        Thread.sleep(forTimeInterval: 0.1)
        monitor.stop()
        Thread.sleep(forTimeInterval: 0.15)
        #expect(monitor.statistics.batches >= 0)
    }

    @Test("sd_notify: READY=1 and STOPPING=1 reach \\$NOTIFY_SOCKET as datagrams")
    func notify() throws {
        let path = NSTemporaryDirectory() + "zt-notify-\(UUID().uuidString.prefix(8)).sock"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd); unlink(path) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0)
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        func receive() -> String {
            var buffer = [UInt8](repeating: 0, count: 512)
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
        }
        let notifier = SystemdNotifier(socketPath: path)
        #expect(notifier.ready(status: "serving"))
        #expect(receive() == "READY=1\nSTATUS=serving")
        #expect(notifier.stopping())
        #expect(receive() == "STOPPING=1")
        #expect(!SystemdNotifier(socketPath: path + ".missing").ready())
    }
}

@Suite("The agent and netlink, in a private network namespace")
struct AgentNetlinkTests {
    @Test("network changes show in ztagent status, the pool reconnects, queries in flight are answered")
    func agentReactsToNetworkChanges() throws {
        let ztserver = try BuiltProducts.executable("ztserver")
        let ztagent = try BuiltProducts.executable("ztagent")
        let result = try NamespaceTests.runScript("agent-netlink.sh", [ztserver, ztagent], timeout: 120)
        #expect(result.status == 0, "\(result.standardOutput)\n\(result.standardError)")
        for check in ["network changes", "last change time", "upstream pool reconnected", "all 160 queries"] {
            #expect(result.standardOutput.contains("ok: ") && result.standardOutput.contains(check), "missing: \(check)\n\(result.standardOutput)")
        }
    }
}
