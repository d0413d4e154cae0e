import Foundation

/// Loads the captured packets in `Golden/` (see `Golden/capture.py` and `Golden/manifest.tsv`).
enum GoldenPackets {
    /// The directory holding the golden files inside the test bundle.
    static var directory: URL {
        guard let url = Bundle.module.url(forResource: "Golden", withExtension: nil) else {
            fatalError("Golden resources missing from the test bundle")
        }
        return url
    }

    /// The bytes of `Golden/NAME.bin`, e.g. `load("dig-a.query")`.
    static func load(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name + ".bin")))
    }

    /// Every golden packet name (without `.bin`), sorted.
    static func allNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".bin") }
            .map { String($0.dropLast(4)) }
            .sorted()
    }
}
