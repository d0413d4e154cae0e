/// Builds ClientHello handshake messages field by field, for malformed and edge cases.
struct HelloBuilder {
    /// One extension: type and raw extension_data.
    struct Extension {
        var type: UInt16
        var data: [UInt8]
    }

    var legacyVersion: UInt16 = 0x0303
    var random: [UInt8] = Array(repeating: 0xA5, count: 32)
    var sessionID: [UInt8] = Array(repeating: 0x11, count: 32)
    var cipherSuites: [UInt16] = [0x1301, 0x1302, 0x1303]
    var compressionMethods: [UInt8] = [0]
    /// nil leaves the extensions block out altogether (legal up to TLS 1.2).
    var extensions: [Extension]? = [
        HelloBuilder.serverName("app.corp.test"),
        HelloBuilder.alpn(["h2", "http/1.1"]),
        HelloBuilder.supportedVersions([0x0304, 0x0303]),
    ]

    /// server_name with one host_name entry.
    static func serverName(_ name: String) -> Extension {
        serverNameEntries([(0, Array(name.utf8))])
    }

    /// server_name with the given (name_type, name) entries.
    static func serverNameEntries(_ entries: [(UInt8, [UInt8])]) -> Extension {
        var list: [UInt8] = []
        for (type, name) in entries {
            list.append(type)
            list += u16(name.count) + name
        }
        return Extension(type: 0, data: u16(list.count) + list)
    }

    /// ALPN with the given protocol names.
    static func alpn(_ names: [String]) -> Extension {
        var list: [UInt8] = []
        for name in names {
            list.append(UInt8(name.utf8.count))
            list += Array(name.utf8)
        }
        return Extension(type: 16, data: u16(list.count) + list)
    }

    /// supported_versions (ClientHello form).
    static func supportedVersions(_ versions: [UInt16]) -> Extension {
        let list = versions.flatMap { u16(Int($0)) }
        return Extension(type: 43, data: [UInt8(list.count)] + list)
    }

    /// A padding extension (21) of `count` zero bytes.
    static func padding(_ count: Int) -> Extension {
        Extension(type: 21, data: Array(repeating: 0, count: count))
    }

    /// The ClientHello body (no handshake header).
    var body: [UInt8] {
        var out = HelloBuilder.u16(Int(legacyVersion)) + random
        out.append(UInt8(sessionID.count))
        out += sessionID
        out += HelloBuilder.u16(cipherSuites.count * 2) + cipherSuites.flatMap { HelloBuilder.u16(Int($0)) }
        out.append(UInt8(compressionMethods.count))
        out += compressionMethods
        if let extensions {
            var block: [UInt8] = []
            for item in extensions {
                block += HelloBuilder.u16(Int(item.type)) + HelloBuilder.u16(item.data.count) + item.data
            }
            out += HelloBuilder.u16(block.count) + block
        }
        return out
    }

    /// The handshake message: type 1, 3-byte length, body.
    var message: [UInt8] { HelloBuilder.handshake(body: body) }

    /// The message in one handshake record.
    var record: [UInt8] { Records.wrap(message, fragmentSize: Records.maximumPlaintext) }

    /// A handshake message of `type` around `body`, its length field taken from the body.
    static func handshake(type: UInt8 = 1, body: [UInt8]) -> [UInt8] {
        [type, UInt8((body.count >> 16) & 0xFF), UInt8((body.count >> 8) & 0xFF), UInt8(body.count & 0xFF)] + body
    }

    /// Big-endian 16 bits of `value`.
    static func u16(_ value: Int) -> [UInt8] {
        [UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}
