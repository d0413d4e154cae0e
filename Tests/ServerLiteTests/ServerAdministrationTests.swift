import Foundation
import ServerLite
import Testing
import TestSupport

@Suite struct ServerAdministrationTests {
    @Test func initRefusesToOverwriteACA() throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let before = try Data(contentsOf: URL(fileURLWithPath: fixture.paths.caKey))
        #expect(throws: AdministrationError.self) {
            try fixture.administration.initialize(serverName: "x.test", routerAddress: "127.0.0.1", dotListen: "127.0.0.1:853")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.paths.caKey)) == before)
        let attributes = try FileManager.default.attributesOfItem(atPath: fixture.paths.caKey)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let directory = try FileManager.default.attributesOfItem(atPath: fixture.paths.directory)
        #expect((directory[.posixPermissions] as? Int) == 0o700)
    }

    @Test func badChangesLeaveTheFilesAlone() throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        try fixture.administration.addZone("corp.test", records: ["db A 192.0.2.1"], allow: ["laptop"], serviceCommonName: nil)
        let before = try fixture.administration.zones()
        let versionBefore = try fixture.administration.registry().stateVersion()
        #expect(throws: ZoneError.self) { try fixture.administration.addZone("bad.test", records: ["db A 999.0.0.1"], allow: [], serviceCommonName: nil) }
        #expect(throws: ZoneError.self) { try fixture.administration.addZone("corp.test", records: [], allow: [], serviceCommonName: nil) }
        #expect(throws: ZoneError.self) { try fixture.administration.addZone("bad..name", records: [], allow: [], serviceCommonName: nil) }
        #expect(throws: ZoneError.self) { try fixture.administration.addZone(".", records: [], allow: [], serviceCommonName: nil) }
        #expect(throws: AdministrationError.self) { try fixture.administration.addZone("ok.test", records: [], allow: ["bad cn/../x"], serviceCommonName: nil) }
        #expect(throws: ZoneError.self) { try fixture.administration.allow(zone: "missing.test", commonName: "laptop") }
        #expect(try fixture.administration.zones() == before)
        #expect(try fixture.administration.registry().stateVersion() == versionBefore, "a refused change wrote nothing")
    }

    @Test func defaultZoneRecordIsTheRouter() throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        try fixture.administration.addZone("Apps.Test.", records: [], allow: ["laptop"], serviceCommonName: nil)
        let zones = try fixture.administration.zones()
        #expect(zones["apps.test"]?.records["@"] == ["A \(fixture.routerAddress)"])
    }

    @Test func endpointIssueWritesPrivateFilesAndRegisters() throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let files = try fixture.issue("laptop-1")
        let key = try FileManager.default.attributesOfItem(atPath: files.keyPath)
        #expect((key[.posixPermissions] as? Int) == 0o600)
        #expect(files.identity.commonName == "laptop-1")
        let endpoints = try fixture.administration.endpoints()
        #expect(endpoints["laptop-1"]?.status == .active)
        #expect(endpoints["laptop-1"]?.certificateSerial?.isEmpty == false)
        try fixture.administration.revokeEndpoint("laptop-1")
        #expect(try fixture.administration.endpoints()["laptop-1"]?.status == .revoked)
        #expect(throws: AdministrationError.self) { try fixture.administration.revokeEndpoint("nobody") }
        #expect(throws: AdministrationError.self) { try fixture.issue("../escape") }
    }
}
