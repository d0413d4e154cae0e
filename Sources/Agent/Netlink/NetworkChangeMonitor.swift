#if canImport(CNetlink)
import CNetlink
import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// Watches link, address and route changes through libnl-3 (NETLINK_ROUTE) on its own thread and
/// delivers them in debounced batches: the first change arms a timer, changes arriving before it
/// fires join the batch, and the handler gets each distinct change once.
///
/// The agent resets its upstream connections and re-checks the resolver integration per batch.
public final class NetworkChangeMonitor: Sendable {
    /// Why the monitor could not start.
    public struct StartError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Counters for `ztagent status`.
    public struct Statistics: Sendable, Hashable {
        /// Changes received (before deduplication).
        public var changes: Int = 0
        /// Batches delivered.
        public var batches: Int = 0
        /// Seconds since 1970 of the last delivered batch.
        public var lastChange: Double?
    }

    private struct State {
        var running = false
        var pending: [NetworkChange] = []
        var deadline: Double?
        var statistics = Statistics()
    }

    private let debounceSeconds: Double
    private let handler: @Sendable ([NetworkChange]) -> Void
    private let state = NIOLockedValueBox(State())
    private let stopped = NIOLockedValueBox(false)

    /// Creates a monitor; `handler` runs on the monitor's thread, once per batch.
    public init(debounceMilliseconds: Int = 200, handler: @escaping @Sendable ([NetworkChange]) -> Void) {
        self.debounceSeconds = Double(debounceMilliseconds) / 1000
        self.handler = handler
    }

    /// The counters so far.
    public var statistics: Statistics { self.state.withLockedValue { $0.statistics } }

    /// Opens the netlink socket (in the caller's network namespace), subscribes to the link,
    /// address and route groups, and starts the watching thread.
    public func start() throws {
        guard let socket = nl_socket_alloc() else { throw StartError(description: "nl_socket_alloc failed") }
        nl_socket_disable_seq_check(socket)
        let box = Unmanaged.passRetained(CallbackBox(self))
        let callback: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> Int32 = { message, argument in
            guard let message, let argument else { return Int32(NL_OK.rawValue) }
            let monitor = Unmanaged<CallbackBox>.fromOpaque(argument).takeUnretainedValue().monitor
            if let change = NetworkChangeMonitor.parse(message) { monitor?.record(change) }
            return Int32(NL_OK.rawValue)
        }
        nl_socket_modify_cb(socket, NL_CB_VALID, NL_CB_CUSTOM, callback, box.toOpaque())
        var result = nl_connect(socket, NETLINK_ROUTE)
        if result == 0 {
            for group in [RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE] {
                result = nl_socket_add_membership(socket, Int32(group.rawValue))
                if result != 0 { break }
            }
        }
        if result == 0 { result = nl_socket_set_nonblocking(socket) }
        guard result == 0 else {
            let reason = String(cString: nl_geterror(result))
            nl_socket_free(socket)
            box.release()
            throw StartError(description: "netlink: \(reason)")
        }
        self.state.withLockedValue { $0.running = true }
        let handle = SocketHandle(socket: socket, box: box)
        let thread = Thread { [self] in self.loop(handle) }
        thread.name = "ztagent-netlink"
        thread.start()
    }

    /// Stops the thread (within ~100 ms) and closes the socket.
    public func stop() {
        self.state.withLockedValue { $0.running = false }
    }

    private func loop(_ handle: SocketHandle) {
        defer {
            nl_socket_free(handle.socket)
            handle.box.release()
        }
        let fd = nl_socket_get_fd(handle.socket)
        while self.state.withLockedValue({ $0.running }) {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 50)
            if ready > 0 {
                _ = nl_recvmsgs_default(handle.socket)
            }
            self.deliverIfDue()
        }
    }

    private func record(_ change: NetworkChange) {
        let now = Self.now()
        self.state.withLockedValue { state in
            state.pending.append(change)
            state.statistics.changes += 1
            if state.deadline == nil { state.deadline = now + self.debounceSeconds }
        }
    }

    private func deliverIfDue() {
        let now = Self.now()
        let batch: [NetworkChange]? = self.state.withLockedValue { state in
            guard let deadline = state.deadline, now >= deadline else { return nil }
            var seen = Set<NetworkChange>()
            let batch = state.pending.filter { seen.insert($0).inserted }
            state.pending = []
            state.deadline = nil
            state.statistics.batches += 1
            state.statistics.lastChange = now
            return batch
        }
        if let batch, !batch.isEmpty { self.handler(batch) }
    }

    static func now() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Reads one rtnetlink message (link, address or route; others are ignored).
    static func parse(_ message: OpaquePointer) -> NetworkChange? {
        guard let header = nlmsg_hdr(message) else { return nil }
        let type = Int32(header.pointee.nlmsg_type)
        guard let payload = nlmsg_data(header) else { return nil }
        switch type {
        case Int32(RTM_NEWLINK), Int32(RTM_DELLINK):
            let info = payload.assumingMemoryBound(to: ifinfomsg.self).pointee
            var name: String?
            if let attribute = nlmsg_find_attr(header, Int32(MemoryLayout<ifinfomsg>.size), Int32(IFLA_IFNAME)), let text = nla_get_string(attribute) {
                name = String(cString: text)
            }
            return NetworkChange(kind: .link, added: type == Int32(RTM_NEWLINK), interfaceIndex: info.ifi_index, interfaceName: name)
        case Int32(RTM_NEWADDR), Int32(RTM_DELADDR):
            let info = payload.assumingMemoryBound(to: ifaddrmsg.self).pointee
            let index = Int32(bitPattern: info.ifa_index)
            return NetworkChange(kind: .address, added: type == Int32(RTM_NEWADDR), interfaceIndex: index, interfaceName: Self.name(of: index))
        case Int32(RTM_NEWROUTE), Int32(RTM_DELROUTE):
            var index: Int32 = 0
            if let attribute = nlmsg_find_attr(header, Int32(MemoryLayout<rtmsg>.size), Int32(RTA_OIF.rawValue)) {
                index = Int32(bitPattern: nla_get_u32(attribute))
            }
            return NetworkChange(kind: .route, added: type == Int32(RTM_NEWROUTE), interfaceIndex: index, interfaceName: index == 0 ? nil : Self.name(of: index))
        default:
            return nil
        }
    }

    static func name(of index: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
        guard if_indextoname(UInt32(bitPattern: index), &buffer) != nil else { return nil }
        return String(cString: buffer)
    }
}

/// The monitor, weakly, as the C callback's argument.
private final class CallbackBox: @unchecked Sendable {
    weak var monitor: NetworkChangeMonitor?
    init(_ monitor: NetworkChangeMonitor) { self.monitor = monitor }
}

/// The socket and callback box, handed to the watching thread.
private struct SocketHandle: @unchecked Sendable {
    let socket: OpaquePointer
    let box: Unmanaged<CallbackBox>
}
#endif
