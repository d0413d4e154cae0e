import CertStore
import Foundation

/// A fresh private temporary directory for one test.
struct Scratch {
    let path: String

    init() throws {
        var base = NSTemporaryDirectory()
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        path = "\(base)/certstore-test-\(UUID().uuidString.lowercased())"
        try SecureDirectory.ensure(path: path)
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    func write(_ text: String, to name: String, mode: mode_t = 0o600) throws -> String {
        let target = file(name)
        try AtomicFile.write(text, to: target, mode: mode)
        return target
    }

    func mode(of name: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: file(name))
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    func entries() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
