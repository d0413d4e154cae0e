import DNSTransport
import DNSWire
import Foundation
import NIOCore
import NIOPosix
import ServerLite
import StubResolver
import Testing
import TestSupport

@Suite(.serialized) struct StubLiveTests {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    @Test func privateHiddenAndMissingNames() async throws {
        let stack = try await LiveStack.start(group: self.group)
        defer { Task { await stack.stop() } }

        let allowed = try #require(try await stack.client.udp(DNSMessage.query(id: 1, name: dnsName("Db.Corp.Test."), type: .a), to: stack.udp))
        #expect(allowed.header.id == 1)
        #expect(allowed.responseCode == .noError)
        #expect(allowed.questions.first?.name.description == "Db.Corp.Test.")
        #expect(allowed.answers.first?.data == .a(IPv4Address(203, 0, 113, 50)))

        // A zone laptop may not see answers as a name in no zone (the server refuses those:
        // it has no upstream), so the reply does not say the zone exists.
        let hidden = try #require(try await stack.client.udp(DNSMessage.query(id: 2, name: dnsName("x.hidden.test."), type: .a), to: stack.udp))
        let nowhere = try #require(try await stack.client.udp(DNSMessage.query(id: 2, name: dnsName("x.nowhere.test."), type: .a), to: stack.udp))
        #expect(hidden.responseCode == nowhere.responseCode)
        #expect(hidden.header == nowhere.header)
        #expect(hidden.answers.isEmpty && hidden.authorities.isEmpty && nowhere.authorities.isEmpty)  // no SOA that would name the zone
        #expect(hidden.additionals == nowhere.additionals && hidden.edns == nowhere.edns)

        let missing = try #require(try await stack.client.udp(DNSMessage.query(id: 3, name: dnsName("nope.corp.test."), type: .a), to: stack.udp))
        #expect(missing.responseCode == .nameError)
        #expect(missing.authorities.first?.type == .soa)

        let nodata = try #require(try await stack.client.udp(DNSMessage.query(id: 4, name: dnsName("db.corp.test."), type: .aaaa), to: stack.udp))
        #expect(nodata.responseCode == .noError)
        #expect(nodata.answers.isEmpty)
        #expect(nodata.authorities.first?.type == .soa)
    }

    @Test func hundredClientsThousandNamesFewConnections() async throws {
        let stack = try await LiveStack.start(group: self.group)
        defer { Task { await stack.stop() } }
        let before = stack.server.statistics.snapshot().tlsConnectionsAccepted

        let failures = try await withThrowingTaskGroup(of: Int.self) { tasks in
            for clientIndex in 0..<100 {
                tasks.addTask {
                    var wrong = 0
                    for step in 0..<10 {
                        let index = clientIndex * 10 + step
                        let query = DNSMessage.query(id: UInt16(index), name: dnsName("n\(index).corp.test."), type: .a)
                        let answer = try await stack.client.udp(query, to: stack.udp)
                        if answer?.header.id != UInt16(index) || answer?.answers.first?.data != .a(LiveStack.bulkAddress(index)) {
                            wrong += 1
                        }
                    }
                    return wrong
                }
            }
            return try await tasks.reduce(0, +)
        }
        #expect(failures == 0)
        let connections = stack.server.statistics.snapshot().tlsConnectionsAccepted - before
        // The pool keeps 2 connections per server: a handful, not one per query.
        #expect(connections >= 1)
        #expect(connections <= 4)
        #expect(stack.pool.connectionsOpenedCount <= 4)
        #expect(stack.processor.statistics.snapshot().cacheMisses >= 1000)
    }

    @Test func identicalQuestionsInFlightAreCoalesced() async throws {
        let stack = try await LiveStack.start(group: self.group)
        defer { Task { await stack.stop() } }
        let before = stack.server.statistics.snapshot().privateAnswers
        let answers = try await withThrowingTaskGroup(of: DNSMessage?.self) { tasks in
            for index in 0..<50 {
                tasks.addTask {
                    try await stack.client.udp(DNSMessage.query(id: UInt16(index), name: dnsName("n7.corp.test."), type: .a), to: stack.udp)
                }
            }
            return try await tasks.reduce(into: [DNSMessage?]()) { $0.append($1) }
        }
        #expect(answers.count == 50)
        #expect(answers.allSatisfy { $0?.answers.first?.data == .a(LiveStack.bulkAddress(7)) })
        let upstreamQueries = stack.server.statistics.snapshot().privateAnswers - before
        let stats = stack.processor.statistics.snapshot()
        // Each of the 50 went upstream, joined one in flight, or hit the cache; only a few reached the server.
        #expect(upstreamQueries >= 1)
        #expect(upstreamQueries <= 3)
        #expect(stats.coalesced + stats.cacheHits + upstreamQueries >= 50)
    }

