import CSockDiag
import Glibc

/// Who opened a local TCP connection: asks the kernel (netlink NETLINK_SOCK_DIAG,
/// SOCK_DIAG_BY_FAMILY with an inet_diag_req_v2 naming the exact 4-tuple) for the socket's
/// owner UID. For the intercept the socket asked about is the *client's*: its source is our
/// accepted channel's remote address, its destination our local address.
///
/// ``owner(source:destination:)`` blocks for at most ``timeout``; callers run it off the event
/// loop (``InterceptOwnerCheck`` uses NIO's thread pool).
public struct SocketOwnerLookup: Sendable {
    /// One end of an IPv4 TCP connection (address in host order).
    public struct Endpoint: Sendable, Hashable {
        public var address: UInt32
        public var port: UInt16
        public init(address: UInt32, port: UInt16) {
            self.address = address
            self.port = port
        }
    }

    /// How long to wait for the kernel's reply.
    public var timeout: Duration

    public init(timeout: Duration = .milliseconds(500)) {
        self.timeout = timeout
    }

    /// The UID owning the TCP socket whose local end is `source` and remote end `destination`.
    public func owner(source: Endpoint, destination: Endpoint) throws(SocketOwnerLookupError) -> UInt32 {
        let descriptor = socket(AF_NETLINK, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_SOCK_DIAG)
        guard descriptor >= 0 else { throw .system(call: "socket(AF_NETLINK)", errno: errno) }
        defer { close(descriptor) }
        let (seconds, attoseconds) = self.timeout.components
        var limit = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        guard setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
            throw .system(call: "setsockopt(SO_RCVTIMEO)", errno: errno)
        }
        let sequence = UInt32.random(in: 1...UInt32.max)
        let request = Self.request(source: source, destination: destination, sequence: sequence)
        var kernel = sockaddr_nl()
        kernel.nl_family = sa_family_t(AF_NETLINK)
        let sent = request.withUnsafeBytes { bytes in
            withUnsafePointer(to: &kernel) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_nl>.size))
                }
            }
        }
        guard sent == request.count else { throw .system(call: "sendto(netlink)", errno: errno) }
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let received = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if received < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK { throw .timedOut }
                throw .system(call: "recv(netlink)", errno: code)
            }
            let reply = Array(buffer[0..<received])
            // A reply to another request (none should come on a fresh socket) is skipped.
            if Self.sequence(of: reply) != sequence { continue }
            return try Self.ownerUID(reply, sequence: sequence)
        }
    }

    /// The netlink message asking for the one socket `source` -> `destination` (states: any).
    public static func request(source: Endpoint, destination: Endpoint, sequence: UInt32) -> [UInt8] {
        var diag = inet_diag_req_v2()
        diag.sdiag_family = UInt8(AF_INET)
        diag.sdiag_protocol = UInt8(IPPROTO_TCP)
        diag.idiag_ext = 0
        diag.idiag_states = UInt32.max
        diag.id.idiag_sport = source.port.bigEndian
        diag.id.idiag_dport = destination.port.bigEndian
        diag.id.idiag_src.0 = source.address.bigEndian
        diag.id.idiag_dst.0 = destination.address.bigEndian
        diag.id.idiag_cookie = (UInt32.max, UInt32.max)  // INET_DIAG_NOCOOKIE
        var header = nlmsghdr()
        header.nlmsg_len = UInt32(MemoryLayout<nlmsghdr>.size + MemoryLayout<inet_diag_req_v2>.size)
        header.nlmsg_type = UInt16(SOCK_DIAG_BY_FAMILY)
        header.nlmsg_flags = UInt16(NLM_F_REQUEST)
        header.nlmsg_seq = sequence
        header.nlmsg_pid = 0
        return withUnsafeBytes(of: header) { Array($0) } + withUnsafeBytes(of: diag) { Array($0) }
    }

    /// The sequence number of a netlink reply (nil when shorter than a header).
    static func sequence(of reply: [UInt8]) -> UInt32? {
        guard reply.count >= MemoryLayout<nlmsghdr>.size else { return nil }
        return Self.load(UInt32.self, reply, MemoryLayout<nlmsghdr>.offset(of: \.nlmsg_seq) ?? 8)
    }

    /// The owner UID from the kernel's reply to ``request(source:destination:sequence:)``.
    public static func ownerUID(_ reply: [UInt8], sequence: UInt32) throws(SocketOwnerLookupError) -> UInt32 {
        let headerSize = MemoryLayout<nlmsghdr>.size
        guard reply.count >= headerSize else { throw .malformedReply("\(reply.count) bytes, shorter than a netlink header") }
        let length = Int(Self.load(UInt32.self, reply, 0))
        let type = Self.load(UInt16.self, reply, MemoryLayout<nlmsghdr>.offset(of: \.nlmsg_type) ?? 4)
        guard length >= headerSize, length <= reply.count else { throw .malformedReply("netlink length \(length) of \(reply.count) bytes") }
        guard Self.sequence(of: reply) == sequence else { throw .malformedReply("sequence is not ours") }
        if type == UInt16(NLMSG_ERROR) {
            guard length >= headerSize + 4 else { throw .malformedReply("short NLMSG_ERROR") }
            throw .kernelError(errno: -Self.load(Int32.self, reply, headerSize))
        }
        guard type == UInt16(SOCK_DIAG_BY_FAMILY) else { throw .malformedReply("message type \(type)") }
        guard length >= headerSize + MemoryLayout<inet_diag_msg>.size else { throw .malformedReply("short inet_diag_msg") }
        guard reply[headerSize] == UInt8(AF_INET) else { throw .malformedReply("family \(reply[headerSize])") }
        let uidOffset = MemoryLayout<inet_diag_msg>.offset(of: \.idiag_uid) ?? 64
        return Self.load(UInt32.self, reply, headerSize + uidOffset)
    }

    private static func load<T: FixedWidthInteger>(_: T.Type, _ bytes: [UInt8], _ offset: Int) -> T {
        bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
    }
}
