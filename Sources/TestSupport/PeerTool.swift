import Foundation

/// Finds independent peer programs (dig, kdig, openssl, dnsmasq). Tests that need one call
/// ``require(_:)``: a missing tool is a loud failure with the fix, never a silent pass.
public enum PeerTool {
    public static func path(_ name: String) -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/sbin:/sbin:/usr/local/bin"
        for directory in directories.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    public static func require(_ name: String) throws -> String {
        guard let path = self.path(name) else { throw PeerToolMissing(name: name) }
        return path
    }
}

/// A peer program a test needs is not installed.
public struct PeerToolMissing: Error, CustomStringConvertible {
    public let name: String
    public var description: String { "\(self.name) is not installed: run scripts/install-deps.sh (the test command does)" }
}
