import ArgumentParser
import ConnectionAdmission
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the server until SIGTERM or SIGINT.")

    @OptionGroup var state: StateOptions

    @Option(help: "Override the DoT listen address (IP:PORT).")
    var dotListen: String?

    @Option(help: "Override the enrollment API listen address (IP:PORT).")
    var apiListen: String?

    @Option(help: "Override the router's tunnel listen address (IP:PORT).")
    var tunnelListen: String?

    @Option(help: "Serve the router's SNI passthrough listener on IP:PORT.")
    var passthroughListen: String?

    @Option(help: "Serve Prometheus metrics on this loopback IP:PORT.")
    var metricsListen: String?

    @Option(help: "Also serve plain DNS (UDP+TCP) on IP:PORT, without identity (for tests; repeatable).")
    var plainListen: [String] = []

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        let level = self.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "ztserver")
        // Every DoT, tunnel, API and backend connection is a descriptor: the listeners' own caps,
        // not the kernel's default soft limit of 1024, decide when connections are refused.
        let descriptors = FileDescriptorLimit.raise(to: 65_536)
        logger.info("file descriptor limit", metadata: ["soft": "\(descriptors.map { "\($0)" } ?? "unknown")"])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let dotListen = self.dotListen
        let plainListen = self.plainListen
        let apiListen = self.apiListen
        let metricsListen = self.metricsListen
        let tunnelListen = self.tunnelListen
        let passthroughListen = self.passthroughListen
        let server = try await ZTServer(paths: self.state.paths, group: group, logger: logger) { configuration in
            if let dotListen { configuration.dotListen = dotListen }
            if let apiListen { configuration.apiListen = apiListen }
            if let metricsListen { configuration.metricsListen = metricsListen }
            if let tunnelListen { configuration.tunnelListen = tunnelListen }
            if let passthroughListen { configuration.passthroughListen = passthroughListen }
            configuration.plainListen += plainListen
        }
        let services = ServiceGroup(configuration: .init(
            services: [.init(service: server)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        try await services.run()
        try await group.shutdownGracefully()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
