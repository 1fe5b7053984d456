import HTTPTypes
import Hummingbird

/// Adds the security headers to every response: a strict Content-Security-Policy (by default
/// inline styles only, forms to this origin only), `nosniff`, no referrer (the URL holds the
/// token), no caching, no framing. The archive's web UI uses it with its own policy.
public struct SecurityHeaders<Context: RequestContext>: RouterMiddleware {
    /// The download pages' policy.
    public static var contentSecurityPolicy: String {
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    }

    /// The policy this middleware sets (unless a handler already set one).
    public let policy: String

    /// - Parameter policy: the `Content-Security-Policy`; the download pages' when omitted.
    public init(policy: String = Self.contentSecurityPolicy) {
        self.policy = policy
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var response = try await next(request, context)
        Self.apply(to: &response.headers, policy: policy)
        return response
    }

    /// Sets the headers; a `Content-Security-Policy` the handler set (a stricter one) is kept.
    public static func apply(to headers: inout HTTPFields, policy: String = Self.contentSecurityPolicy) {
        if headers[.contentSecurityPolicy] == nil { headers[.contentSecurityPolicy] = policy }
        headers[.xContentTypeOptions] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
    }
}
