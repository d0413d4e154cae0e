import Hummingbird
import NIOCore
import ZTProtocol

/// Turns the router's own refusals into the API's JSON errors: an unknown path is 404
/// `not_found`, a known path with another method is 405 `method_not_allowed` (with `Allow`),
/// and any other HTTP error keeps its status with a JSON body, so every answer the API gives
/// is `{"code", "message"}` with `Content-Type: application/json`.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The API's paths (`*` matches one segment) and the methods each accepts.
    let routes: [(path: [Substring], methods: [HTTPRequest.Method])]

    init(routes: [(String, [HTTPRequest.Method])]) {
        self.routes = routes.map { (path: $0.0.split(separator: "/"), methods: $0.1) }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let segments = request.uri.path.split(separator: "/")
            let allowed = self.routes.filter { Self.matches($0.path, segments) }.flatMap(\.methods)
            if allowed.isEmpty {
                return APIResponse.json(APIErrorBody(code: .notFound, message: "no such API route: \(request.uri.path)"), status: .notFound)
            }
            var response = APIResponse.json(
                APIErrorBody(code: .methodNotAllowed, message: "\(request.method) is not allowed on \(request.uri.path)"), status: .methodNotAllowed
            )
            response.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
            return response
        } catch let error as HTTPError {
            return APIResponse.json(APIErrorBody(code: .badRequest, message: "the request was refused (\(error.status.code))"), status: error.status)
        }
    }

    private static func matches(_ pattern: [Substring], _ segments: [Substring]) -> Bool {
        pattern.count == segments.count && zip(pattern, segments).allSatisfy { $0 == "*" || $0 == $1 }
    }
}
