import ArgumentParser
import ConnectionAdmission
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

struct AgentRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the stub until SIGTERM or SIGINT.")

    @Option(help: "Agent configuration file (JSON).")
    var config: String?

    @Option(help: "State directory of an enrolled agent (instead of --config; the two cannot be combined).")
    var state: String?

    @Option(help: "Override the listen addresses (IP:PORT, repeatable).")
    var listen: [String] = []

    @Option(help: "Serve Prometheus metrics on this loopback IP:PORT.")
    var metricsListen: String?

    @Flag(help: "Allow listening on non-loopback addresses.")
    var allowNonLoopback = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        if self.state != nil, self.config != nil {
            throw AgentCommandLineError.exclusiveOptions(
                first: "--state", second: "--config",
                advice: "give the state directory alone, or put \"state\" in the configuration file"
            )
        }
        let level = self.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "ztagent")
        // Room for the stub's TCP connection cap (16,384) and everything else the agent opens.
        let descriptors = FileDescriptorLimit.raise(to: 65_536)
        logger.debug("file descriptor limit", metadata: ["soft": "\(descriptors.map { "\($0)" } ?? "unknown")"])
        var configuration: AgentConfiguration
        if let state = self.state {
            configuration = AgentConfiguration(state: state)
        } else {
            configuration = try AgentConfiguration.load(path: self.config ?? "/etc/ztagent/agent.json")
        }
        if !self.listen.isEmpty { configuration.listen = self.listen }
        if self.allowNonLoopback { configuration.allowNonLoopback = true }
        if let metricsListen = self.metricsListen { configuration.metricsListen = metricsListen }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.threads ?? System.coreCount)
        let agent = try await ZTAgent(configuration: configuration, group: group, logger: logger)
        let services = ServiceGroup(configuration: .init(
            services: [.init(service: agent)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        try await services.run()
        try await group.shutdownGracefully()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
