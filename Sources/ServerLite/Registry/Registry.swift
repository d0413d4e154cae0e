import Foundation
import GRDB

/// The server's registry: an SQLite database (GRDB, WAL) in the state directory holding
/// endpoints, one-time enrollment tokens, zones, routes and the config version.
///
/// Every change is one transaction and bumps `state_version`, which the running server polls
/// to pick up changes made by the CLI (another process) within a fraction of a second.
public final class Registry: Sendable {
    private let database: DatabasePool

    /// Opens (creating and migrating when needed) the registry at `path`. The file is 0600.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        let existed = FileManager.default.fileExists(atPath: path)
        do {
            self.database = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw RegistryError.unavailable(path: path, reason: "\(error)")
        }
        if !existed { chmod(path, 0o600) }
        try Self.migrator.migrate(self.database)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE endpoints (
                    common_name TEXT PRIMARY KEY NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('client', 'service')),
                    status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
                    certificate_serial TEXT,
                    certificate_not_after DOUBLE,
                    created_at DOUBLE NOT NULL,
                    last_seen_at DOUBLE
                );
                CREATE TABLE tokens (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    created_at DOUBLE NOT NULL,
                    expires_at DOUBLE NOT NULL,
                    consumed_at DOUBLE
                );
                CREATE TABLE zones (
                    name TEXT PRIMARY KEY NOT NULL,
                    definition TEXT NOT NULL
                );
                CREATE TABLE routes (
                    service_cn TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    host TEXT NOT NULL,
                    port INTEGER NOT NULL,
                    domains TEXT NOT NULL
                );
                CREATE TABLE settings (
                    key TEXT PRIMARY KEY NOT NULL,
                    value INTEGER NOT NULL
                );
                INSERT INTO settings (key, value) VALUES ('config_version', 1), ('state_version', 1);
                """)
        }
        migrator.registerMigration("v2-routes-by-name") { db in
            // v1's routes table was keyed by service CN and never written; a service endpoint
            // may own several routes, so routes are keyed by name and stored as JSON.
            try db.execute(sql: """
                DROP TABLE routes;
                CREATE TABLE routes (
                    name TEXT PRIMARY KEY NOT NULL,
                    service_cn TEXT NOT NULL,
                    definition TEXT NOT NULL
                );
                """)
        }
        migrator.registerMigration("v3-serial-binding") { db in
            // An endpoint is bound to the serial issued last, plus the one before it for a grace
            // window after a renewal; every serial ever issued is on record with its CN.
            try db.execute(sql: """
                ALTER TABLE endpoints ADD COLUMN previous_serial TEXT;
                ALTER TABLE endpoints ADD COLUMN previous_serial_valid_until DOUBLE;
                ALTER TABLE endpoints ADD COLUMN certificate_confirmed_at DOUBLE;
                ALTER TABLE tokens ADD COLUMN replaces INTEGER NOT NULL DEFAULT 0;
                CREATE TABLE certificates (
                    serial TEXT PRIMARY KEY NOT NULL,
                    common_name TEXT NOT NULL,
                    issued_at DOUBLE NOT NULL,
                    not_after DOUBLE NOT NULL,
                    cause TEXT NOT NULL CHECK (cause IN ('issued', 'enrolled', 'renewed', 'migrated'))
                );
                INSERT INTO certificates (serial, common_name, issued_at, not_after, cause)
                    SELECT certificate_serial, common_name, created_at, COALESCE(certificate_not_after, 0), 'migrated'
                    FROM endpoints WHERE certificate_serial IS NOT NULL;
                """)
        }
        return migrator
    }

    // MARK: versions

    /// Bumped by every change; the server reloads when it moves.
    public func stateVersion() throws -> Int64 {
        try self.read { db in try Int64.fetchOne(db, sql: "SELECT value FROM settings WHERE key = 'state_version'") ?? 0 }
    }

    /// The version stamped on signed configs; bumped when what configs say changes.
    public func configVersion() throws -> Int64 {
        try self.read { db in try Int64.fetchOne(db, sql: "SELECT value FROM settings WHERE key = 'config_version'") ?? 1 }
    }

    static func bump(_ db: Database, config: Bool) throws {
        try db.execute(sql: "UPDATE settings SET value = value + 1 WHERE key = 'state_version'")
        if config { try db.execute(sql: "UPDATE settings SET value = value + 1 WHERE key = 'config_version'") }
    }

    // MARK: endpoints

    public func endpoints() throws -> [String: EndpointRecord] {
        try self.read { db in
            var result: [String: EndpointRecord] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM endpoints") {
                if let record = Self.endpoint(from: row) { result[record.commonName] = record }
            }
            return result
        }
    }

    public func endpoint(_ commonName: String) throws -> EndpointRecord? {
        try self.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM endpoints WHERE common_name = ?", arguments: [commonName]).flatMap(Self.endpoint(from:))
        }
    }

    /// Registers an endpoint with a certificate issued offline (`ztserver endpoint issue`). An
    /// existing endpoint (active or revoked) is refused unless `replace`: then it is bound to the
    /// new serial alone (no grace for the old one) and its kind is the one given.
    public func recordIssued(_ commonName: String, kind: EndpointRecord.Kind, serial: String, notAfter: Date, replace: Bool = false, now: Date = Date()) throws {
        try self.write { db in
            if !replace, try Self.endpointExists(db, commonName) { throw RegistryError.endpointExists(commonName) }
            try Self.bind(db, commonName: commonName, kind: kind, serial: serial, notAfter: notAfter, cause: "issued", now: now)
            try Self.bump(db, config: false)
        }
    }

    private static func endpointExists(_ db: Database, _ commonName: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM endpoints WHERE common_name = ?)", arguments: [commonName]) ?? false
    }

    /// Binds `commonName` to `serial` alone: active, of `kind`, no previous serial. Records the
    /// serial in the certificate history; a serial is never bound twice.
    private static func bind(_ db: Database, commonName: String, kind: EndpointRecord.Kind, serial: String, notAfter: Date, cause: String, now: Date) throws {
        try Self.recordCertificate(db, serial: serial, commonName: commonName, notAfter: notAfter, cause: cause, now: now)
        try db.execute(sql: """
            INSERT INTO endpoints (common_name, kind, status, certificate_serial, certificate_not_after, created_at, previous_serial, previous_serial_valid_until)
            VALUES (?, ?, 'active', ?, ?, ?, NULL, NULL)
            ON CONFLICT(common_name) DO UPDATE SET kind = excluded.kind, status = 'active',
                certificate_serial = excluded.certificate_serial, certificate_not_after = excluded.certificate_not_after,
                previous_serial = NULL, previous_serial_valid_until = NULL, certificate_confirmed_at = NULL
            """, arguments: [commonName, kind.rawValue, serial, notAfter.timeIntervalSince1970, now.timeIntervalSince1970])
    }

    private static func recordCertificate(_ db: Database, serial: String, commonName: String, notAfter: Date, cause: String, now: Date) throws {
        if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM certificates WHERE serial = ?)", arguments: [serial]) ?? false {
            throw RegistryError.serialReused(serial)
        }
        try db.execute(sql: "INSERT INTO certificates (serial, common_name, issued_at, not_after, cause) VALUES (?, ?, ?, ?, ?)",
                       arguments: [serial, commonName, now.timeIntervalSince1970, notAfter.timeIntervalSince1970, cause])
    }

    /// Records a renewal. The endpoint's current serial may renew: it becomes the previous one,
    /// accepted for `grace` seconds (so queries in flight survive the swap), and the one before
    /// it is dropped at once. The previous serial may renew only inside its grace window and
    /// only while the current serial was never used (``confirmCurrentSerial(_:serial:at:)``):
    /// the renewal whose answer never reached the agent (a crash, a lost response) is replaced,
    /// and the grace deadline is not extended. Any other serial is refused.
    public func recordRenewal(_ commonName: String, presentedSerial: String, serial: String, notAfter: Date, grace: TimeInterval, now: Date = Date()) throws -> RenewalOutcome {
        try self.write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT status, certificate_serial, previous_serial, previous_serial_valid_until, certificate_confirmed_at
                FROM endpoints WHERE common_name = ?
                """, arguments: [commonName]) else {
                return .unknownEndpoint
            }
            guard (row["status"] as String?) == EndpointRecord.Status.active.rawValue else { return .revoked }
            let current: String? = row["certificate_serial"]
            if current == presentedSerial {
                try Self.recordCertificate(db, serial: serial, commonName: commonName, notAfter: notAfter, cause: "renewed", now: now)
                try db.execute(sql: """
                    UPDATE endpoints SET certificate_serial = ?, certificate_not_after = ?, previous_serial = ?, previous_serial_valid_until = ?,
                        certificate_confirmed_at = NULL
                    WHERE common_name = ? AND status = 'active' AND certificate_serial = ?
                    """, arguments: [serial, notAfter.timeIntervalSince1970, presentedSerial, now.addingTimeInterval(max(0, grace)).timeIntervalSince1970,
                                     commonName, presentedSerial])
                guard db.changesCount == 1 else { return .notCurrentSerial }
                try Self.bump(db, config: false)
                return .renewed
            }
            let previousUntil = (row["previous_serial_valid_until"] as Double?) ?? 0
            guard (row["previous_serial"] as String?) == presentedSerial, now.timeIntervalSince1970 < previousUntil,
                  (row["certificate_confirmed_at"] as Double?) == nil, let current
            else { return .notCurrentSerial }
            try Self.recordCertificate(db, serial: serial, commonName: commonName, notAfter: notAfter, cause: "renewed", now: now)
            try db.execute(sql: """
                UPDATE endpoints SET certificate_serial = ?, certificate_not_after = ?
                WHERE common_name = ? AND status = 'active' AND certificate_serial = ? AND certificate_confirmed_at IS NULL
                """, arguments: [serial, notAfter.timeIntervalSince1970, commonName, current])
            guard db.changesCount == 1 else { return .notCurrentSerial }
            try Self.bump(db, config: false)
            return .renewed
        }
    }

    /// Notes the first use of the endpoint's current serial (a DoT handshake or an API call made
    /// with it): from then on the previous serial may no longer renew. Not a state change: no bump.
    public func confirmCurrentSerial(_ commonName: String, serial: String, at date: Date = Date()) throws {
        try self.write { db in
            try db.execute(sql: """
                UPDATE endpoints SET certificate_confirmed_at = ?
                WHERE common_name = ? AND certificate_serial = ? AND certificate_confirmed_at IS NULL
                """, arguments: [date.timeIntervalSince1970, commonName, serial])
        }
    }

    /// Marks the endpoint revoked: every serial it ever had is refused from now on, and a later
    /// enrollment under the name binds a new serial only. False when there is no such endpoint.
    public func revoke(_ commonName: String) throws -> Bool {
        try self.write { db in
            try db.execute(sql: "UPDATE endpoints SET status = 'revoked', previous_serial = NULL, previous_serial_valid_until = NULL WHERE common_name = ?",
                           arguments: [commonName])
            let changed = db.changesCount > 0
            if changed { try Self.bump(db, config: false) }
            return changed
        }
    }

    /// The certificates issued to `commonName`, oldest first.
    public func certificates(of commonName: String) throws -> [IssuedCertificateRecord] {
        try self.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM certificates WHERE common_name = ? ORDER BY issued_at, rowid", arguments: [commonName]).map { row in
                IssuedCertificateRecord(
                    serial: row["serial"] ?? "", commonName: row["common_name"] ?? "",
                    issuedAt: Date(timeIntervalSince1970: row["issued_at"] ?? 0),
                    notAfter: Date(timeIntervalSince1970: row["not_after"] ?? 0),
                    cause: row["cause"] ?? ""
                )
            }
        }
    }

    /// Notes that the endpoint was seen (authenticated) now. Not a state change: no bump.
    public func touch(_ commonName: String, at date: Date = Date()) throws {
        try self.write { db in
            try db.execute(sql: "UPDATE endpoints SET last_seen_at = ? WHERE common_name = ?", arguments: [date.timeIntervalSince1970, commonName])
        }
    }

    private static func endpoint(from row: Row) -> EndpointRecord? {
        guard let name: String = row["common_name"],
              let kind = EndpointRecord.Kind(rawValue: row["kind"] ?? ""),
              let status = EndpointRecord.Status(rawValue: row["status"] ?? "")
        else { return nil }
        var record = EndpointRecord(commonName: name, kind: kind, status: status, createdAt: Date(timeIntervalSince1970: row["created_at"] ?? 0))
        record.certificateSerial = row["certificate_serial"]
        record.certificateNotAfter = (row["certificate_not_after"] as Double?).map { Date(timeIntervalSince1970: $0) }
        record.lastSeenAt = (row["last_seen_at"] as Double?).map { Date(timeIntervalSince1970: $0) }
        record.previousSerial = row["previous_serial"]
        record.previousSerialValidUntil = (row["previous_serial_valid_until"] as Double?).map { Date(timeIntervalSince1970: $0) }
        record.certificateConfirmedAt = (row["certificate_confirmed_at"] as Double?).map { Date(timeIntervalSince1970: $0) }
        return record
    }

    // MARK: tokens

    /// Stores a new one-time token id. A token for a name that is already an endpoint (active or
    /// revoked) is refused unless `replace`; such a token re-enrolls the name with a new serial.
    public func insertToken(id: String, name: String, kind: EndpointRecord.Kind, expiresAt: Date, replace: Bool = false, now: Date = Date()) throws {
        try self.write { db in
            if !replace, try Self.endpointExists(db, name) { throw RegistryError.endpointExists(name) }
            try db.execute(sql: "INSERT INTO tokens (id, name, kind, created_at, expires_at, replaces) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [id, name, kind.rawValue, now.timeIntervalSince1970, expiresAt.timeIntervalSince1970, replace ? 1 : 0])
            try Self.bump(db, config: false)
        }
    }

    /// Consumes the token and registers the endpoint with its first certificate, in one
    /// transaction: a token is used once, whatever the concurrency.
    public func enroll(tokenID: String, commonName: String, kind: EndpointRecord.Kind, serial: String, notAfter: Date, now: Date = Date()) throws -> TokenConsumption {
        try self.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT name, kind, expires_at, consumed_at, replaces FROM tokens WHERE id = ?", arguments: [tokenID]) else {
                return .unknown
            }
            if (row["consumed_at"] as Double?) != nil { return .alreadyUsed }
            let expires: Double = row["expires_at"] ?? 0
            if expires <= now.timeIntervalSince1970 { return .expired }
            guard (row["name"] as String?) == commonName, (row["kind"] as String?) == kind.rawValue else { return .mismatch }
            // A name that became an endpoint after the token was made (offline issuance, another
            // token) is not taken over by a token that was not made to replace it.
            if (row["replaces"] as Int64?) != 1, try Self.endpointExists(db, commonName) { return .endpointExists }
            try db.execute(sql: "UPDATE tokens SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL", arguments: [now.timeIntervalSince1970, tokenID])
            guard db.changesCount == 1 else { return .alreadyUsed }
            try Self.bind(db, commonName: commonName, kind: kind, serial: serial, notAfter: notAfter, cause: "enrolled", now: now)
            try Self.bump(db, config: false)
            return .consumed
        }
    }

    /// Tokens, newest first.
    public func tokens() throws -> [TokenRecord] {
        try self.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM tokens ORDER BY created_at DESC").map { row in
                TokenRecord(
                    id: row["id"] ?? "", name: row["name"] ?? "", kind: row["kind"] ?? "",
                    expiresAt: Date(timeIntervalSince1970: row["expires_at"] ?? 0),
                    consumedAt: (row["consumed_at"] as Double?).map { Date(timeIntervalSince1970: $0) }
                )
            }
        }
    }

    // MARK: zones

    public func zones() throws -> [String: ZoneDefinition] {
        try self.read { db in
            var zones: [String: ZoneDefinition] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, definition FROM zones") {
                guard let name: String = row["name"], let text: String = row["definition"] else { continue }
                zones[name] = try JSONDecoder().decode(ZoneDefinition.self, from: Data(text.utf8))
            }
            return zones
        }
    }

    /// Creates or replaces a zone.
    public func putZone(_ name: String, _ definition: ZoneDefinition) throws {
        let text = String(decoding: try JSONEncoder.server.encode(definition), as: UTF8.self)
        try self.write { db in
            try db.execute(sql: "INSERT INTO zones (name, definition) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET definition = excluded.definition",
                           arguments: [name, text])
            try Self.bump(db, config: true)
        }
    }

    /// Removes a zone; false when there was none.
    public func removeZone(_ name: String) throws -> Bool {
        try self.write { db in
            try db.execute(sql: "DELETE FROM zones WHERE name = ?", arguments: [name])
            let changed = db.changesCount > 0
            if changed { try Self.bump(db, config: true) }
            return changed
        }
    }

    // MARK: plumbing

    func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        do {
            return try self.database.read(body)
        } catch let error as RegistryError {
            throw error
        } catch let error as DatabaseError {
            throw RegistryError.failed("\(error)")
        }
    }

    func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        do {
            return try self.database.write(body)
        } catch let error as RegistryError {
            throw error
        } catch let error as DatabaseError {
            throw RegistryError.failed("\(error)")
        }
    }
}
