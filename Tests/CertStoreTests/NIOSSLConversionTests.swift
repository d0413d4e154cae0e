import CertStore
import Crypto
import NIOSSL
import Testing
import TestSupport
import X509

@Suite("NIOSSL conversion")
struct NIOSSLConversionTests {
    @Test("identity converts to NIOSSL and server and client contexts build")
    func contexts() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let server = pki.server.identity
        let chain = try server.nioCertificateChain()
        #expect(chain.count == 1)
        #expect(try chain[0].toDERBytes() == server.leaf.derBytes)
        let key = try server.nioPrivateKey()
        let anchors = try TrustAnchors.nioCertificates(TrustAnchors.load(path: pki.caPath))

        var serverConfig = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        serverConfig.certificateVerification = .noHostnameVerification
        serverConfig.trustRoots = .certificates(anchors)
        _ = try NIOSSLContext(configuration: serverConfig)

        let client = try pki.client("nio-client")
        var clientConfig = TLSConfiguration.makeClientConfiguration()
        clientConfig.certificateChain = try client.identity.nioCertificateChain().map { .certificate($0) }
        clientConfig.privateKey = .privateKey(try client.identity.nioPrivateKey())
        clientConfig.trustRoots = .certificates(anchors)
        _ = try NIOSSLContext(configuration: clientConfig)

        // NIOSSL reads the files CertStore writes, too.
        _ = try NIOSSLPrivateKey(file: client.keyPath, format: .pem)
        #expect(try NIOSSLCertificate.fromPEMFile(client.certificatePath).count == 1)
    }
}
