import Logging
import NIOConcurrencyHelpers
import NIOCore
import ZTProtocol

#if canImport(Glibc)
import Glibc
#endif

/// The router's side of reverse tunnels: which service agent holds a control connection for
/// which reverse route, and the dial-backs it was asked for and has not answered yet.
final class ReverseTunnelHub: Sendable {
    private struct Pending {
        var route: String
        var commonName: String
        var promise: EventLoopPromise<Channel>
        var timeout: Scheduled<Void>?
        var control: ObjectIdentifier
    }

    private struct Control {
        var commonName: String
        var channel: Channel
    }

    private let controls = NIOLockedValueBox<[String: Control]>([:])
    private let pending = NIOLockedValueBox<[String: Pending]>([:])
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// Registers `channel` as the control connection for `route`, held by `commonName`. A newer
    /// control connection for the same route replaces an older one.
    func serve(route: String, commonName: String, channel: Channel) {
        self.controls.withLockedValue { $0[route] = Control(commonName: commonName, channel: channel) }
        channel.closeFuture.whenComplete { _ in
            self.controls.withLockedValue { table in
                for (name, control) in table where control.channel === channel { table.removeValue(forKey: name) }
            }
            // Dial-backs asked on this connection will never come.
            let orphaned = self.pending.withLockedValue { table -> [Pending] in
                let ids = table.filter { $0.value.control == ObjectIdentifier(channel) }.map(\.key)
                return ids.compactMap { table.removeValue(forKey: $0) }
            }
            for entry in orphaned {
                entry.timeout?.cancel()
                entry.promise.fail(ReverseTunnelError.noServiceAgent(entry.route))
            }
        }
    }

    /// Route names with a control connection now.
    var servedRoutes: [String] { self.controls.withLockedValue { Array($0.keys) } }

    /// Asks the service agent to dial back for a client of `route`; the future holds the data
    /// connection (autoRead off) once the agent sent `ACCEPT`.
    func dial(_ route: RouteDefinition, on loop: EventLoop, timeout: TimeAmount) -> EventLoopFuture<Channel> {
        guard let control = self.controls.withLockedValue({ $0[route.name] }), control.commonName == route.serviceCommonName else {
            return loop.makeFailedFuture(ReverseTunnelError.noServiceAgent(route.name))
        }
        let id = Self.makeIdentifier()
        let promise = loop.makePromise(of: Channel.self)
        let timer = loop.scheduleTask(in: timeout) { [self] in
            if let expired = self.pending.withLockedValue({ $0.removeValue(forKey: id) }) {
                expired.promise.fail(ReverseTunnelError.timedOut(route.name))
            }
        }
        self.pending.withLockedValue { $0[id] = Pending(route: route.name, commonName: control.commonName, promise: promise, timeout: timer, control: ObjectIdentifier(control.channel)) }
        control.channel.writeAndFlush(Self.line("DIAL \(id) \(route.name)"), promise: nil)
        return promise.futureResult
    }

    /// A data connection from `commonName` said `ACCEPT id`: true when it matched a dial-back
    /// that CN was asked for (the channel then belongs to the waiting client).
    func accept(id: String, commonName: String, channel: Channel) -> Bool {
        let match = self.pending.withLockedValue { table -> Pending? in
            guard let entry = table[id], entry.commonName == commonName else { return nil }
            table.removeValue(forKey: id)
            return entry
        }
        guard let match else { return false }
        match.timeout?.cancel()
        match.promise.succeed(channel)
        return true
    }

    /// The service agent said `FAIL id`: its backend could not be reached.
    func failed(id: String, commonName: String) {
        let match = self.pending.withLockedValue { table -> Pending? in
            guard let entry = table[id], entry.commonName == commonName else { return nil }
            table.removeValue(forKey: id)
            return entry
        }
        guard let match else { return }
        match.timeout?.cancel()
        match.promise.fail(ReverseTunnelError.backendUnreachable(match.route))
    }

    static func line(_ text: String) -> ByteBuffer {
        ByteBuffer(string: text + "\n")
    }

    /// 128 random bits, hex.
    private static func makeIdentifier() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            let digits = Array("0123456789abcdef")
            return "\(digits[Int(byte >> 4)])\(digits[Int(byte & 0x0F)])"
        }.joined()
    }
}

/// Why a reverse dial-back did not happen.
enum ReverseTunnelError: Error, CustomStringConvertible {
    case noServiceAgent(String)
    case timedOut(String)
    case backendUnreachable(String)

    var description: String {
        switch self {
        case .noServiceAgent(let route): return "no service agent holds a reverse tunnel for \(route)"
        case .timedOut(let route): return "the service agent did not dial back for \(route) in time"
        case .backendUnreachable(let route): return "the service agent could not reach the backend of \(route)"
        }
    }
}
