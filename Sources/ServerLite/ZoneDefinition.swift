/// A private zone as the operator writes it (zones.json, the ZeroTrust seed's shape):
///
/// ```json
/// "internal.corp": {
///   "records": { "@": "A 203.0.113.50", "db": ["A 203.0.113.50", "TXT \"v=1\""] },
///   "service_cn": "s1234abcd5678",
///   "allowed_endpoints": ["c1234abcd", "s1234abcd5678"]
/// }
/// ```
///
/// Record owners are relative to the zone ("@" is the apex); record text is "TYPE DATA" in zone
/// file syntax, with names in data relative to the zone unless they end in a dot.
public struct ZoneDefinition: Codable, Sendable, Hashable {
    /// Relative owner name -> record texts.
    public var records: [String: [String]]
    /// The service endpoint that owns the zone, if any.
    public var serviceCommonName: String?
    /// CNs allowed to resolve names in the zone.
    public var allowedEndpoints: [String]
    /// TTL of the zone's records; the server default when nil.
    public var ttl: UInt32?

    enum CodingKeys: String, CodingKey {
        case records
        case serviceCommonName = "service_cn"
        case allowedEndpoints = "allowed_endpoints"
        case ttl
    }

    public init(records: [String: [String]] = [:], serviceCommonName: String? = nil, allowedEndpoints: [String] = [], ttl: UInt32? = nil) {
        self.records = records
        self.serviceCommonName = serviceCommonName
        self.allowedEndpoints = allowedEndpoints
        self.ttl = ttl
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // Each owner maps to one record text or a list of them.
        let raw = try container.decodeIfPresent([String: RecordTexts].self, forKey: .records) ?? [:]
        self.records = raw.mapValues(\.texts)
        self.serviceCommonName = try container.decodeIfPresent(String.self, forKey: .serviceCommonName)
        self.allowedEndpoints = try container.decodeIfPresent([String].self, forKey: .allowedEndpoints) ?? []
        self.ttl = try container.decodeIfPresent(UInt32.self, forKey: .ttl)
    }

    private struct RecordTexts: Decodable {
        var texts: [String]
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let one = try? container.decode(String.self) {
                self.texts = [one]
            } else {
                self.texts = try container.decode([String].self)
            }
        }
    }
}
