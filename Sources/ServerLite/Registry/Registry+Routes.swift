import Foundation
import GRDB

extension Registry {
    /// Every route.
    public func routes() throws -> [RouteDefinition] {
        try self.read { db in
            try Row.fetchAll(db, sql: "SELECT definition FROM routes ORDER BY name").compactMap { row -> RouteDefinition? in
                guard let text: String = row["definition"] else { return nil }
                return try JSONDecoder().decode(RouteDefinition.self, from: Data(text.utf8))
            }
        }
    }

    /// Creates or replaces the route named `route.name`, in one transaction with the check that
    /// no other route claims its domains. A route owned by another service CN is not replaced.
    /// A route of the same name is replaced only with `replace` (the service API replaces its
    /// own endpoint's routes; the CLI asks for `--replace`). Returns the route replaced.
    @discardableResult
    public func putRoute(_ route: RouteDefinition, replace: Bool = true) throws -> RouteDefinition? {
        let text = String(decoding: try JSONEncoder.server.encode(route), as: UTF8.self)
        return try self.write { db -> RouteDefinition? in
            let previous = try String.fetchOne(db, sql: "SELECT definition FROM routes WHERE name = ?", arguments: [route.name])
                .map { try JSONDecoder().decode(RouteDefinition.self, from: Data($0.utf8)) }
            if previous != nil, !replace { throw RouteError.exists(route.name) }
            var others: [RouteDefinition] = []
            for row in try Row.fetchAll(db, sql: "SELECT definition FROM routes WHERE name != ?", arguments: [route.name]) {
                guard let stored: String = row["definition"] else { continue }
                others.append(try JSONDecoder().decode(RouteDefinition.self, from: Data(stored.utf8)))
            }
            if let owner = try String.fetchOne(db, sql: "SELECT service_cn FROM routes WHERE name = ?", arguments: [route.name]),
               owner != route.serviceCommonName {
                throw RouteError.conflict("route \(route.name) belongs to another service endpoint")
            }
            _ = try RouteTable(others + [route])  // domains claimed once
            try db.execute(sql: """
                INSERT INTO routes (name, service_cn, definition) VALUES (?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET service_cn = excluded.service_cn, definition = excluded.definition
                """, arguments: [route.name, route.serviceCommonName, text])
            try Self.bump(db, config: true)
            return previous
        }
    }

    /// Removes a route; with `serviceCommonName`, only one that CN owns. False when none matched.
    public func removeRoute(named name: String, serviceCommonName: String? = nil) throws -> Bool {
        try self.write { db in
            if let owner = serviceCommonName {
                try db.execute(sql: "DELETE FROM routes WHERE name = ? AND service_cn = ?", arguments: [name, owner])
            } else {
                try db.execute(sql: "DELETE FROM routes WHERE name = ?", arguments: [name])
            }
            let changed = db.changesCount > 0
            if changed { try Self.bump(db, config: true) }
            return changed
        }
    }
}
