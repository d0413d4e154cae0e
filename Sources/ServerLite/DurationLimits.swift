/// The ranges every duration the operator sets must lie in, checked where it is parsed (CLI
/// flags and server.json) so an absurd value is refused with its name instead of overflowing
/// later (certificate dates beyond what X.509 and Int64 hold, timers that never fire).
public enum DurationLimits {
    /// Endpoint certificate lifetime: one minute to ten years.
    public static let certificateLifetime: ClosedRange<Int> = 60...315_360_000
    /// Enrollment token lifetime: one second to one year.
    public static let tokenLifetime: ClosedRange<Int> = 1...31_536_000
    /// Signed config lifetime: five minutes to ten years.
    public static let configLifetime: ClosedRange<Int> = 300...315_360_000
    /// How often agents fetch their config: one second to thirty days.
    public static let configRefresh: ClosedRange<Int> = 1...2_592_000
    /// Idle timeouts of DoT connections and tunnels: one second to seven days.
    public static let idleTimeout: ClosedRange<Int> = 1...604_800
    /// Timeouts of one upstream query or one backend connect, in seconds.
    public static let operationTimeout: ClosedRange<Double> = 0.001...300

    /// Refuses `value` outside `range`, naming the setting.
    public static func check(_ value: Int, in range: ClosedRange<Int>, name: String) throws {
        guard range.contains(value) else {
            throw AdministrationError.invalid("\(name) must be between \(range.lowerBound) and \(range.upperBound) seconds (got \(value))")
        }
    }

    /// Refuses `value` outside `range` (or not a number), naming the setting.
    public static func check(_ value: Double, in range: ClosedRange<Double>, name: String) throws {
        guard value.isFinite, range.contains(value) else {
            throw AdministrationError.invalid("\(name) must be between \(range.lowerBound) and \(range.upperBound) seconds (got \(value))")
        }
    }
}
