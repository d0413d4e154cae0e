import X509

extension Certificate {
    /// The serial as lower-case hex, the form the registry keeps.
    public var serialText: String {
        self.serialNumber.bytes.map { byte in
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]], as: UTF8.self)
        }.joined()
    }

    /// The CN and serial of a client certificate, when it has a CN.
    public var authenticatedPeer: AuthenticatedPeer? {
        self.subject.commonNameValue.map { AuthenticatedPeer(commonName: $0, serial: self.serialText, notValidAfter: self.notValidAfter) }
    }
}
