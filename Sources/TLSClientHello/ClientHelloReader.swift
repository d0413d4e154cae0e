/// Reads the TLS ClientHello at the start of a connection, for routing on SNI and ALPN without
/// terminating TLS.
///
/// The reader handles a hello fragmented across several handshake records (RFC 8446 section 5.1)
/// and split across TCP reads at any byte. It refuses as early as possible: a wrong content type,
/// record version, record length, handshake type or declared hello length is reported as soon as
/// the header bytes that show it have arrived, so a garbage or slowloris client can be dropped at
/// once (a first byte with the high bit set waits for the third byte, to tell an SSL 2.0
/// CLIENT-HELLO from other garbage). Each call reads from the start of the bytes given, in time linear in the bytes it needs;
/// bytes after the hello's records are never looked at.
public enum ClientHelloReader {
    /// Default limit on the ClientHello handshake message length (body + 4-byte header).
    public static let defaultMaximumLength = 16_384

    /// The largest record payload accepted: 2^14 plus the 256 bytes of slack TLS 1.2 allows for
    /// compression and padding.
    static let maximumRecordLength = 16_384 + 256

    /// The smallest ClientHello body: version, random, empty session id, one cipher suite, one
    /// compression method.
    static let minimumBodyLength = 2 + 32 + 1 + 2 + 2 + 1 + 1

    /// The TLS record content type of handshake messages.
    static let handshakeContentType: UInt8 = 22

    /// The handshake message type of ClientHello.
    static let clientHelloType: UInt8 = 1

    /// Reads `bytes` (the first bytes a client sent) — may be a prefix of the stream.
    ///
    /// - Parameters:
    ///   - bytes: The bytes received so far, from the first byte of the connection. Bytes after
    ///     the records holding the ClientHello are ignored.
    ///   - maximumLength: The largest ClientHello handshake message (body + 4-byte header)
    ///     accepted; a hello declaring more is refused with ``ClientHelloError/tooLarge(_:)`` as
    ///     soon as its handshake header arrives.
    /// - Returns: ``ClientHelloReadResult/needMoreData`` while the bytes are a strict prefix of
    ///   records that may still hold a valid hello, ``ClientHelloReadResult/complete(_:)`` once
    ///   they hold one, ``ClientHelloReadResult/invalid(_:)`` as soon as they cannot.
    public static func read(
        _ bytes: some Collection<UInt8>, maximumLength: Int = defaultMaximumLength
    ) -> ClientHelloReadResult {
        // Every record carries at least one byte of the hello, and the hello's length field tops
        // out at 2^24 - 1: nothing past this many bytes can be needed for an answer.
        let handshakeCap = min(max(maximumLength, minimumBodyLength + 4), (1 << 24) + 3)
        let inputCap = handshakeCap * 6 + 8
        let input = Array(bytes.prefix(inputCap))
        return scan(input, maximumLength: maximumLength)
    }

    /// Walks the records, reassembling the handshake bytes, then parses the complete hello.
    static func scan(_ input: [UInt8], maximumLength: Int) -> ClientHelloReadResult {
        let count = input.count
        var handshake: [UInt8] = []
        var position = 0
        // Sum of the declared lengths of the records seen so far.
        var declaredPayload = 0
        // The hello's handshake message length (4 + body) once its header has arrived.
        var messageLength: Int?
        var isFirstRecord = true

        while true {
            // Record header: content type, version, length.
            guard position < count else { return .needMoreData }
            let contentType = input[position]
            if contentType != handshakeContentType {
                guard isFirstRecord else {
                    return .invalid(.malformed("record of content type \(contentType) before the ClientHello is complete"))
                }
                if contentType & 0x80 != 0 {
                    // A two-byte SSL 2.0 record header; its message type follows.
                    guard position + 3 <= count else { return .needMoreData }
                    if input[position + 2] == clientHelloType {
                        return .invalid(.unsupportedRecordVersion(0x0002))
                    }
                }
                return .invalid(.notHandshake(contentType: contentType))
            }
            guard position + 3 <= count else { return .needMoreData }
            let version = UInt16(input[position + 1]) << 8 | UInt16(input[position + 2])
            guard version >> 8 == 3 else { return .invalid(.unsupportedRecordVersion(version)) }
            guard position + 5 <= count else { return .needMoreData }
            let recordLength = Int(input[position + 3]) << 8 | Int(input[position + 4])
            guard recordLength > 0 else { return .invalid(.malformed("zero-length handshake record")) }
            guard recordLength <= maximumRecordLength else {
                return .invalid(.malformed("record length \(recordLength) exceeds \(maximumRecordLength)"))
            }
            declaredPayload += recordLength
            if let messageLength, declaredPayload > messageLength {
                return .invalid(.malformed(trailingBytesReason(declaredPayload - messageLength)))
            }

            // Record payload, as far as it has arrived.
            let payloadStart = position + 5
            let available = min(recordLength, count - payloadStart)
            handshake.append(contentsOf: input[payloadStart..<(payloadStart + available)])

            // Handshake header, checked as soon as its bytes are in.
            if messageLength == nil {
                if let handshakeType = handshake.first, handshakeType != clientHelloType {
                    return .invalid(.notClientHello(handshakeType: handshakeType))
                }
                if handshake.count >= 4 {
                    let bodyLength = Int(handshake[1]) << 16 | Int(handshake[2]) << 8 | Int(handshake[3])
                    let total = bodyLength + 4
                    guard total <= maximumLength else { return .invalid(.tooLarge(total)) }
                    guard bodyLength >= minimumBodyLength else {
                        return .invalid(.malformed("ClientHello body of \(bodyLength) bytes is shorter than \(minimumBodyLength)"))
                    }
                    messageLength = total
                    if declaredPayload > total {
                        return .invalid(.malformed(trailingBytesReason(declaredPayload - total)))
                    }
                }
            }

            guard available == recordLength else { return .needMoreData }
            position = payloadStart + recordLength
            isFirstRecord = false
            if let messageLength, handshake.count == messageLength {
                do {
                    return .complete(try parse(message: handshake, recordBytes: position))
                } catch {
                    return .invalid(error)
                }
            }
        }
    }

    /// The reason given when the records declare more bytes than the hello needs.
    private static func trailingBytesReason(_ extra: Int) -> String {
        "\(extra) bytes after the ClientHello in its last record"
    }
}
