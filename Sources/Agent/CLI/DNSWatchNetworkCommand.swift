import ArgumentParser
import Foundation

/// `ztagent dns watch-network`: print the network changes the agent reacts to (netlink, debounced).
struct DNSWatchNetworkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch-network",
        abstract: "Print link, address and route changes as the agent sees them (one line per debounced batch)."
    )

    @Option(parsing: .unconditional, help: "Stop after this many seconds (positive; default: until interrupted).")
    var seconds: Double?

    @Option(parsing: .unconditional, help: "Debounce window in milliseconds (0-60000).")
    var debounce: Int = 200

    func run() throws {
        if let seconds = self.seconds, !(seconds > 0 && seconds.isFinite) {
            throw AgentCommandLineError.invalidValue(
                option: "--seconds", value: String(format: "%g", seconds),
                requirement: "must be a positive number of seconds (leave it out to watch until interrupted)"
            )
        }
        guard (0...60_000).contains(self.debounce) else {
            throw AgentCommandLineError.invalidValue(option: "--debounce", value: "\(self.debounce)", requirement: "must be 0 to 60000 milliseconds")
        }
        #if canImport(CNetlink)
        let monitor = NetworkChangeMonitor(debounceMilliseconds: self.debounce) { batch in
            print("network change: " + batch.map(\.description).joined(separator: ", "))
            fflushStandardOutput()
        }
        do {
            try monitor.start()
        } catch {
            printDNSError("ztagent dns watch-network: \(error)")
            throw ExitCode.failure
        }
        print("watching network changes")
        fflushStandardOutput()
        let deadline = self.seconds.map { Date().addingTimeInterval($0) } ?? .distantFuture
        while Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        monitor.stop()
        let statistics = monitor.statistics
        print("changes=\(statistics.changes) batches=\(statistics.batches)")
        fflushStandardOutput()
        #else
        printDNSError("ztagent dns watch-network: built without libnl (the CNetlink target)")
        throw ExitCode.failure
        #endif
    }
}
