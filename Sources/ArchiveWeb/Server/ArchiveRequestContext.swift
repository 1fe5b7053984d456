import Hummingbird

/// The web UI's request context: Hummingbird's core context plus the TCP peer's address (for
/// the audit log and the sign-in rate limit).
public struct ArchiveRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer's IP address, or `unknown`.
    public let peerAddress: String

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Forms are small (a query, a reason).
    public var maxUploadSize: Int { 64 * 1024 }
}
