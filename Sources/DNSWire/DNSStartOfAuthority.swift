/// The RDATA of an SOA record (RFC 1035 section 3.3.13).
public struct DNSStartOfAuthority: Hashable, Sendable {
    /// MNAME: the primary name server.
    public var primaryServer: DNSName
    /// RNAME: the responsible person's mailbox, encoded as a name.
    public var responsibleMailbox: DNSName
    /// Zone serial number.
    public var serial: UInt32
    /// Refresh interval in seconds.
    public var refresh: UInt32
    /// Retry interval in seconds.
    public var retry: UInt32
    /// Expiry in seconds.
    public var expire: UInt32
    /// Negative-caching TTL in seconds (RFC 2308).
    public var minimum: UInt32

    /// Creates SOA RDATA.
    public init(
        primaryServer: DNSName,
        responsibleMailbox: DNSName,
        serial: UInt32,
        refresh: UInt32,
        retry: UInt32,
        expire: UInt32,
        minimum: UInt32
    ) {
        self.primaryServer = primaryServer
        self.responsibleMailbox = responsibleMailbox
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }
}
