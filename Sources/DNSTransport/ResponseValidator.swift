import DNSWire

/// Checks that bytes received from upstream are an answer to the query that was asked.
public enum ResponseValidator {
    /// Parses `bytes` and checks it is a response to `query`: QR set, same opcode, same questions.
    public static func validate(_ bytes: [UInt8], answering query: DNSMessage) -> Result<DNSMessage, DNSUpstreamError> {
        let response: DNSMessage
        do {
            response = try DNSMessage(parsing: bytes)
        } catch {
            return .failure(.malformedResponse("\(error)"))
        }
        guard response.header.isResponse else {
            return .failure(.malformedResponse("QR bit not set"))
        }
        guard response.header.id == query.header.id else {
            return .failure(.malformedResponse("ID does not match"))
        }
        // A server may answer FORMERR/NOTIMP without echoing the question; otherwise it must match.
        if !response.questions.isEmpty || response.responseCode == .noError || response.responseCode == .nameError {
            guard response.questions == query.questions else {
                return .failure(.malformedResponse("question does not match the query"))
            }
        }
        return .success(response)
    }
}
