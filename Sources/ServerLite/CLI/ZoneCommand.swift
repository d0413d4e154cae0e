import ArgumentParser

struct ZoneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zone",
        abstract: "Manage private zones.",
        subcommands: [Add.self, List.self, Allow.self, Disallow.self, Remove.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a private zone.")
        @OptionGroup var state: StateOptions
        @Argument(help: "Zone name, e.g. internal.corp.") var name: String
        @Option(name: .customLong("record"), help: "'OWNER TYPE DATA', e.g. 'db A 203.0.113.50' (repeatable; default: '@ A <router address>').")
        var records: [String] = []
        @Option(name: .customLong("allow"), help: "Endpoint CN allowed to resolve the zone (repeatable).")
        var allow: [String] = []
        @Option(help: "The service endpoint CN that owns the zone.")
        var serviceCN: String?

        func run() throws {
            try ServerAdministration(paths: self.state.paths).addZone(self.name, records: self.records, allow: self.allow, serviceCommonName: self.serviceCN)
            print("zone \(self.name) added")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List private zones.")
        @OptionGroup var state: StateOptions

        func run() throws {
            let zones = try ServerAdministration(paths: self.state.paths).zones()
            for name in zones.keys.sorted() {
                guard let zone = zones[name] else { continue }
                print(name)
                print("  allowed: \(zone.allowedEndpoints.sorted().joined(separator: ", "))")
                if let service = zone.serviceCommonName { print("  service: \(service)") }
                for owner in zone.records.keys.sorted() {
                    for record in zone.records[owner] ?? [] { print("  \(owner) \(record)") }
                }
            }
        }
    }

    struct Allow: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Allow an endpoint CN to resolve a zone.")
        @OptionGroup var state: StateOptions
        @Argument var zone: String
        @Argument var commonName: String

        func run() throws {
            try ServerAdministration(paths: self.state.paths).allow(zone: self.zone, commonName: self.commonName)
            print("\(self.commonName) may resolve \(self.zone)")
        }
    }

    struct Disallow: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take an endpoint CN off a zone's allow list.")
        @OptionGroup var state: StateOptions
        @Argument var zone: String
        @Argument var commonName: String

        func run() throws {
            try ServerAdministration(paths: self.state.paths).disallow(zone: self.zone, commonName: self.commonName)
            print("\(self.commonName) may no longer resolve \(self.zone)")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a private zone.")
        @OptionGroup var state: StateOptions
        @Argument var name: String

        func run() throws {
            try ServerAdministration(paths: self.state.paths).removeZone(self.name)
            print("zone \(self.name) removed")
        }
    }
}
