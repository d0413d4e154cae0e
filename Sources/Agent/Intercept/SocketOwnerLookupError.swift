/// Why the kernel could not say who owns a loopback connection.
public enum SocketOwnerLookupError: Error, Sendable, Equatable {
    /// A system call failed (`errno` kept).
    case system(call: String, errno: Int32)
    /// No answer within the timeout.
    case timedOut
    /// The kernel has no such socket (the client went away): NLMSG_ERROR with this errno.
    case kernelError(errno: Int32)
    /// The reply was not an inet_diag message for our request.
    case malformedReply(String)
    /// Only IPv4 connections are intercepted.
    case notIPv4
    /// The thread pool that runs the query is not running (the agent is stopping).
    case threadPoolUnavailable
}
