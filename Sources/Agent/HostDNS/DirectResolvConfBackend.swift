/// Writes /etc/resolv.conf itself: the original is backed up once (a file of ours is never taken
/// as a backup), the new file is written atomically with the ztagent header, and `revert` puts back
/// the original byte for byte, or the symlink it was.
public struct DirectResolvConfBackend: ResolverBackend {
    public let mode = ResolverMode.direct
    /// The file managed (host path).
    public let path: String

    /// Creates the backend for `path` (default /etc/resolv.conf).
    public init(path: String = "/etc/resolv.conf") {
        self.path = path
    }

    public func apply(_ request: DNSApplyRequest, existing: DNSIntegrationState?, context: BackendContext) throws -> DNSIntegrationState {
        guard request.stub.port == 53 else {
            throw HostDNSError.invalidRequest("resolv.conf cannot name a port: the stub must listen on port 53 for mode direct (it is \(request.stub))")
        }
        let environment = context.environment
        let status = environment.status(self.path)
        let current = try environment.readFile(self.path)
        if let kind = status?.kind, kind == .directory || kind == .other {
            throw HostDNSError.invalidRequest("\(self.path) is not a file or symlink: refusing to touch it")
        }
        let currentFile = current.map(ResolvConfFile.init(bytes:))
        let currentIsOurs = status?.kind == .regular && (currentFile?.isOurs ?? false)

        var original: DNSIntegrationState.OriginalFile
        var kept: ResolvConfFile
        if currentIsOurs, let recorded = existing?.direct {
            // Ours, from an earlier apply: the recorded original stays (never back up our own file).
            original = recorded.original
            kept = (try context.store.readBackup()).map(ResolvConfFile.init(bytes:)) ?? (currentFile ?? ResolvConfFile(text: ""))
            if original.kind == "symlink" { kept = currentFile ?? kept }
        } else if currentIsOurs, let ours = currentFile {
            // Ours but the state is gone: rebuild a working original from what our header recorded.
            let rebuilt = Array(ours.reconstructedOriginal().utf8)
            try context.store.writeBackup(rebuilt)
            original = .init(kind: "reconstructed", symlinkTarget: nil, sha256: DNSStateStore.sha256(rebuilt), mode: Self.restorableMode(status?.mode),
                             uid: status?.uid ?? 0, gid: status?.gid ?? 0, nameservers: ours.recordedOriginalNameservers.filter(StubAddress.isNameserverAddress))
            kept = ours
        } else {
            // Foreign content: the first apply, or another program replaced our file since (then its
            // content is the newest truth and becomes the original: NetBird #1399).
            let file = currentFile ?? ResolvConfFile(text: "")
            let upstreams = ResolvConfFile.usableUpstreams(file.nameservers, stub: request.stub)
            switch status?.kind {
            case .symlink?:
                original = .init(kind: "symlink", symlinkTarget: status?.symlinkTarget, sha256: nil, mode: 0o777,
                                 uid: status?.uid ?? 0, gid: status?.gid ?? 0, nameservers: upstreams)
            case .regular?:
                let bytes = current ?? []
                try context.store.writeBackup(bytes)
                original = .init(kind: "regular", symlinkTarget: nil, sha256: DNSStateStore.sha256(bytes), mode: Self.restorableMode(status?.mode),
                                 uid: status?.uid ?? 0, gid: status?.gid ?? 0, nameservers: upstreams)
            default:
                original = .init(kind: "missing", symlinkTarget: nil, sha256: nil, mode: 0o644, uid: 0, gid: 0, nameservers: [])
            }
            kept = file
        }
        try environment.crashPoint("dns-apply:after-backup")

        let text = ResolvConfFile.render(stub: request.stub, keeping: kept, originalNameservers: original.nameservers, backupPath: context.store.backupPath)
        let bytes = Array(text.utf8)
        var state = existing ?? DNSIntegrationState(mode: .direct, request: request, now: context.now)
        state.request = request
        state.phase = .applying
        state.direct = .init(path: self.path, backupPath: context.store.backupPath, original: original, writtenSHA256: DNSStateStore.sha256(bytes))
        try context.store.save(state)
        try environment.crashPoint("dns-apply:after-state")

        let mode = original.kind == "regular" || original.kind == "reconstructed" ? original.mode : 0o644
        try environment.writeFile(self.path, bytes: bytes, mode: mode)
        try environment.crashPoint("dns-apply:after-write")
        state.phase = .applied
        state.appliedAt = context.now
        try context.store.save(state)
        return state
    }

    public func revert(_ state: DNSIntegrationState, context: BackendContext) throws -> [String] {
        guard let direct = state.direct else {
            try context.store.clear()
            return ["nothing was written"]
        }
        let environment = context.environment
        let status = environment.status(self.path)
        let current = try environment.readFile(self.path)
        let isOurs = status?.kind == .regular && (current.map { ResolvConfFile(bytes: $0).isOurs } ?? false)
        var notes: [String] = []
        if isOurs {
            switch direct.original.kind {
            case "symlink":
                guard let target = direct.original.symlinkTarget else {
                    throw HostDNSError.inconsistentState("the original symlink's target is not recorded")
                }
                try environment.writeSymlink(self.path, target: target)
                notes.append("restored \(self.path) -> \(target)")
            case "missing":
                try environment.removeFile(self.path)
                notes.append("removed \(self.path) (there was none before)")
            default:
                guard let backup = try context.store.readBackup() else {
                    throw HostDNSError.inconsistentState("the backup \(direct.backupPath) is missing; \(self.path) left as is")
                }
                guard DNSStateStore.sha256(backup) == direct.original.sha256 else {
                    throw HostDNSError.inconsistentState("the backup \(direct.backupPath) does not match its recorded checksum; \(self.path) left as is")
                }
                try environment.writeFile(self.path, bytes: backup, mode: direct.original.mode)
                notes.append("restored \(self.path) from \(direct.backupPath)")
            }
            try environment.crashPoint("dns-revert:after-restore")
        } else if state.phase == .applying {
            notes.append("\(self.path) was never replaced (interrupted apply); left as is")
        } else {
            notes.append("\(self.path) was replaced by another program after ztagent wrote it; left as is (it is newer than the backup)")
        }
        try context.store.clear()
        return notes
    }

    /// The mode revert may give the file back: never setuid, setgid, sticky or other-writable
    /// (the record refuses those, so one is never recorded).
    static func restorableMode(_ mode: UInt32?) -> UInt32 {
        (mode ?? 0o644) & 0o775
    }

    public func isApplied(_ state: DNSIntegrationState, context: BackendContext) -> Bool {
        guard let direct = state.direct, context.environment.status(self.path)?.kind == .regular,
              let bytes = try? context.environment.readFile(self.path) else { return false }
        return DNSStateStore.sha256(bytes) == direct.writtenSHA256
    }
}
