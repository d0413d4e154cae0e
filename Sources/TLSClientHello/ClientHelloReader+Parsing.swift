/// Parsing of the reassembled ClientHello handshake message (RFC 8446 section 4.1.2, RFC 5246
/// section 7.4.1.2) and of the extensions a router reads.
extension ClientHelloReader {
    /// The server_name extension (RFC 6066).
    static let serverNameExtension: UInt16 = 0
    /// The application_layer_protocol_negotiation extension (RFC 7301).
    static let alpnExtension: UInt16 = 16
    /// The supported_versions extension (RFC 8446).
    static let supportedVersionsExtension: UInt16 = 43

    /// Parses a whole ClientHello handshake message (4-byte header included).
    static func parse(message: [UInt8], recordBytes: Int) throws(ClientHelloError) -> ClientHelloInfo {
        var cursor = HelloCursor(bytes: message, start: 4, end: message.count)
        let legacyVersion = try cursor.readUInt16("legacy_version")
        try cursor.skip(32, "random")
        let sessionID = try cursor.readVector(lengthBytes: 1, "legacy_session_id")
        guard sessionID.remaining <= 32 else {
            throw .malformed("legacy_session_id of \(sessionID.remaining) bytes is longer than 32")
        }
        let cipherSuites = try cursor.readVector(lengthBytes: 2, "cipher_suites")
        guard cipherSuites.remaining >= 2, cipherSuites.remaining % 2 == 0 else {
            throw .malformed("cipher_suites of \(cipherSuites.remaining) bytes")
        }
        let compressionMethods = try cursor.readVector(lengthBytes: 1, "legacy_compression_methods")
        guard compressionMethods.remaining >= 1 else { throw .malformed("empty legacy_compression_methods") }

        var info = ClientHelloInfo(
            serverName: nil, applicationProtocols: [], offeredVersions: [legacyVersion], recordBytes: recordBytes)
        // Extensions may be absent altogether (TLS 1.2 and older).
        if cursor.isAtEnd { return info }
        var extensions = try cursor.readVector(lengthBytes: 2, "extensions")
        guard cursor.isAtEnd else { throw .malformed("\(cursor.remaining) bytes after the extensions") }

        var seen = Set<UInt16>()
        while !extensions.isAtEnd {
            let type = try extensions.readUInt16("extension type")
            guard seen.insert(type).inserted else { throw .malformed("duplicate extension \(type)") }
            var data = try extensions.readVector(lengthBytes: 2, "extension \(type)")
            switch type {
            case serverNameExtension:
                info.serverName = try parseServerName(&data)
            case alpnExtension:
                info.applicationProtocols = try parseApplicationProtocols(&data)
            case supportedVersionsExtension:
                info.offeredVersions = try parseSupportedVersions(&data)
            default:
                break
            }
        }
        return info
    }

    /// Parses a ServerNameList and returns its validated host_name.
    ///
    /// Every entry is framed as name_type + 2-byte length + bytes. Exactly one host_name (type 0)
    /// entry must be present; entries of other types are skipped.
    static func parseServerName(_ data: inout HelloCursor) throws(ClientHelloError) -> String {
        var list = try data.readVector(lengthBytes: 2, "server_name list")
        guard data.isAtEnd else { throw .malformed("\(data.remaining) bytes after the server_name list") }
        guard !list.isAtEnd else { throw .malformed("empty server_name list") }
        var hostName: String?
        while !list.isAtEnd {
            let nameType = try list.readUInt8("server_name name_type")
            let name = try list.readVector(lengthBytes: 2, "server_name entry")
            guard nameType == 0 else { continue }
            guard hostName == nil else { throw .malformed("more than one host_name in server_name") }
            hostName = try ServerNameRules.normalize(name.rest)
        }
        guard let hostName else { throw .malformed("server_name has no host_name entry") }
        return hostName
    }

    /// Parses a ProtocolNameList (ALPN).
    static func parseApplicationProtocols(_ data: inout HelloCursor) throws(ClientHelloError) -> [String] {
        var list = try data.readVector(lengthBytes: 2, "ALPN protocol_name_list")
        guard data.isAtEnd else { throw .malformed("\(data.remaining) bytes after the ALPN protocol_name_list") }
        guard !list.isAtEnd else { throw .malformed("empty ALPN protocol_name_list") }
        var names: [String] = []
        while !list.isAtEnd {
            let name = try list.readVector(lengthBytes: 1, "ALPN protocol name")
            guard !name.isAtEnd else { throw .malformed("empty ALPN protocol name") }
            names.append(String(decoding: name.rest, as: UTF8.self))
        }
        return names
    }

    /// Parses the ClientHello form of supported_versions.
    static func parseSupportedVersions(_ data: inout HelloCursor) throws(ClientHelloError) -> [UInt16] {
        var list = try data.readVector(lengthBytes: 1, "supported_versions list")
        guard data.isAtEnd else { throw .malformed("\(data.remaining) bytes after the supported_versions list") }
        guard list.remaining >= 2, list.remaining % 2 == 0 else {
            throw .malformed("supported_versions list of \(list.remaining) bytes")
        }
        var versions: [UInt16] = []
        versions.reserveCapacity(list.remaining / 2)
        while !list.isAtEnd {
            versions.append(try list.readUInt16("supported_versions entry"))
        }
        return versions
    }
}
