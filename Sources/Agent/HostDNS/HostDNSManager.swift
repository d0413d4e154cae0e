#if canImport(Glibc)
import Glibc
#endif

/// `ztagent dns apply | revert | status`, and the agent's start-up reconciliation and re-checks.
///
/// Detection is ``ResolverDetection/detect(_:)``; each mode is one ``ResolverBackend``. The state
/// file is the single source of truth for what was changed: an apply after a crash finishes the
/// interrupted one (never taking a second backup of our own file), and a revert undoes exactly it.
public struct HostDNSManager: Sendable {
    public let environment: any HostEnvironment
    /// Root's integration record (never in the agent's own state directory).
    public private(set) var store: DNSStateStore
    /// The agent's state directory (where records of earlier versions lived; such a record is
    /// ignored: the agent can write it).
    public let agentStateDirectory: String
    /// Re-assertions allowed per ``reassertWindow`` before the agent stops and warns (no edit war).
    public var reassertLimit = 3
    public var reassertWindow: Double = 600

    /// Creates a manager over `environment`. The record lives in `recordDirectory` (root's, see
    /// ``DNSStateStore``); `stateDirectory` is the agent's own, which never holds it. `linkNames`
    /// are the systemd-resolved links a record may name (an apply adds the one it is asked for).
    public init(environment: any HostEnvironment, stateDirectory: String = "/var/lib/ztagent",
                recordDirectory: String = DNSStateStore.rootDirectory, linkNames: Set<String> = ["zt0"]) {
        self.environment = environment
        self.agentStateDirectory = stateDirectory
        self.store = DNSStateStore(environment: environment, directory: recordDirectory, linkNames: linkNames)
    }

    /// A record where earlier versions kept it, in the agent-writable state directory: never read.
    var ignoredLegacyRecord: String? {
        let legacy = "\(self.agentStateDirectory)/dns-state.json"
        guard legacy != self.store.statePath, self.environment.status(legacy) != nil else { return nil }
        return legacy
    }

    /// The backend for `mode`.
    public func backend(for mode: ResolverMode) -> any ResolverBackend {
        switch mode {
        case .direct: return DirectResolvConfBackend()
        case .resolvconf: return ResolvconfBackend()
        case .systemdResolved: return SystemdResolvedBackend()
        case .systemdResolvedDropIn: return ResolvedDropInBackend()
        case .networkManager: return NetworkManagerBackend()
        }
    }

    func context() -> BackendContext {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return BackendContext(environment: self.environment, store: self.store, now: Double(now.tv_sec) + Double(now.tv_nsec) / 1e9)
    }

    /// Detection, with an applied state taking precedence (the host now looks like our own doing).
    public func detect() -> ResolverDetection {
        if let state = try? self.store.load() {
            return ResolverDetection(mode: state.mode, reasons: ["applied by ztagent (\(self.store.statePath))"])
        }
        return ResolverDetection.detect(self.environment)
    }

    /// The outcome of an apply.
    public enum ApplyOutcome: Sendable, Equatable {
        /// The change was made (or an interrupted or overwritten one finished).
        case applied(DNSIntegrationState)
        /// Already in force exactly as asked: nothing was written.
        case unchanged(DNSIntegrationState)
    }

    /// Points the host at the stub. `mode` overrides detection (the operator's choice).
    /// Idempotent: applying twice writes nothing the second time; applying after a crash finishes
    /// the interrupted change with the original backup untouched.
    @discardableResult
    public func apply(_ request: DNSApplyRequest, mode: ResolverMode? = nil) throws -> ApplyOutcome {
        var manager = self
        manager.store.linkNames.insert(request.linkName)
        return try manager.applyAllowingRequestedLink(request, mode: mode)
    }

