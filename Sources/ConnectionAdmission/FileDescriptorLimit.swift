#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The process's limit on open file descriptors (RLIMIT_NOFILE).
///
/// Each TCP client, each routed or intercepted connection and each upstream connection is a
/// descriptor. Linux starts processes with a soft limit of 1024 (systemd too) under a hard
/// limit that is usually far higher; agent and server raise the soft limit at start, so their
/// own connection caps, not the kernel's default, decide when connections are refused.
public enum FileDescriptorLimit {
    /// The soft and hard limits now, or nil when they cannot be read.
    public static func current() -> (soft: UInt64, hard: UInt64)? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        return (UInt64(limit.rlim_cur), UInt64(limit.rlim_max))
    }

    /// Raises the soft limit to `wanted`, or to the hard limit when that is lower. Never lowers
    /// it. Returns the soft limit in force afterwards (nil when it cannot be read).
    @discardableResult
    public static func raise(to wanted: UInt64) -> UInt64? {
        guard let (soft, hard) = self.current() else { return nil }
        let target = min(wanted, hard)
        guard target > soft else { return soft }
        var limit = rlimit(rlim_cur: rlim_t(target), rlim_max: rlim_t(hard))
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return soft }
        return target
    }
}
