/// The one rule for route and service names, shared by the server (`ztserver route add`, the
/// service API) and the agent (`ztagent service add`): 1-63 of letters, digits, `-`, `_` and
/// `.`, so every name can be shown, listed and removed through every path (it appears in the
/// API's URL path `/v1/services/NAME`).
public enum ServiceName {
    /// The rule in words, for error messages.
    public static let rule = "1-63 of A-Z a-z 0-9 - _ ."

    public static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 63 && name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
    }
}
