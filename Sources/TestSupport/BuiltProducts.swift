import Foundation

/// Where `swift build` put the project's executables: beside the test bundle.
public enum BuiltProducts {
    /// The directory holding the test bundle (and, after `swift build`, ztagent and ztserver).
    public static var directory: String {
        if let override = ProcessInfo.processInfo.environment["ZTAGENT_BIN_DIR"] { return override }
        var url = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").standardizedFileURL
        // .../debug/ztagentPackageTests.xctest (a file on Linux) -> .../debug
        while url.pathComponents.count > 1 && !FileManager.default.fileExists(atPath: url.deletingLastPathComponent().appendingPathComponent("ztserver").path) {
            url = url.deletingLastPathComponent()
            if url.path == "/" { break }
        }
        return url.deletingLastPathComponent().path
    }

    /// The path of a built executable; throws with the fix when it was not built.
    public static func executable(_ name: String) throws -> String {
        let path = "\(self.directory)/\(name)"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw PeerToolMissing(name: "\(name) (expected at \(path); run 'swift build' before 'swift test', as scripts/test.sh does)")
        }
        return path
    }
}