    @Test func udpTruncatesAndTCPCarriesAll() async throws {
        let stack = try await LiveStack.start(group: self.group)
        defer { Task { await stack.stop() } }
        let query = DNSMessage.query(id: 9, name: dnsName("big.corp.test."), type: .txt, ednsPayloadSize: 1232)
        let bytes = try #require(try await stack.client.udp(try query.serialized(), to: stack.udp))
        #expect(bytes.count <= 1232)
        let overUDP = try DNSMessage(parsing: bytes)
        #expect(overUDP.header.isTruncated)
        #expect(overUDP.answers.isEmpty)

        // Without EDNS the limit is 512.
        let plain = DNSMessage.query(id: 10, name: dnsName("big.corp.test."), type: .txt, ednsPayloadSize: nil)
        let small = try #require(try await stack.client.udp(try plain.serialized(), to: stack.udp))
        #expect(small.count <= 512)
        #expect(try DNSMessage(parsing: small).header.isTruncated)

        let overTCP = try await stack.client.tcp([query], to: stack.tcp)
        let full = try #require(overTCP.first)
        #expect(!full.header.isTruncated)
        guard case .txt(let strings) = full.answers.first?.data else {
            Issue.record("no TXT over TCP")
            return
        }
        #expect(strings.joined().count == 3000)
    }

    @Test func sixtyKilobyteAnswerCrossesDoT() async throws {
        let stack = try await LiveStack.start(group: self.group)
        defer { Task { await stack.stop() } }
        let answer = try await stack.pool.query(DNSMessage.query(id: 11, name: dnsName("huge.corp.test."), type: .txt), timeout: .seconds(5)).get()
        guard case .txt(let strings) = answer.answers.first?.data else {
            Issue.record("no TXT over DoT")
            return
        }
        #expect(strings.count == 230)
        #expect(strings.allSatisfy { $0.count == 255 })
        #expect(strings[25] == Array(repeating: UInt8(97 + 25), count: 255))
        // And through the stub over TCP, whole.
        let viaStub = try await stack.client.tcp([DNSMessage.query(id: 12, name: dnsName("huge.corp.test."), type: .txt)], to: stack.tcp)
        #expect(try (viaStub.first?.serialized().count ?? 0) > 58_000)
        #expect(viaStub.first?.answers.first?.data == answer.answers.first?.data)
    }

    @Test func tcpPipelinedAnswersMayComeOutOfOrder() async throws {
        let stack = try await LiveStack.start(group: self.group)
        defer { Task { await stack.stop() } }
        // Warm n1 so it is a cache hit; n2 must go upstream.
        _ = try await stack.client.udp(DNSMessage.query(id: 1, name: dnsName("n1.corp.test."), type: .a), to: stack.udp)
        let slow = DNSMessage.query(id: 0x2222, name: dnsName("n2.corp.test."), type: .a)
        let fast = DNSMessage.query(id: 0x1111, name: dnsName("n1.corp.test."), type: .a)
        let answers = try await stack.client.tcp([slow, fast], to: stack.tcp)
        #expect(answers.count == 2)
        #expect(Set(answers.map(\.header.id)) == [0x1111, 0x2222])
        #expect(answers.first?.header.id == 0x1111, "the cache hit is answered before the upstream query")
        for answer in answers {
            let expected = answer.header.id == 0x1111 ? LiveStack.bulkAddress(1) : LiveStack.bulkAddress(2)
            #expect(answer.answers.first?.data == .a(expected))
        }
    }

