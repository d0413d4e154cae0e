/// What a complete ClientHello tells a router before any TLS is terminated.
public struct ClientHelloInfo: Sendable, Equatable {
    /// The SNI host_name, lowercased, without a trailing dot; nil when the hello carries no server_name extension.
    ///
    /// When present it has passed the checks of RFC 6066 section 3 as applied here: one to 253 bytes,
    /// dot-separated LDH labels of 1 to 63 bytes (ASCII letters, digits and inner hyphens), and not an
    /// IP literal (a name whose last label is all digits or `0x` plus hex digits is refused).
    public var serverName: String?
    /// ALPN protocol names offered, in order (empty when none).
    ///
    /// Each name is decoded as UTF-8; bytes that are not valid UTF-8 are replaced by U+FFFD.
    public var applicationProtocols: [String]
    /// The TLS versions offered in supported_versions (e.g. 0x0304), or [legacy_version] when absent.
    ///
    /// Values are kept as sent, in order, including any GREASE values.
    public var offeredVersions: [UInt16]
    /// How many bytes from the start of the stream the records holding the ClientHello take.
    ///
    /// Bytes after this offset (further records, early data) belong to the connection and were not read.
    public var recordBytes: Int

    /// Creates a description of a ClientHello (the reader makes these; tests and callers may too).
    /// - Parameters:
    ///   - serverName: The validated, lowercased SNI host name, or nil.
    ///   - applicationProtocols: The ALPN protocol names in offered order.
    ///   - offeredVersions: The supported_versions list, or `[legacy_version]`.
    ///   - recordBytes: The length of the records holding the hello, from the start of the stream.
    public init(serverName: String?, applicationProtocols: [String], offeredVersions: [UInt16], recordBytes: Int) {
        self.serverName = serverName
        self.applicationProtocols = applicationProtocols
        self.offeredVersions = offeredVersions
        self.recordBytes = recordBytes
    }
}
