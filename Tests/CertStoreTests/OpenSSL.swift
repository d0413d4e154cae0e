import Foundation
import TestSupport

/// Runs the `openssl` command line tool for independent checks of what CertStore writes.
struct OpenSSL {
    /// The outcome of one run.
    struct Result {
        var status: Int32
        var output: String
        var error: String
        var succeeded: Bool { status == 0 }
    }

    static let executable = "/usr/bin/openssl"

    /// Runs `openssl <arguments>` and waits for it.
    static func run(_ arguments: [String]) throws -> Result {
        // posix_spawn and waitpid (TestSupport.ProcessRunner): Foundation.Process sometimes
        // misses a fast child's exit on this toolchain.
        let result = try ProcessRunner.run(executable, arguments)
        return Result(status: result.status, output: result.output, error: result.error)
    }
}