    @Test func malformedPacketsNeverStopTheStub() async throws {
        let stack = try await LiveStack.start(group: self.group)
        defer { Task { await stack.stop() } }
        var generator = SystemRandomNumberGenerator()
        let seed = try DNSMessage.query(id: 0x4242, name: dnsName("db.corp.test."), type: .a).serialized()
        var packets: [[UInt8]] = []
        for index in 0..<10_000 {
            var packet: [UInt8]
            switch index % 4 {
            case 0:  // random bytes
                packet = (0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            case 1:  // bit flips in a valid query
                packet = seed
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    let position = Int.random(in: 0..<packet.count, using: &generator)
                    packet[position] ^= UInt8(1) << UInt8.random(in: 0...7, using: &generator)
                }
            case 2:  // truncations
                packet = Array(seed.prefix(Int.random(in: 0..<seed.count, using: &generator)))
            default:  // header claiming many records, garbage after
                packet = Array(seed.prefix(12))
                packet[4] = 0xFF; packet[6] = 0xFF; packet[8] = 0xFF; packet[10] = 0xFF
                packet += (0..<Int.random(in: 0...40, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            }
            packet[safe: 2] = (packet[safe: 2] ?? 0) & 0x7F  // keep QR clear most of the time so they get parsed
            packets.append(packet)
        }
        // UDP: fire them all (answers may or may not come back; nothing may crash).
        let sender = try await DatagramBootstrap(group: self.group).bind(host: "127.0.0.1", port: 0).get()
        for packet in packets {
            var buffer = sender.allocator.buffer(capacity: packet.count)
            buffer.writeBytes(packet)
            try await sender.writeAndFlush(AddressedEnvelope(remoteAddress: stack.udp, data: buffer))
        }
        try await sender.close()
        // TCP: the same packets framed on a few connections.
        for chunk in stride(from: 0, to: packets.count, by: 2_500) {
            _ = try? await stack.client.tcp(Array(packets[chunk..<min(chunk + 2_500, packets.count)]), to: stack.tcp, expecting: Int.max, timeout: .milliseconds(1500))
        }
        let stats = stack.processor.statistics.snapshot()
        #expect(stats.formatErrors + stats.droppedMalformed > 1_000)
        // Still answering valid queries, on both transports.
        let afterUDP = try await stack.client.udp(DNSMessage.query(id: 77, name: dnsName("db.corp.test."), type: .a), to: stack.udp)
        #expect(afterUDP?.answers.first?.data == .a(IPv4Address(203, 0, 113, 50)))
        let afterTCP = try await stack.client.tcp([DNSMessage.query(id: 78, name: dnsName("db.corp.test."), type: .a)], to: stack.tcp)
        #expect(afterTCP.first?.answers.first?.data == .a(IPv4Address(203, 0, 113, 50)))
    }

    @Test func malformedQueriesGetFormerrAndNotimp() async throws {
        let stack = try await LiveStack.start(group: self.group)
        defer { Task { await stack.stop() } }
        // Header fine, question cut in half: FORMERR with the same ID.
        let valid = try DNSMessage.query(id: 0xBEEF, name: dnsName("db.corp.test."), type: .a, ednsPayloadSize: nil).serialized()
        let cut = Array(valid.prefix(valid.count - 3))
        let formerr = try DNSMessage(parsing: try #require(try await stack.client.udp(cut, to: stack.udp)))
        #expect(formerr.header.id == 0xBEEF)
        #expect(formerr.responseCode == .formatError)
        // Two questions: FORMERR.
        var two = DNSMessage.query(id: 5, name: dnsName("db.corp.test."), type: .a)
        two.questions.append(DNSQuestion(name: dnsName("n1.corp.test."), type: .a))
        #expect(try await stack.client.udp(two, to: stack.udp)?.responseCode == .formatError)
        // Opcode STATUS (2): NOTIMP.
        var status = DNSMessage.query(id: 6, name: dnsName("db.corp.test."), type: .a)
        status.header.opcode = DNSOpcode(rawValue: 2)
        #expect(try await stack.client.udp(status, to: stack.udp)?.responseCode == .notImplemented)
        // EDNS version 1: BADVERS.
        var future = DNSMessage.query(id: 8, name: dnsName("db.corp.test."), type: .a)
        future.edns?.version = 1
        #expect(try await stack.client.udp(future, to: stack.udp)?.responseCode == .badVersion)
        // A response sent to the stub is dropped, not answered.
        var response = DNSMessage.query(id: 9, name: dnsName("db.corp.test."), type: .a)
        response.header.isResponse = true
        #expect(try await stack.client.udp(try response.serialized(), to: stack.udp, timeout: .milliseconds(300)) == nil)
    }

    @Test func identitySwapDoesNotFailQueriesInFlight() async throws {
        let stack = try await LiveStack.start(group: self.group, timeout: .seconds(5))
        defer { Task { await stack.stop() } }
        let renewed = try stack.fixture.renew(stack.laptop)  // same CN, new key and certificate, the old one in its grace window
        // The enrollment API reloads its server at once after a renewal; here the registry was
        // written directly, so the server is told the same way.
        stack.server.reloadIfChanged()
        let openedBefore = stack.pool.connectionsOpenedCount
        let failures = try await withThrowingTaskGroup(of: Int.self) { tasks in
            for index in 0..<300 {
                tasks.addTask {
                    let answer = try await stack.client.udp(DNSMessage.query(id: UInt16(index), name: dnsName("n\(index).corp.test."), type: .a), to: stack.udp)
                    return answer?.answers.first?.data == .a(LiveStack.bulkAddress(index)) ? 0 : 1
                }
                if index == 150 {
                    try stack.pool.updateTLS(TLSClientSettings(
                        certificateChain: try renewed.identity.nioCertificateChain(),
                        privateKey: try renewed.identity.nioPrivateKey(),
                        trustRoots: try CertStoreBridge.trust(stack.fixture.caPath)
                    ))
                }
            }
            return try await tasks.reduce(0, +)
        }
        #expect(failures == 0)
        #expect(stack.pool.connectionsOpenedCount > openedBefore, "new connections use the new identity")
    }

    @Test func tcpIdleTimeoutAndConnectionCap() async throws {
        let stack = try await LiveStack.start(group: self.group) { configuration in
            configuration.tcpIdleTimeout = .milliseconds(300)
            configuration.maximumTCPConnections = 2
        }
        defer { Task { await stack.stop() } }
        let idle = try await ClientBootstrap(group: self.group).connect(to: stack.tcp).get()
        let second = try await ClientBootstrap(group: self.group).connect(to: stack.tcp).get()
        let third = try await ClientBootstrap(group: self.group).connect(to: stack.tcp).get()
        // The third is over the cap: closed at once.
        try await withTimeout(.seconds(2)) { try await third.closeFuture.get() }
        #expect(stack.processor.statistics.snapshot().tcpConnectionsRefused == 1)
        // The idle ones are closed by the server after the idle timeout.
        try await withTimeout(.seconds(3)) { try await idle.closeFuture.get() }
        try await withTimeout(.seconds(3)) { try await second.closeFuture.get() }
        // And new connections are welcome again.
        let answers = try await stack.client.tcp([DNSMessage.query(id: 3, name: dnsName("db.corp.test."), type: .a)], to: stack.tcp)
        #expect(answers.first?.answers.count == 1)
    }

    @Test("A slowloris client (one byte of a query every 100 ms) is closed by the idle timeout; a client that keeps asking is not")
    func tcpSlowlorisIsClosed() async throws {
        let stack = try await LiveStack.start(group: self.group) { configuration in
            configuration.tcpIdleTimeout = .milliseconds(600)
        }
        defer { Task { await stack.stop() } }
        let slow = try await ClientBootstrap(group: self.group).connect(to: stack.tcp).get()
        let query = try DNSMessage.query(id: 9, name: dnsName("db.corp.test."), type: .a).serialized()
        // A frame that never completes: the length says 0x4000 bytes, one more byte every 100 ms.
        let trickle = Task {
            var bytes: [UInt8] = [0x40, 0x00] + query
            while !bytes.isEmpty, slow.isActive {
                var buffer = slow.allocator.buffer(capacity: 1)
                buffer.writeInteger(bytes.removeFirst())
                try? await slow.writeAndFlush(buffer)
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let started = ContinuousClock.now
        try await withTimeout(.seconds(3)) { try await slow.closeFuture.get() }
        let closedAfter = ContinuousClock.now - started
        trickle.cancel()
        #expect(closedAfter < .milliseconds(1500), "slowloris closed after \(closedAfter)")
        // A client asking every 200 ms outlives several idle timeouts.
        let busy = try await ClientBootstrap(group: self.group).connect(to: stack.tcp).get()
        for index in 0..<10 {
            var buffer = busy.allocator.buffer(capacity: query.count + 2)
            buffer.writeInteger(UInt16(query.count))
            buffer.writeBytes(query)
            try await busy.writeAndFlush(buffer)
            try await Task.sleep(for: .milliseconds(200))
            #expect(busy.isActive, "a busy connection was closed after \(index + 1) queries")
        }
        try? await busy.close()
    }

    @Test func nonLoopbackListenNeedsPermission() async throws {
        let configuration = StubConfiguration(listenAddresses: [try SocketAddress(ipAddress: "0.0.0.0", port: 0)])
        let processor = StubQueryProcessor(upstream: PlainDNSUpstream(servers: [], group: self.group), cache: DNSCache(), configuration: configuration)
        let stub = StubServer(configuration: configuration, processor: processor, group: self.group)
        await #expect(throws: StubServerError.self) { try await stub.start() }
        #expect(StubServer.isLoopback(try SocketAddress(ipAddress: "127.0.0.53", port: 53)))
        #expect(StubServer.isLoopback(try SocketAddress(ipAddress: "::1", port: 53)))
        #expect(!StubServer.isLoopback(try SocketAddress(ipAddress: "192.0.2.1", port: 53)))
    }
}

extension Array {
    subscript(safe index: Int) -> Element? {
        get { self.indices.contains(index) ? self[index] : nil }
        set { if let newValue, self.indices.contains(index) { self[index] = newValue } }
    }
}

/// Fails when `body` does not finish within `limit`.
func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { tasks in
        tasks.addTask { try await body() }
        tasks.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        guard let first = try await tasks.next(), let value = first else {
            tasks.cancelAll()
            throw TimeoutError()
        }
        tasks.cancelAll()
        return value
    }
}

struct TimeoutError: Error {}