    func applyAllowingRequestedLink(_ request: DNSApplyRequest, mode: ResolverMode?) throws -> ApplyOutcome {
        let context = self.context()
        if let existing = try self.store.load() {
            let sameMode = mode == nil || mode == existing.mode
            let backend = self.backend(for: existing.mode)
            if sameMode && existing.request == request && existing.phase == .applied && backend.isApplied(existing, context: context) {
                return .unchanged(existing)
            }
            if sameMode && existing.request.linkName == request.linkName {
                return .applied(try backend.apply(request, existing: existing, context: context))
            }
            _ = try backend.revert(existing, context: context)
        }
        let chosen = mode ?? ResolverDetection.detect(self.environment).mode
        if chosen == .networkManager {
            throw HostDNSError.operatorActionRequired(ResolverDetection.networkManagerAdvice)
        }
        guard chosen == .systemdResolved, mode == nil else {
            return .applied(try self.backend(for: chosen).apply(request, existing: nil, context: context))
        }
        do {
            return .applied(try self.backend(for: .systemdResolved).apply(request, existing: nil, context: context))
        } catch let error as HostDNSError {
            guard case .command = error else { throw error }
            // Per link did not work (no link can be made here, the bus refuses per-link calls):
            // undo what it started, then configure resolved through a drop-in and a restart.
            if let partial = try? self.store.load() {
                _ = try? self.backend(for: partial.mode).revert(partial, context: context)
            }
            let state = try ResolvedDropInBackend().apply(request, existing: nil, context: context)
            return .applied(state)
        }
    }

    /// Undoes what the state file records. Without a state file, a resolv.conf of ours (state lost)
    /// is turned back into a working file from the nameservers its header recorded, so the host is
    /// never left pointing at a stub that is not there. Returns notes for the operator.
    @discardableResult
    public func revert() throws -> [String] {
        let context = self.context()
        if let state = try self.store.load() {
            return try self.backend(for: state.mode).revert(state, context: context)
        }
        let path = ResolverDetection.resolvConf
        if self.environment.status(path)?.kind == .regular, let bytes = try self.environment.readFile(path) {
            let file = ResolvConfFile(bytes: bytes)
            if file.isOurs {
                let mode = self.environment.status(path)?.mode ?? 0o644
                try self.environment.writeFile(path, bytes: Array(file.reconstructedOriginal().utf8), mode: mode & 0o755)
                return ["no state file, but \(path) was ours: rebuilt it from the nameservers it recorded"] + self.legacyNotes
            }
        }
        return ["nothing applied"] + self.legacyNotes
    }

    var legacyNotes: [String] {
        self.ignoredLegacyRecord.map { ["ignored \($0): the agent can write there, so root never reads it (remove it once /etc/resolv.conf is checked)"] } ?? []
    }

    /// The integration's status.
    public func status() -> DNSStatusReport {
        let detection = ResolverDetection.detect(self.environment)
        let state: DNSIntegrationState?
        var reasons = detection.reasons
        do {
            state = try self.store.load()
        } catch {
            state = nil
            reasons.append("\(error)")
        }
        let intact = state.map { self.backend(for: $0.mode).isApplied($0, context: self.context()) } ?? false
        return DNSStatusReport(
            detectedMode: detection.mode, reasons: reasons,
            applied: state != nil, appliedMode: state?.mode, intact: intact,
            stub: state.map { $0.request.stub.description }, domains: state?.request.domains ?? [],
            originalNameservers: state?.originalNameservers ?? [],
            interrupted: state?.phase == .applying,
            reassertions: state?.reassertions.count ?? 0,
            advice: detection.advice, statePath: self.store.statePath
        )
    }

    /// The outcome of a re-check.
    public enum CheckOutcome: Sendable, Equatable {
        case notApplied
        case intact
        /// It had been overwritten (or resolved restarted) and was applied again.
        case reasserted
        /// Overwritten too often: left alone, with a warning (no edit war with another manager).
        case gaveUp(String)
    }

    /// Re-checks the integration (the agent calls this at start, on network changes and
    /// periodically): an interrupted or overwritten setup is applied again, at most
    /// ``reassertLimit`` times per ``reassertWindow``.
    public func check() throws -> CheckOutcome {
        let context = self.context()
        guard var state = try self.store.load() else { return .notApplied }
        let backend = self.backend(for: state.mode)
        if state.phase == .applied && backend.isApplied(state, context: context) { return .intact }
        let recent = state.reassertions.filter { context.now - $0 < self.reassertWindow }
        if recent.count >= self.reassertLimit {
            return .gaveUp("the \(state.mode.rawValue) setup was overwritten \(recent.count) times in \(Int(self.reassertWindow)) s; ztagent stopped re-asserting it (another program manages DNS: see `ztagent dns status`)")
        }
        state.reassertions = recent + [context.now]
        try self.store.save(state)
        var applied = try backend.apply(state.request, existing: state, context: context)
        applied.reassertions = state.reassertions
        try self.store.save(applied)
        return .reasserted
    }
}
