import ArgumentParser
import Foundation
import NIOPosix

struct EnrollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Enroll this host with a one-time token: pin the server's CA, make a key here, get a certificate and a signed config."
    )

    @Option(help: "The token: a file, or - for standard input.")
    var token: String

    @Option(help: "State directory (created 0700).")
    var state: String = "/var/lib/ztagent"

    @Flag(help: "Replace an existing identity.")
    var force = false

    func run() async throws {
        let text: String
        do {
            if self.token == "-" {
                text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            } else {
                text = try String(contentsOfFile: self.token, encoding: .utf8)
            }
        } catch {
            throw ValidationError("cannot read the token from \(self.token): \(error.localizedDescription)")
        }
        let enroller = Enroller(paths: AgentStatePaths(directory: self.state), client: EnrollmentClient(group: MultiThreadedEventLoopGroup.singleton))
        let result = try await enroller.enroll(token: text, force: self.force)
        print("enrolled as \(result.commonName): certificate valid until \(ISO8601DateFormatter().string(from: result.certificateNotAfter)), config version \(result.configVersion), state in \(self.state)")
    }
}
