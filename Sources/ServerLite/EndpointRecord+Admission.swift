import Foundation

extension EndpointRecord {
    /// Whether a certificate with `serial` may act as this endpoint at `now`: the endpoint is
    /// active and the serial is the current one, or the previous one inside its grace window.
    public func admits(serial: String, at now: Date) -> IdentityRefusal? {
        guard self.status == .active else { return .revoked }
        if let current = self.certificateSerial, current == serial { return nil }
        if let previous = self.previousSerial, previous == serial,
           let until = self.previousSerialValidUntil, now < until {
            return nil
        }
        return .staleSerial
    }
}
