/// An EDNS(0) option (RFC 6891 section 6.1.2).
public struct EDNSOption: Hashable, Sendable {
    /// OPTION-CODE.
    public var code: UInt16
    /// OPTION-DATA.
    public var data: [UInt8]

    /// Creates an option.
    public init(code: UInt16, data: [UInt8]) {
        self.code = code
        self.data = data
    }

    /// Client subnet (RFC 7871).
    public static let clientSubnetCode: UInt16 = 8
    /// DNS cookie (RFC 7873).
    public static let cookieCode: UInt16 = 10
    /// edns-tcp-keepalive (RFC 7828).
    public static let tcpKeepaliveCode: UInt16 = 11
    /// Padding (RFC 7830).
    public static let paddingCode: UInt16 = 12
    /// Extended DNS error (RFC 8914).
    public static let extendedErrorCode: UInt16 = 15

    /// A padding option with `length` zero bytes (clamped to 0...65535).
    public static func padding(length: Int) -> EDNSOption {
        EDNSOption(code: paddingCode, data: [UInt8](repeating: 0, count: min(max(length, 0), 65535)))
    }

    /// An edns-tcp-keepalive option; `nil` gives the empty client form, a value gives the server form.
    public static func tcpKeepalive(timeoutHundredMilliseconds: UInt16?) -> EDNSOption {
        guard let timeout = timeoutHundredMilliseconds else {
            return EDNSOption(code: tcpKeepaliveCode, data: [])
        }
        return EDNSOption(code: tcpKeepaliveCode, data: [UInt8(timeout >> 8), UInt8(timeout & 0xFF)])
    }

    /// The keepalive timeout in units of 100 ms, when this is a keepalive option with 2 data bytes.
    public var tcpKeepaliveTimeout: UInt16? {
        guard code == EDNSOption.tcpKeepaliveCode, data.count == 2 else { return nil }
        return UInt16(data[0]) << 8 | UInt16(data[1])
    }
}
