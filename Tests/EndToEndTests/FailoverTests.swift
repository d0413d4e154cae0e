import Foundation
import NIOConcurrencyHelpers
import Testing
import TestSupport

extension EndToEnd {
    /// Two ztserver processes on one state directory; the agent prefers the first. Kill the
    /// first mid-traffic, then the second.
    @Suite("Upstream killed mid-run")
    struct Failover {
        static let names: [(name: String, address: String)] = (0..<8).map { ("h\($0).internal.corp", "198.51.100.\(10 + $0)") }

        @Test("SIGKILL of the preferred server: answers continue from the second; of both: stale answers and SERVFAIL, promptly")
        func upstreamKilled() async throws {
            try await TestScope.run { scope in
                let fixture = try ServerFixture { $0.privateTTL = 1 }
                scope.adopt(directory: fixture.directory)
                let laptop = try fixture.issue("laptop-1")
                var records = Self.names.map { "\($0.name.split(separator: ".")[0]) A \($0.address)" }
                records += ["late A 198.51.100.200", "never A 198.51.100.201"]
                try fixture.administration.addZone("internal.corp", records: records, allow: ["laptop-1"], serviceCommonName: nil)

                // Debug logs: each server logs "endpoint connected" when the agent connects.
                let first = try await scope.startServer(state: fixture.paths.directory, extraArguments: ["--log-level", "debug"])
                let second = try await scope.startServer(state: fixture.paths.directory, extraArguments: ["--log-level", "debug"])
                let work = try scope.temporaryDirectory("failover")
                let config = try writeAgentConfig(
                    in: work, certificate: laptop.certificatePath, key: laptop.keyPath, ca: fixture.caPath,
                    serverPorts: [first.dotPort, second.dotPort], upstreamTimeoutSeconds: 1
                )
                let agent = try await scope.startAgent(config: config)

                // Warm the cache (TTL 1 s: these expire almost at once, but stay for serve-stale).
                for (name, address) in Self.names {
                    let result = try await Dig.query(name, server: agent.udpPort)
                    #expect(result.responseCode == "NOERROR" && result.answers.map(\.data) == [address], "warm \(name): \(result)")
                    #expect(result.answers.first.map { $0.ttl <= 1 } == true, "private TTL should be 1: \(result)")
                }

                // Continuous traffic, UDP and TCP alternating, while the first server is killed.
                let log = NIOLockedValueBox<[(at: Date, name: String, address: String, result: DigResult)]>([])
                let stop = NIOLockedValueBox(false)
                let traffic = Task {
                    var index = 0
                    while !stop.withLockedValue({ $0 }) {
                        let (name, address) = Self.names[index % Self.names.count]
                        let options = index % 2 == 0 ? [] : ["+tcp"]
                        let result = try await Dig.query(name, server: agent.port(options), options: options)
                        log.withLockedValue { $0.append((Date(), name, address, result)) }
                        index += 1
                    }
                }
                try await Task.sleep(for: .seconds(1.5))
                // The agent prefers the first server: it is the one serving, the second is idle.
                #expect(first.process.standardError.contains("endpoint connected"), "first server never saw the agent: \(first.process.standardError.suffix(2000))")
                #expect(!second.process.standardError.contains("endpoint connected"), "the agent used the second server while the first was up: \(second.process.standardError.suffix(2000))")
                let killedAt = Date()
                await first.process.terminate(signal: SIGKILL)
                #expect(!first.process.isRunning)
                try await Task.sleep(for: .seconds(4))

                // A name nobody asked before can only come from the second server now.
                let late = try await Dig.query("late.internal.corp", server: agent.udpPort)
                #expect(late.responseCode == "NOERROR" && late.answers.map(\.data) == ["198.51.100.200"], "late (second server only): \(late)")
                #expect(late.answers.first.map { $0.ttl <= 1 } == true, "late must be a fresh answer: \(late)")
                #expect(late.duration < 2.5, "late: \(late)")

                stop.withLockedValue { $0 = true }
                try await traffic.value
                let entries = log.withLockedValue { $0 }
                let before = entries.filter { $0.at < killedAt }
                let after = entries.filter { $0.at >= killedAt }
                let staleCount = after.filter { $0.result.answers.first?.ttl == 30 }.count
                let slowest = entries.map(\.result.duration).max() ?? 0
                print("failover traffic: \(before.count) queries before the kill, \(after.count) after (\(staleCount) served stale), slowest \(String(format: "%.3f", slowest)) s")
                #expect(before.count >= 5, "too little traffic before the kill: \(before.count)")
                #expect(after.count >= 10, "too little traffic after the kill: \(after.count)")
                for entry in entries {
                    #expect(entry.result.responseCode == "NOERROR", "\(entry.name): \(entry.result)")
                    #expect(entry.result.answers.map(\.data) == [entry.address], "\(entry.name): \(entry.result)")
                    #expect(entry.result.duration < 2.5, "\(entry.name) took \(entry.result.duration) s: \(entry.result)")
                }
                // Once the pool has moved to the second server (give it 2 s), answers are fresh
                // again (TTL <= 1) rather than stale (TTL 30): the second server is really serving.
                let settled = after.filter { $0.at > killedAt.addingTimeInterval(2) }
                #expect(!settled.isEmpty)
                for entry in settled {
                    #expect(entry.result.answers.first.map { $0.ttl <= 1 } == true, "\(entry.name) not fresh 2 s after failover: \(entry.result)")
                }
                #expect(second.process.isRunning)
                #expect(second.process.standardError.contains("endpoint connected"), "the second server never saw the agent: \(second.process.standardError.suffix(2000))")

                // Now the second server dies too. Wait past the 1 s TTL of everything cached.
                await second.process.terminate(signal: SIGKILL)
                try await Task.sleep(for: .seconds(2))

                for (index, (name, address)) in Self.names.enumerated() {
                    let options = index % 2 == 0 ? [] : ["+tcp"]
                    let stale = try await Dig.query(name, server: agent.port(options), options: options)
                    #expect(stale.responseCode == "NOERROR", "stale \(name): \(stale)")
                    #expect(stale.answers.map(\.data) == [address], "stale \(name): \(stale)")
                    #expect(stale.answers.first?.ttl == 30, "stale \(name) should carry TTL 30: \(stale)")
                    #expect(stale.duration < 2.5, "stale \(name) took \(stale.duration) s")
                }
                for options in [[], ["+tcp"]] as [[String]] {
                    let neverSeen = try await Dig.query("never.internal.corp", server: agent.port(options), options: options)
                    #expect(neverSeen.responseCode == "SERVFAIL", "never-seen name with no server: \(neverSeen)")
                    #expect(neverSeen.answers.isEmpty, "\(neverSeen)")
                    #expect(neverSeen.duration < 2.5, "SERVFAIL took \(neverSeen.duration) s")
                }
                #expect(agent.process.isRunning, "the agent survives losing every server")
            }
        }
    }
}
