import Foundation
@testable import Agent

/// An in-memory host: files, symlinks, programs, processes and a systemd-resolved double.
final class InMemoryHost: HostEnvironment, @unchecked Sendable {
    enum Node: Equatable {
        case file([UInt8], mode: UInt32)
        case symlink(String)
        case directory
    }

    private let lock = NSLock()
    private var nodes: [String: Node] = ["/": .directory]
    private var executables: Set<String> = []
    private var processes: Set<String> = []
    /// Owners (uid) and permission bits other than the default (root, 0755 for directories).
    private var owners: [String: UInt32] = [:]
    private var directoryModes: [String: UInt32] = [:]
    /// The user the code under test acts as (0: root, as `dns apply` runs under systemd).
    var effectiveUserID: UInt32 = 0
    /// Commands run, with their standard input.
    private(set) var commands: [(String, [String], String?)] = []
    /// Answers a command; default: exit 0, empty output.
    var commandHandler: (@Sendable (String, [String], String?) -> CommandResult)?
    /// A crash point that throws `simulatedCrash` once.
    var crashAt: String?
    /// Paths whose next write fails.
    var failingWrites: Set<String> = []
    let bus = FakeResolvedBus()
    var resolved: any ResolvedBus { self.bus }

    init() {}

    // MARK: setup

    func setFile(_ path: String, _ text: String, mode: UInt32 = 0o644) {
        self.lock.withLock { self.nodes[path] = .file(Array(text.utf8), mode: mode) }
    }

    func setSymlink(_ path: String, to target: String) {
        self.lock.withLock { self.nodes[path] = .symlink(target) }
    }

    /// Gives `path` to `uid` (a file the agent, not root, wrote).
    func setOwner(_ path: String, uid: UInt32) {
        self.lock.withLock { self.owners[path] = uid }
    }

    func setDirectory(_ path: String, mode: UInt32 = 0o755, uid: UInt32 = 0) {
        self.lock.withLock {
            self.nodes[path] = .directory
            self.directoryModes[path] = mode
            self.owners[path] = uid
        }
    }

    func addExecutable(_ path: String) {
        self.lock.withLock {
            self.executables.insert(path)
            self.nodes[path] = .file(Array("#!/bin/sh\n".utf8), mode: 0o755)
        }
    }

    func setProcessRunning(_ name: String) {
        self.lock.withLock { _ = self.processes.insert(name) }
    }

    func node(_ path: String) -> Node? { self.lock.withLock { self.nodes[path] } }

