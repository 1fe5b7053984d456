import Hummingbird

/// The request context of the download server: Hummingbird's core context plus the TCP peer's
/// address (the audit trail and the per-client rate limit need it).
struct LinkRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The TCP peer's IP address, or `unknown`.
    let peerAddress: String

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Password forms are tiny.
    var maxUploadSize: Int { 16 * 1024 }
}
