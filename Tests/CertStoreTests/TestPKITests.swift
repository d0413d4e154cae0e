import CertStore
import Foundation
import Testing
import TestSupport

@Suite("TestPKI")
struct TestPKITests {
    @Test("server and client files verify with openssl; expired and foreign clients do not")
    func filesVerify() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        #expect(pki.serverName == "dot.ztagent.test")
        #expect(pki.caPath == pki.directory + "/ca.pem")
        #expect(pki.server.identity.commonName == "dot.ztagent.test")

        let serverCheck = try OpenSSL.run([
            "verify", "-purpose", "sslserver", "-verify_hostname", pki.serverName, "-CAfile", pki.caPath, pki.server.certificatePath,
        ])
        #expect(serverCheck.succeeded, "\(serverCheck.output)\(serverCheck.error)")
        let wrongName = try OpenSSL.run([
            "verify", "-verify_hostname", "other.ztagent.test", "-CAfile", pki.caPath, pki.server.certificatePath,
        ])
        #expect(!wrongName.succeeded)
        let serverText = try OpenSSL.run(["x509", "-noout", "-text", "-in", pki.server.certificatePath]).output
        #expect(serverText.contains("DNS:dot.ztagent.test"))
        #expect(!serverText.contains("IP Address"))

        let client = try pki.client("laptop-1")
        #expect(client.certificatePath == pki.directory + "/laptop-1.pem")
        #expect(client.keyPath == pki.directory + "/laptop-1.key")
        let clientCheck = try OpenSSL.run(["verify", "-purpose", "sslclient", "-CAfile", pki.caPath, client.certificatePath])
        #expect(clientCheck.succeeded, "\(clientCheck.output)\(clientCheck.error)")
        // openssl reads the key and it matches the certificate.
        let keyPub = try OpenSSL.run(["pkey", "-in", client.keyPath, "-pubout"]).output
        let certPub = try OpenSSL.run(["x509", "-in", client.certificatePath, "-noout", "-pubkey"]).output
        #expect(!keyPub.isEmpty && keyPub == certPub)
        let attributes = try FileManager.default.attributesOfItem(atPath: client.keyPath)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let directoryAttributes = try FileManager.default.attributesOfItem(atPath: pki.directory)
        #expect((directoryAttributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        _ = try TLSIdentity.load(certificatePath: client.certificatePath, keyPath: client.keyPath)

        let expired = try pki.expiredClient("old-laptop")
        #expect(expired.identity.notValidAfter < Date().addingTimeInterval(-3000))
        let expiredCheck = try OpenSSL.run(["verify", "-CAfile", pki.caPath, expired.certificatePath])
        #expect(!expiredCheck.succeeded)
        #expect(expiredCheck.output.contains("expired") || expiredCheck.error.contains("expired"))

        let foreign = try TestPKI.foreignClient("intruder", in: pki.directory + "/foreign")
        let foreignCheck = try OpenSSL.run(["verify", "-CAfile", pki.caPath, foreign.certificatePath])
        #expect(!foreignCheck.succeeded)

        let router = try pki.issueServer("router.ztagent.test", dnsNames: ["router.ztagent.test", "*.svc.ztagent.test"])
        let routerCheck = try OpenSSL.run([
            "verify", "-purpose", "sslserver", "-verify_hostname", "db.svc.ztagent.test", "-CAfile", pki.caPath, router.certificatePath,
        ])
        #expect(routerCheck.succeeded, "\(routerCheck.output)\(routerCheck.error)")

        #expect(throws: CertStoreError.self) { try pki.client("../escape") }
    }

    @Test("remove deletes the directory; two PKIs are independent")
    func removeAndIndependence() throws {
        let one = try TestPKI()
        let two = try TestPKI(serverName: "other.test")
        #expect(one.directory != two.directory)
        #expect(one.authority.fingerprintSHA256 != two.authority.fingerprintSHA256)
        #expect(two.server.identity.commonName == "other.test")
        one.remove()
        two.remove()
        #expect(!FileManager.default.fileExists(atPath: one.directory))
        #expect(!FileManager.default.fileExists(atPath: two.directory))
    }
}
