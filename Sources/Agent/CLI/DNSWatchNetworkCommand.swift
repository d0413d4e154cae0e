import ArgumentParser
import Foundation

/// `ztagent dns watch-network`: print the network changes the agent reacts to (netlink, debounced).
struct DNSWatchNetworkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch-network",
        abstract: "Print link, address and route changes as the agent sees them (one line per debounced batch)."
    )

    @Option(help: "Stop after this many seconds (0: until interrupted).")
    var seconds: Double = 0

    @Option(help: "Debounce window in milliseconds.")
    var debounce: Int = 200

    func run() throws {
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
        let deadline = Date().addingTimeInterval(self.seconds > 0 ? self.seconds : .infinity)
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
