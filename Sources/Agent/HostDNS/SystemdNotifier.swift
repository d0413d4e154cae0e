#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// sd_notify(3) without libsystemd: one datagram to `$NOTIFY_SOCKET` (a path, or an abstract
/// socket when it starts with `@`). Without `$NOTIFY_SOCKET` (not under systemd) it does nothing.
public struct SystemdNotifier: Sendable {
    /// The socket address, as systemd passed it; nil when not supervised.
    public let socketPath: String?

    /// Reads `$NOTIFY_SOCKET` (or uses `socketPath`, for tests).
    public init(socketPath: String? = nil) {
        if let socketPath {
            self.socketPath = socketPath
        } else if let value = getenv("NOTIFY_SOCKET") {
            let text = String(cString: value)
            self.socketPath = text.isEmpty ? nil : text
        } else {
            self.socketPath = nil
        }
    }

    /// Service startup is finished (`Type=notify` waits for this).
    @discardableResult
    public func ready(status: String? = nil) -> Bool {
        self.send("READY=1" + (status.map { "\nSTATUS=\($0)" } ?? ""))
    }

    /// The service is stopping.
    @discardableResult
    public func stopping() -> Bool { self.send("STOPPING=1") }

    /// A free-form status line (`systemctl status` shows it).
    @discardableResult
    public func status(_ text: String) -> Bool { self.send("STATUS=\(text)") }

    /// Sends `message`; false when not supervised or the send failed (never throws: notification
    /// is best effort and must not stop the agent).
    @discardableResult
    public func send(_ message: String) -> Bool {
        guard let path = self.socketPath, path.utf8.count < 108 else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
        let payload = Array(message.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                payload.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), socketAddress, length) }
            }
        }
        return sent == payload.count
    }
}
