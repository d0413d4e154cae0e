import Hummingbird
import NIOCore

/// Hummingbird request context that keeps the connection, so handlers can read the client
/// certificate of mutual-TLS requests.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
