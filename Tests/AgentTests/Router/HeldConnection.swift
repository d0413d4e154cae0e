#if canImport(Glibc)
import Glibc

/// A plain blocking TCP client socket that stays open while a test looks at the other side
/// (receive timeout 5 s, so a test never hangs on it).
final class HeldConnection {
    let descriptor: Int32

    init(host: String, port: Int) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw HeldConnectionError.system("socket", errno) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr(host)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            close(descriptor)
            throw HeldConnectionError.system("connect", code)
        }
        self.descriptor = descriptor
    }

    deinit { close(self.descriptor) }

    func send(_ bytes: [UInt8]) throws {
        let sent = bytes.withUnsafeBytes { Glibc.send(self.descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw HeldConnectionError.system("send", errno) }
    }

    /// Reads until `count` bytes came, the peer closed (returns what came) or 5 s passed.
    func receive(_ count: Int) -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.count < count {
            let got = buffer.withUnsafeMutableBytes { recv(self.descriptor, $0.baseAddress, $0.count, 0) }
            if got > 0 { received += buffer[0..<got] } else if got < 0 && errno == EINTR { continue } else { break }
        }
        return received
    }

    /// Whether the peer closed: a read returns end of file (or reset) within 5 s.
    func peerClosed() -> Bool {
        var byte: UInt8 = 0
        while true {
            let got = recv(self.descriptor, &byte, 1, 0)
            if got == 0 { return true }
            if got < 0 && errno == EINTR { continue }
            if got < 0 { return errno == ECONNRESET }
            return false
        }
    }
}

enum HeldConnectionError: Error { case system(String, Int32) }
#endif
