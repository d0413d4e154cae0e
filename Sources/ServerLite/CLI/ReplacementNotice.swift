/// The one line the CLI prints when `--replace` takes over an existing endpoint, so nothing
/// about the change is silent.
enum ReplacementNotice {
    static func describe(_ before: EndpointRecord, newKind: EndpointRecord.Kind) -> String {
        var line = "replaces endpoint \(before.commonName) (\(before.status.rawValue), serial \(before.certificateSerial ?? "-")): earlier certificates are refused"
        if before.kind != newKind { line += "; kind changes from \(before.kind.rawValue) to \(newKind.rawValue)" }
        return line
    }
}