    func text(_ path: String) -> String? {
        guard let bytes = try? self.readFile(path) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    var commandLines: [String] { self.lock.withLock { self.commands.map { ([$0.0] + $0.1).joined(separator: " ") } } }

    /// Every node, for before/after comparisons.
    var snapshot: [String: Node] { self.lock.withLock { self.nodes } }

    // MARK: HostEnvironment

    private func resolve(_ path: String) -> String {
        var current = path
        for _ in 0..<16 {
            guard case .symlink(let target)? = self.nodes[current] else { return current }
            if target.hasPrefix("/") {
                current = target
            } else {
                let directory = current.split(separator: "/").dropLast().joined(separator: "/")
                current = LocalHostEnvironment.normalize("/" + directory + "/" + target)
            }
        }
        return current
    }

    func status(_ path: String) -> HostFileStatus? {
        self.lock.withLock {
            let uid = self.owners[path] ?? 0
            switch self.nodes[path] {
            case .file(_, let mode)?: return HostFileStatus(kind: .regular, mode: mode, uid: uid)
            case .symlink(let target)?: return HostFileStatus(kind: .symlink, mode: 0o777, uid: uid, symlinkTarget: target)
            case .directory?: return HostFileStatus(kind: .directory, mode: self.directoryModes[path] ?? 0o755, uid: uid)
            case nil: return nil
            }
        }
    }

    func readFile(_ path: String) throws -> [UInt8]? {
        try self.lock.withLock {
            switch self.nodes[self.resolve(path)] {
            case .file(let bytes, _)?: return bytes
            case .directory?: throw HostDNSError.io(path: path, reason: "is a directory")
            default: return nil
            }
        }
    }

    func writeFile(_ path: String, bytes: [UInt8], mode: UInt32) throws {
        try self.lock.withLock {
            if self.failingWrites.remove(path) != nil { throw HostDNSError.io(path: path, reason: "simulated write failure (disk full)") }
            self.nodes[path] = .file(bytes, mode: mode)
        }
    }

    func writeSymlink(_ path: String, target: String) throws {
        self.lock.withLock { self.nodes[path] = .symlink(target) }
    }

    func removeFile(_ path: String) throws {
        self.lock.withLock { _ = self.nodes.removeValue(forKey: path) }
    }

    func createDirectory(_ path: String, mode: UInt32) throws {
        self.lock.withLock { if self.nodes[path] == nil { self.nodes[path] = .directory } }
    }

    func isExecutable(_ path: String) -> Bool {
        self.lock.withLock { self.executables.contains(self.resolve(path)) || self.executables.contains(path) }
    }

    func run(_ executable: String, _ arguments: [String], input: String?) throws -> CommandResult {
        let handler = self.lock.withLock { () -> (@Sendable (String, [String], String?) -> CommandResult)? in
            self.commands.append((executable, arguments, input))
            return self.commandHandler
        }
        return handler?(executable, arguments, input) ?? CommandResult(status: 0)
    }

    func isProcessRunning(_ name: String) -> Bool {
        self.lock.withLock { self.processes.contains(name) }
    }

    func crashPoint(_ name: String) throws {
        let crash = self.lock.withLock { () -> Bool in
            if self.crashAt == name { self.crashAt = nil; return true }
            return false
        }
        if crash { throw HostDNSError.simulatedCrash(name) }
    }
}

/// systemd-resolved's link API in memory.
final class FakeResolvedBus: ResolvedBus, @unchecked Sendable {
    private let lock = NSLock()
    var available = false
    private(set) var links: [Int32: ResolvedLinkSettings] = [:]
    private(set) var calls: [String] = []

    func isAvailable() -> Bool { self.lock.withLock { self.available } }

    func linkSettings(ifindex: Int32) throws -> ResolvedLinkSettings {
        self.lock.withLock { self.links[ifindex] ?? ResolvedLinkSettings() }
    }

    func preset(ifindex: Int32, _ settings: ResolvedLinkSettings) {
        self.lock.withLock { self.links[ifindex] = settings }
    }

    func setLinkDNS(ifindex: Int32, servers: [ResolvedDNSServer]) throws {
        self.lock.withLock {
            self.calls.append("SetLinkDNSEx \(ifindex) " + servers.map { "\($0.address.map(String.init).joined(separator: ".")):\($0.port)" }.joined(separator: " "))
            self.links[ifindex, default: ResolvedLinkSettings()].servers = servers
        }
    }

    func setLinkDomains(ifindex: Int32, domains: [ResolvedDomain]) throws {
        self.lock.withLock {
            self.calls.append("SetLinkDomains \(ifindex) " + domains.map { ($0.routingOnly ? "~" : "") + $0.name }.joined(separator: " "))
            self.links[ifindex, default: ResolvedLinkSettings()].domains = domains
        }
    }

    func setLinkDefaultRoute(ifindex: Int32, enabled: Bool) throws {
        self.lock.withLock {
            self.calls.append("SetLinkDefaultRoute \(ifindex) \(enabled)")
            self.links[ifindex, default: ResolvedLinkSettings()].defaultRoute = enabled
        }
    }

    func revertLink(ifindex: Int32) throws {
        self.lock.withLock {
            self.calls.append("RevertLink \(ifindex)")
            self.links[ifindex] = nil
        }
    }

    /// resolved restarted: every per-link setting made over the bus is gone.
    func restart() {
        self.lock.withLock { self.links = [:] }
    }
}
