import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
import TestSupport

extension EndToEnd {
    /// The binaries refuse unsafe or wrong input with a message an operator can act on.
    @Suite("Hygiene: refusals with clear messages")
    struct Hygiene {
        @Test("ztagent refuses a private key readable by others, naming the file")
        func agentRefusesWorldReadableKey() async throws {
            try await TestScope.run { scope in
                let fixture = try ServerFixture()
                scope.adopt(directory: fixture.directory)
                let laptop = try fixture.issue("laptop-1")
                let work = try scope.temporaryDirectory("hygiene-key")
                let config = try writeAgentConfig(
                    in: work, certificate: laptop.certificatePath, key: laptop.keyPath, ca: fixture.caPath, serverPorts: [853]
                )

                // Control: with the key at 0600 the same configuration starts.
                let good = try await scope.startAgent(config: config)
                await good.process.terminate()

                #expect(chmod(laptop.keyPath, 0o644) == 0)
                let agent = try scope.start(try Peers.ztagent(), ["run", "--config", config])
                let status = try await agent.waitForExit(timeout: 15)
                #expect(status != 0, "ztagent started with a 0644 key: \(agent.standardOutput) \(agent.standardError)")
                #expect(!agent.standardOutput.contains("listening"), "\(agent.standardOutput)")
                #expect(agent.standardError.contains(laptop.keyPath), "the message must name the key file: \(agent.standardError)")
                #expect(agent.standardError.contains("644") || agent.standardError.lowercased().contains("permission"), "\(agent.standardError)")
            }
        }

        @Test("ztagent refuses a non-loopback listen address unless asked")
        func agentRefusesNonLoopbackListen() async throws {
            try await TestScope.run { scope in
                let fixture = try ServerFixture()
                scope.adopt(directory: fixture.directory)
                let laptop = try fixture.issue("laptop-1")
                let work = try scope.temporaryDirectory("hygiene-listen")
                let config = try writeAgentConfig(
                    in: work, certificate: laptop.certificatePath, key: laptop.keyPath, ca: fixture.caPath, serverPorts: [853]
                )
                let agent = try scope.start(try Peers.ztagent(), ["run", "--config", config, "--listen", "192.0.2.1:5300"])
                let status = try await agent.waitForExit(timeout: 15)
                #expect(status != 0, "ztagent accepted 192.0.2.1: \(agent.standardOutput) \(agent.standardError)")
                #expect(!agent.standardOutput.contains("listening"), "\(agent.standardOutput)")
                #expect(agent.standardError.contains("192.0.2.1"), "the message must name the address: \(agent.standardError)")
                #expect(agent.standardError.contains("non-loopback"), "the message must say why: \(agent.standardError)")
                #expect(agent.standardError.contains("--allow-non-loopback"), "the message must say how to allow it: \(agent.standardError)")
            }
        }

        @Test("ztagent refuses to start on a UDP port another program already holds (known bug)")
        func agentRefusesBusyUDPPort() async throws {
            try await TestScope.run { scope in
                let fixture = try ServerFixture()
                scope.adopt(directory: fixture.directory)
                let laptop = try fixture.issue("laptop-1")
                let work = try scope.temporaryDirectory("hygiene-busy")
                let config = try writeAgentConfig(
                    in: work, certificate: laptop.certificatePath, key: laptop.keyPath, ca: fixture.caPath, serverPorts: [853]
                )
                // Another program's DNS socket: UDP only, with SO_REUSEADDR (as many servers set).
                let port = try Ports.free()
                let holder = try Ports.bindSocket(type: Int32(SOCK_DGRAM.rawValue), port: port, reuseAddress: true)
                defer { close(holder.descriptor) }

                let agent = try scope.start(try Peers.ztagent(), ["run", "--config", config, "--listen", "127.0.0.1:\(port)"])
                let deadline = Date().addingTimeInterval(5)
                while agent.isRunning && Date() < deadline && !agent.standardOutput.contains("listening") {
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await Task.sleep(for: .milliseconds(200))
                let refused = !agent.isRunning
                // The stub must refuse a port another program holds, not share its datagrams.
                #expect(refused, "ztagent started on 127.0.0.1:\(port) (UDP held by another socket): \(agent.standardOutput)")
                #expect(agent.standardError.contains("cannot listen"), "\(agent.standardError.suffix(1000))")
            }
        }

        @Test("ztserver zone add with a bad record fails clearly and leaves the zones unchanged")
        func zoneAddRejectsBadRecord() async throws {
            try await TestScope.run { scope in
                let work = try scope.temporaryDirectory("hygiene-zone")
                let state = "\(work)/state"
                let ztserver = try Peers.ztserver()
                try await ztserverCLI(["init", "--state", state, "--server-name", "ztserver.test", "--router-address", "203.0.113.50"])
                try await ztserverCLI(["zone", "add", "internal.corp", "--state", state, "--record", "db A 198.51.100.7", "--allow", "laptop-1"])
                let before = try await ztserverCLI(["zone", "list", "--state", state])

                let cases: [(arguments: [String], mustMention: [String])] = [
                    (["zone", "add", "other.corp", "--state", state, "--record", "db A 999.1.1.1"], ["999.1.1.1", "IPv4"]),
                    (["zone", "add", "other.corp", "--state", state, "--record", "ok A 198.51.100.8", "--record", "db MX ten mail"], ["MX ten mail", "not a number"]),
                    (["zone", "add", "other.corp", "--state", state, "--record", "db BOGUS 1"], ["BOGUS"]),
                    (["zone", "add", "internal.corp", "--state", state], ["already exists"]),
                ]
                for (arguments, mustMention) in cases {
                    let result = try await runTool(ztserver, arguments)
                    let command = arguments.joined(separator: " ")
                    #expect(result.status != 0, "\(command) succeeded: \(result.stdout)")
                    #expect(!result.stdout.contains("added"), "\(command): \(result.stdout)")
                    for word in mustMention {
                        #expect(result.stderr.contains(word), "\(command): message should mention '\(word)': \(result.stderr)")
                    }
                    let after = try await ztserverCLI(["zone", "list", "--state", state])
                    #expect(after == before, "\(command) changed the zones")
                }
                let listing = try await ztserverCLI(["zone", "list", "--state", state])
                #expect(!listing.contains("other.corp"), "\(listing)")
                #expect(listing.contains("internal.corp"), "\(listing)")
                // No temporary files left beside the state.
                let leftovers = try FileManager.default.contentsOfDirectory(atPath: state).filter { $0.hasPrefix(".") || $0.contains("tmp") }
                #expect(leftovers.isEmpty, "leftover files: \(leftovers)")
            }
        }
    }
}
