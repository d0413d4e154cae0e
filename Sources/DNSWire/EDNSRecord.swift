/// The EDNS(0) OPT pseudo-record (RFC 6891).
public struct EDNSRecord: Hashable, Sendable {
    /// The requestor's UDP payload size (the OPT CLASS). Kept raw: users should treat
    /// values below 512 as 512.
    public var udpPayloadSize: UInt16
    /// The upper 8 bits of the 12-bit extended RCODE.
    public var extendedResponseCodeHigh: UInt8
    /// EDNS version.
    public var version: UInt8
    /// DO: DNSSEC OK.
    public var dnssecOK: Bool
    /// The other 15 Z flag bits (DO excluded), preserved verbatim.
    public var flagsRemainder: UInt16
    /// The options, in wire order.
    public var options: [EDNSOption]

    /// Creates an OPT record with version 0 and no extended RCODE bits.
    public init(udpPayloadSize: UInt16 = 1232, dnssecOK: Bool = false, options: [EDNSOption] = []) {
        self.udpPayloadSize = udpPayloadSize
        self.extendedResponseCodeHigh = 0
        self.version = 0
        self.dnssecOK = dnssecOK
        self.flagsRemainder = 0
        self.options = options
    }

    /// The first option with `code`, if any.
    public func option(code: UInt16) -> EDNSOption? {
        options.first { $0.code == code }
    }

    /// The OPT TTL field: extended RCODE, version, DO and the remaining flag bits.
    internal var ttlField: UInt32 {
        UInt32(extendedResponseCodeHigh) << 24 | UInt32(version) << 16
            | (dnssecOK ? 0x8000 : 0) | UInt32(flagsRemainder & 0x7FFF)
    }
}
