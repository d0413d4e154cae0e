import ConnectionAdmission
import Logging

extension ConnectionAdmissionGate {
    /// A gate for one of the server's listeners whose refusals are logged at most a few lines a
    /// second (a flood provokes them at will) and counted by reason.
    static func server(listener: String, limits: ConnectionAdmissionLimits, logger: Logger) -> ConnectionAdmissionGate {
        let notice = RateLimitedNotice("\(listener): connection closed before it was served", perSecond: 5, logger: logger)
        return ConnectionAdmissionGate(listener: listener, limits: limits) { reason, source in
            notice.log(["reason": "\(reason.rawValue)", "why": "\(reason.explanation)", "peer": "\(source)"])
        }
    }
}
