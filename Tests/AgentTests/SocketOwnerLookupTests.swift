import Agent
import Foundation
import Testing

/// The sock_diag request the owner check sends and the kernel's replies it reads, against bytes
/// captured from a real kernel (Linux 6.x, x86_64) with an independent client (Python's
/// AF_NETLINK socket): the client socket 127.0.0.1:45801 -> 127.0.0.1:35195, opened by
/// uid 65534; then a lookup of a 4-tuple no socket has (127.0.0.1:1 -> 127.0.0.1:2).
@Suite("sock_diag owner lookup: encoding and parsing")
struct SocketOwnerLookupTests {
    static let loopback: UInt32 = 0x7F00_0001
    static let request = "4800000014000100070000000000000002060000ffffffffb2e9897b7f0000010000000000000000000000007f00000100000000000000000000000000000000ffffffffffffffff"
    static let reply = "7c0000001400000007000000324e000002010000b2e9897b7f0000010000000000000000000000007f000001000000000000000000000000000000000100000000000000000000000000000000000000feff0000ed4c0300050008000000000008000f00000000000c00150001000000000000000600160052000000"
    static let notFoundRequest = "4800000014000100080000000000000002060000ffffffff000100027f0000010000000000000000000000007f00000100000000000000000000000000000000ffffffffffffffff"
    static let notFoundReply = "5c0000000200000008000000324e0000feffffff4800000014000100080000000000000002060000ffffffff000100027f0000010000000000000000000000007f00000100000000000000000000000000000000ffffffffffffffff"

    static func bytes(_ hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return result
    }

    @Test("the request for the exact 4-tuple is byte for byte what the independent client sent")
    func requestEncoding() {
        let encoded = SocketOwnerLookup.request(
            source: .init(address: Self.loopback, port: 45801), destination: .init(address: Self.loopback, port: 35195), sequence: 7
        )
        #expect(encoded == Self.bytes(Self.request))
        let notFound = SocketOwnerLookup.request(source: .init(address: Self.loopback, port: 1), destination: .init(address: Self.loopback, port: 2), sequence: 8)
        #expect(notFound == Self.bytes(Self.notFoundRequest))
    }

    @Test("the kernel's inet_diag_msg gives uid 65534; its NLMSG_ERROR gives ENOENT")
    func replyParsing() throws {
        #expect(try SocketOwnerLookup.ownerUID(Self.bytes(Self.reply), sequence: 7) == 65534)
        #expect(throws: SocketOwnerLookupError.kernelError(errno: ENOENT)) { try SocketOwnerLookup.ownerUID(Self.bytes(Self.notFoundReply), sequence: 8) }
    }

    @Test("short, truncated, foreign or wrong-family replies are errors, never a UID")
    func malformedReplies() {
        let reply = Self.bytes(Self.reply)
        for bad in [Array(reply.prefix(10)), Array(reply.prefix(40)), [UInt8](repeating: 0, count: 16)] {
            #expect(throws: SocketOwnerLookupError.self) { try SocketOwnerLookup.ownerUID(bad, sequence: 7) }
        }
        #expect(throws: SocketOwnerLookupError.self) { try SocketOwnerLookup.ownerUID(reply, sequence: 8) }  // not our sequence
        var wrongFamily = reply
        wrongFamily[16] = 10  // AF_INET6
        #expect(throws: SocketOwnerLookupError.self) { try SocketOwnerLookup.ownerUID(wrongFamily, sequence: 7) }
        var overlong = reply
        overlong[0] = 0xFF  // length beyond the bytes
        #expect(throws: SocketOwnerLookupError.self) { try SocketOwnerLookup.ownerUID(overlong, sequence: 7) }
    }

    @Test("live: the kernel names this process's own client socket as ours (geteuid)")
    func liveLookupOfOwnSocket() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        #expect(listen(listener, 1) == 0)
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        #expect(withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, length) } } == 0)
        var local = sockaddr_in()
        _ = withUnsafeMutablePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(client, $0, &length) } }
        let owner = try SocketOwnerLookup().owner(
            source: .init(address: Self.loopback, port: UInt16(bigEndian: local.sin_port)),
            destination: .init(address: Self.loopback, port: UInt16(bigEndian: address.sin_port))
        )
        #expect(owner == geteuid())
        #expect(throws: SocketOwnerLookupError.kernelError(errno: ENOENT)) {
            try SocketOwnerLookup().owner(source: .init(address: Self.loopback, port: 1), destination: .init(address: Self.loopback, port: 2))
        }
    }
}
