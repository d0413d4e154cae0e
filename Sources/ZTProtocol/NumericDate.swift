import Foundation

/// A JWT NumericDate as this package writes it: whole seconds since 1970 (RFC 7519 section 2).
enum NumericDate {
    /// `date` in whole seconds, toward zero (what `Int64(_:)` gave before). A date no Int64 can
    /// hold, which a decoded claim may carry (`"iat": 1e30` decodes), is an encoding error
    /// rather than a trap.
    static func seconds(_ date: Date, codingPath: [any CodingKey]) throws -> Int64 {
        guard let seconds = Int64(exactly: date.timeIntervalSince1970.rounded(.towardZero)) else {
            throw EncodingError.invalidValue(
                date,
                EncodingError.Context(codingPath: codingPath, debugDescription: "\(date.timeIntervalSince1970) s is not a whole-second NumericDate")
            )
        }
        return seconds
    }
}
