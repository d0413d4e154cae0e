import Agent
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServerLite
import Testing
import TestSupport
import ZTProtocol

#if canImport(Glibc)
import Glibc
#endif

/// The intercept's owner check for real: a connection from this process (root) and one from a
/// child running as nobody (setpriv + python3), through the real kernel's sock_diag, a real
/// router and an echo backend. The refused one is closed before one byte reaches the tunnel.
@Suite("Intercept owner check: only listed local users are tunnelled", .serialized)
struct InterceptOwnerCheckTests {
    static let name = "echo.svc.test"

    /// What python3 running as nobody saw: "received=N closed=yes|no".
    static func connectAsNobody(host: String, port: Int) throws -> String {
        let script = """
        import socket
        s = socket.create_connection(("\(host)", \(port)), timeout=2)
        try:
            s.sendall(b"from-nobody")
            got = b""
            closed = "no"
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    closed = "yes"
                    break
                got += chunk
        except ConnectionResetError:
            closed = "yes"
        except socket.timeout:
            pass
        print("received=%d closed=%s" % (len(got), closed))
        """
        let result = try ProcessRunner.run("/usr/bin/setpriv", [
            "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", "/usr/bin/python3", "-c", script,
        ])
        guard result.status == 0 else { throw OwnerTestError.child("python3 as nobody exited \(result.status): \(result.error)") }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    enum OwnerTestError: Error { case child(String) }

    /// One policy, two connections (root from here, nobody from a child): which were carried.
    func run(policy: InterceptOwnerPolicy) async throws -> (root: [UInt8], nobody: String, lab: RouterLab, statistics: InterceptStatistics.Counts, cleanup: () async -> Void) {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let backend = try await TestBackend.echo(group: group)
        let backendPort = try #require(backend.localAddress?.port)
        let lab = try await RouterLab(group: group) { owner in
            RouteDefinition(name: "echo", serviceCommonName: owner, host: "127.0.0.1", port: backendPort, domains: [Self.name])
        }
        let book = InterceptAddressBook(pool: lab.pool, path: nil)
        var logger = Logger(label: "test.intercept")
        logger.logLevel = ProcessInfo.processInfo.environment["ZT_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        let intercept = InterceptListeners(
            book: book, dialer: try lab.dialer(for: lab.allowed), group: group,
            ownerCheck: InterceptOwnerCheck(policy: policy), logger: logger
        )
        await intercept.apply([ServiceGrant(name: "svc", domains: [Self.name], ports: [lab.port])])
        let address = try book.address(for: Self.name).description

        let root: [UInt8]
        do {
            let connection = try HeldConnection(host: address, port: lab.port)
            try connection.send(Array("from-root".utf8))
            root = connection.receive(9)
        }  // closed here: the router counts a connection's bytes when it ends
        let nobody = try Self.connectAsNobody(host: address, port: lab.port)
        _ = await eventually(5) { intercept.statistics.current.open == 0 && lab.server.router.statistics.openConnections == 0 }
        let statistics = intercept.statistics.current
        return (root, nobody, lab, statistics, {
            await intercept.stop()
            await lab.stop()
            try? await backend.close()
            try? await group.shutdownGracefully()
        })
    }

    @Test("allowUsers [root]: root's connection is carried, nobody's closed with nothing sent to the router")
    func onlyListedUserIsCarried() async throws {
        guard geteuid() == 0 else {
            print("SKIP onlyListedUserIsCarried: needs root to run a client as nobody (CI runs as root)")
            return
        }
        let policy = try #require(try InterceptOwnerPolicy(InterceptSettings(allowUsers: ["root"])))
        #expect(policy.users == [0])
        let outcome = try await self.run(policy: policy)
        #expect(outcome.root == Array("from-root".utf8), "root's connection was not carried")
        #expect(outcome.nobody == "received=0 closed=yes", "nobody: \(outcome.nobody)")
        #expect(outcome.statistics.accepted == 2)
        #expect(outcome.statistics.ownerRefusals == 1)
        #expect(outcome.statistics.ownerUnknown == 0)
        let echo = outcome.lab.server.router.statistics.services["echo"]
        #expect(echo?.connections == 1, "the router saw \(echo?.connections ?? 0) connections")
        #expect(echo?.bytesFromClients == 9, "bytes reached the tunnel from the refused user: \(echo?.bytesFromClients ?? 0)")
        await outcome.cleanup()
    }

    @Test("allowGroups [nogroup]: nobody (primary group nogroup) is carried, root is not")
    func listedGroupIsCarried() async throws {
        guard geteuid() == 0 else {
            print("SKIP listedGroupIsCarried: needs root to run a client as nobody (CI runs as root)")
            return
        }
        let policy = try #require(try InterceptOwnerPolicy(InterceptSettings(allowGroups: ["nogroup"])))
        #expect(policy.groups == [65534] && policy.users.isEmpty)
        let outcome = try await self.run(policy: policy)
        #expect(outcome.root.isEmpty, "root is not in nogroup, yet was carried: \(outcome.root.count) bytes")
        #expect(outcome.nobody == "received=11 closed=no", "nobody: \(outcome.nobody)")
        #expect(outcome.statistics.ownerRefusals == 1)
        let echo = outcome.lab.server.router.statistics.services["echo"]
        #expect(echo?.bytesFromClients == 11, "the router got \(echo?.bytesFromClients ?? 0) bytes")
        await outcome.cleanup()
    }

    @Test("unset lists: no owner check (everyone carried, today's behaviour); unknown names refuse the config")
    func policyFromSettings() throws {
        #expect(try InterceptOwnerPolicy(InterceptSettings()) == nil)
        #expect(try InterceptOwnerPolicy(InterceptSettings(allowUsers: ["0", "nobody"], allowGroups: ["nogroup", "4242"]))
            == InterceptOwnerPolicy(users: [0, 65534], groups: [65534, 4242]))
        #expect(throws: AgentError.self) { try InterceptOwnerPolicy(InterceptSettings(allowUsers: ["no-such-user-zt"])) }
        #expect(throws: AgentError.self) { try InterceptOwnerPolicy(InterceptSettings(allowGroups: ["no-such-group-zt"])) }
        let decoded = try JSONDecoder().decode(AgentConfiguration.self, from: Data(#"{"state": "/var/lib/ztagent", "intercept": {"allowUsers": ["root"], "allowGroups": ["nogroup"]}}"#.utf8))
        #expect(decoded.intercept.allowUsers == ["root"] && decoded.intercept.allowGroups == ["nogroup"])
        let bad = try JSONDecoder().decode(AgentConfiguration.self, from: Data(#"{"state": "/var/lib/ztagent", "intercept": {"allowUsers": ["no-such-user-zt"]}}"#.utf8))
        #expect(throws: AgentError.self) { try bad.validate() }
        #expect(InterceptOwnerPolicy(users: [], groups: [65534]).admits(uid: 65534), "nobody's primary group is nogroup")
        #expect(!InterceptOwnerPolicy(users: [], groups: [65534]).admits(uid: 0))
    }
}
