import Foundation
import Hummingbird
import NIOCore

/// JSON responses of the API, with sorted keys and `Content-Type: application/json`.
enum APIResponse {
    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data("{\"code\":\"internal_error\",\"message\":\"encoding failed\"}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
