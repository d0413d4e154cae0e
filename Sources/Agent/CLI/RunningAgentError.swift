#if canImport(Glibc)
import Glibc
#endif

/// Why a command that talks to the running agent through its pid file could not reach it. One
/// line naming the file or the process; the cause is kept.
enum RunningAgentError: Error, CustomStringConvertible {
    /// No pid file, or one that cannot be read: no enrolled agent is running there.
    case noPidFile(path: String, cause: any Error)
    /// The pid file does not hold a process id.
    case invalidPidFile(path: String, content: String)
    /// `kill` failed (`errno`): the process is gone or belongs to someone else.
    case cannotSignal(pid: Int32, path: String, errno: Int32)

    var description: String {
        switch self {
        case .noPidFile(let path, let cause):
            return "no running agent: cannot read \(path) (\(ErrorSummary.line(cause)))"
        case .invalidPidFile(let path, let content):
            return "no running agent: \(path) does not hold a process id (\(content.isEmpty ? "empty" : "'\(content.prefix(40))'"))"
        case .cannotSignal(let pid, let path, let code):
            let why = code == ESRCH ? "no such process: the agent is not running (stale \(path))" : String(cString: strerror(code))
            return "cannot signal the agent (pid \(pid) from \(path)): \(why)"
        }
    }
}
