import ArgumentParser
import Foundation
import Logging
import NIOPosix

struct RenewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "renew",
        abstract: "Renew the certificate now with a new key (the running agent renews by itself; this is for operators)."
    )

    @Option(help: "State directory of the enrolled agent.")
    var state: String = "/var/lib/ztagent"

    func run() async throws {
        let paths = AgentStatePaths(directory: self.state)
        let loaded = try await AgentIdentityManager.load(paths)
        var logger = Logger(label: "ztagent")
        logger.logLevel = .warning
        let manager = try AgentIdentityManager(
            paths: paths, loaded: loaded, client: EnrollmentClient(group: MultiThreadedEventLoopGroup.singleton), logger: logger,
            onIdentityChanged: { _ in }, onConfigChanged: { _ in }
        )
        try await manager.renew()
        let identity = await manager.identity
        print("renewed \(identity.commonName ?? "?"): certificate valid until \(ISO8601DateFormatter().string(from: identity.notValidAfter))")
        // A running agent picks the new identity up on its next renewal or restart; tell it now.
        if let text = try? String(contentsOfFile: paths.pid, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1 {
            _ = kill(pid, SIGHUP)
        }
    }
}
