import Foundation

/// Loads the real ClientHellos in `Captures/` (made by `Captures/capture.py`).
enum CaptureFiles {
    /// The directory holding the captures inside the test bundle.
    static var directory: URL {
        guard let url = Bundle.module.url(forResource: "Captures", withExtension: nil) else {
            fatalError("Captures resources missing from the test bundle")
        }
        return url
    }

    /// The bytes of `Captures/NAME.bin`, e.g. `load("curl-https")`.
    static func load(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name + ".bin")))
    }

    /// Every capture name (without `.bin`), sorted.
    static func allNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".bin") }
            .map { String($0.dropLast(4)) }
            .sorted()
    }
}
