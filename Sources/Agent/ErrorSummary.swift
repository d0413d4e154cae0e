import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One line of text for an error that is about to be shown to an operator, without Foundation's
/// `NSCocoaErrorDomain` dumps or `DecodingError`'s nested contexts. Used only to describe
/// errors; callers keep the error itself as the typed cause.
enum ErrorSummary {
    /// A one-line reason: POSIX errors by `strerror`, decoding errors by what and where.
    static func line(_ error: any Error) -> String {
        let text: String
        switch error {
        case let decoding as DecodingError:
            text = Self.decoding(decoding)
        case let posix as POSIXError:
            text = String(cString: strerror(posix.code.rawValue))
        default:
            let bridged = error as NSError
            if let underlying = bridged.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
                text = String(cString: strerror(Int32(underlying.code)))
            } else if bridged.domain == NSPOSIXErrorDomain {
                text = String(cString: strerror(Int32(bridged.code)))
            } else if bridged.domain == NSCocoaErrorDomain {
                text = bridged.localizedDescription
            } else if let described = error as? CustomStringConvertible {
                text = described.description
            } else {
                text = String(describing: error)
            }
        }
        return Self.oneLine(text)
    }

    /// What a `DecodingError` says, with the JSON path it happened at.
    static func decoding(_ error: DecodingError) -> String {
        func at(_ path: [any CodingKey]) -> String {
            guard !path.isEmpty else { return "" }
            var text = ""
            for key in path {
                if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return " at " + text
        }
        switch error {
        case .dataCorrupted(let context):
            var what = context.debugDescription.trimmingCharacters(in: CharacterSet(charactersIn: "."))
            if let detail = (context.underlyingError as NSError?)?.userInfo["NSDebugDescription"] as? String {
                what += ": " + detail.trimmingCharacters(in: CharacterSet(charactersIn: "."))
            }
            return what + at(context.codingPath)
        case .keyNotFound(let key, let context):
            return "missing field \"\(key.stringValue)\"\(at(context.codingPath))"
        case .typeMismatch(let type, let context):
            return "expected \(type)\(at(context.codingPath))"
        case .valueNotFound(let type, let context):
            return "missing \(type) value\(at(context.codingPath))"
        @unknown default:
            return "\(error)"
        }
    }

    /// Newlines and runs of whitespace folded into single spaces.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: { $0.isNewline }).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }
}
