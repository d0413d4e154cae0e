import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A peer program (dnsmasq, say) run for the length of a test: started with posix_spawn,
/// stopped with a signal and reaped with waitpid. (Foundation.Process sometimes misses the exit
/// of a child on this toolchain and then waits forever.)
public final class BackgroundProcess: @unchecked Sendable {
    public let pid: pid_t
    private var reaped = false

    public init(_ executable: String, _ arguments: [String]) throws {
        var pid: pid_t = 0
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let result = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard result == 0 else { throw PeerToolMissing(name: "\(executable) (posix_spawn failed: \(result))") }
        self.pid = pid
    }

    /// Sends SIGTERM, then SIGKILL after a second, and reaps the child.
    public func stop() {
        guard !self.reaped else { return }
        kill(self.pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<100 {
            if waitpid(self.pid, &status, WNOHANG) == self.pid {
                self.reaped = true
                return
            }
            usleep(10_000)
        }
        kill(self.pid, SIGKILL)
        _ = waitpid(self.pid, &status, 0)
        self.reaped = true
    }

    deinit { self.stop() }
}
