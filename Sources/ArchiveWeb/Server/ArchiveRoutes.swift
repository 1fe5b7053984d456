import Archive
import Foundation
import HTTPTypes
import Hummingbird
import Links
import Logging
import NIOCore
import NIOPosix

/// The web UI's endpoints (docs/archive.md, "Web UI"):
///
/// | request | answer |
/// | --- | --- |
/// | `GET /login`, `POST /login` | sign-in (rate-limited: 429) |
/// | `POST /logout` | ends the session |
/// | `GET /search?q=&after=&before=&direction=&attachment=&order=&page=` | results in the user's scope |
/// | `GET /message/<id>` | the message (404 outside the scope) |
/// | `GET /message/<id>/eml`, `GET /message/<id>/attachment/<n>` | downloads |
/// | `POST /export` | the search as mbox or ZIP of .eml |
/// | `POST /message/<id>/hold`, `POST /holds`, `POST /holds/<id>/release` | legal holds (admins) |
/// | `GET /admin` | holds, accounts, audit log (admins) |
/// | `GET /healthz` | `ok` |
///
/// Every POST but sign-in carries the session's CSRF token; every page that shows a message
/// or a search is audited. Tokens and passwords never reach a log line.
struct ArchiveRoutes: Sendable {
    let store: ArchiveStore
    let accounts: ArchiveAccounts
    let sessions: ArchiveSessions
    let audit: ArchiveAudit
    let settings: ArchiveWebSettings
    let pages: ArchivePages
    let logger: Logger

    var cookie: SessionCookie { SessionCookie(secure: settings.usesTLS, lifetime: settings.sessionLifetime) }

    /// Everything a page under a session needs.
    struct Visit {
        var session: ArchiveSession
        var language: LinkLanguage
        var client: String
        var path: String
    }

    func router() -> Router<ArchiveRequestContext> {
        let router = Router(context: ArchiveRequestContext.self)
        router.add(middleware: SecurityHeaders(policy: Self.contentSecurityPolicy))
        router.get("/healthz") { _, _ in "ok" }
        router.get("/") { _, _ in Self.redirect("/search") }
        router.get("/login") { request, context in loginPage(request, context) }
        router.post("/login") { request, context in await login(request, context) }
        router.post("/logout") { request, context in await signedIn(request, context, post: true) { visit, _ in await logout(request, visit) } }
        router.get("/search") { request, context in await signedIn(request, context) { visit, _ in await search(request, visit) } }
        router.post("/export") { request, context in await signedIn(request, context, post: true) { visit, form in await export(form, visit) } }
        router.post("/holds") { request, context in await signedIn(request, context, post: true) { visit, form in await holdSearch(form, visit) } }
        router.post("/holds/:id/release") { request, context in
            await signedIn(request, context, post: true) { visit, _ in await release(context.parameters.get("id", as: Int64.self), visit) }
        }
        router.get("/message/:id") { request, context in
            await signedIn(request, context) { visit, _ in await message(context.parameters.get("id", as: Int64.self), visit) }
        }
        router.get("/message/:id/eml") { request, context in
            await signedIn(request, context) { visit, _ in await downloadEML(context.parameters.get("id", as: Int64.self), visit) }
        }
        router.get("/message/:id/attachment/:index") { request, context in
            await signedIn(request, context) { visit, _ in
                await downloadAttachment(context.parameters.get("id", as: Int64.self), context.parameters.get("index", as: Int.self), visit)
            }
        }
        router.post("/message/:id/hold") { request, context in
            await signedIn(request, context, post: true) { visit, form in await holdMessage(context.parameters.get("id", as: Int64.self), form, visit) }
        }
        router.get("/admin") { request, context in await signedIn(request, context) { visit, _ in await admin(request, visit) } }
        return router
    }

    /// No script at all, no remote loads; images only from this origin or inline (`data:`);
    /// styles inline; forms to this origin; never framed.
    static let contentSecurityPolicy =
        "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// Runs `body` for a signed-in user (else: a GET goes to the sign-in page, a POST gets 403).
    /// For a POST the form is read and its `csrf` field checked first (403 when it does not match).
    func signedIn(
        _ request: Request, _ context: ArchiveRequestContext, post: Bool = false,
        _ body: (Visit, [String: String]) async throws -> Response
    ) async -> Response {
        let language = language(for: request)
        let path = request.uri.path
        do {
            guard let token = cookie.token(in: request.headers[.cookie]), let session = try await sessions.session(token: token) else {
                return post ? errorPage(.forbidden, language: language, session: nil, path: path) : Self.redirect("/login")
            }
            let visit = Visit(session: session, language: language, client: client(request, context), path: request.uri.description)
            var form = [String: String]()
            if post {
                guard Self.isSameOrigin(request) else { return errorPage(.forbidden, language: language, session: session, path: path) }
                var request = request
                let buffer = try await request.collectBody(upTo: context.maxUploadSize)
                form = FormBody.fields(in: String(buffer: buffer))
                guard session.acceptsCSRF(form["csrf"]) else {
                    logger.notice("POST without a valid CSRF token", metadata: ["account": "\(session.account.name)", "path": "\(path)"])
                    return errorPage(.forbidden, language: language, session: session, path: path)
                }
            }
            var response = try await body(visit, form)
            if let chosen = request.uri.queryParameters.get("lang"), LinkLanguage(rawValue: chosen) != nil {
                response.headers.append(HTTPField(name: .setCookie, value: "lang=\(chosen); Path=/; SameSite=Strict"))
            }
            return response
        } catch {
            logger.error("archive web request failed", metadata: ["path": "\(path)", "error": "\(error)"])
            return errorPage(.internalServerError, language: language, session: nil, path: path)
        }
    }

    /// Whether a POST comes from a page of this server: an `Origin` header, when the browser
    /// sends one, must name the `Host` the request went to (a layer beside the CSRF token).
    static func isSameOrigin(_ request: Request) -> Bool {
        guard let origin = request.headers[.origin], origin != "null" else { return true }
        guard let host = request.head.authority, let parsed = URL(string: origin), let originHost = parsed.host else { return false }
        let originAuthority = parsed.port.map { "\(originHost):\($0)" } ?? originHost
        return originAuthority.lowercased() == host.lowercased()
    }

    /// `?lang=`, then the `lang` cookie, then `Accept-Language`, then the default.
    func language(for request: Request) -> LinkLanguage {
        let chosen = request.uri.queryParameters.get("lang") ?? SessionCookie.value(of: "lang", in: request.headers[.cookie])
        return LinkLanguage.negotiate(query: chosen, acceptLanguage: request.headers[.acceptLanguage], fallback: settings.defaultLanguage)
    }

    /// The client's address as audited and rate-limited.
    func client(_ request: Request, _ context: ArchiveRequestContext) -> String {
        if settings.trustForwardedFor, let forwarded = request.headers[HTTPField.Name("X-Forwarded-For")!],
            let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !last.isEmpty
        {
            return String(last.prefix(64))
        }
        return context.peerAddress
    }

    /// Runs blocking work (SQLite, files, hashing) off the cooperative pool.
    func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(work)
    }

    func page(_ template: String, title: String, visit: Visit, values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        Self.html(status, pages.render(template, language: visit.language, title: title, session: visit.session, path: visit.path, values: values))
    }

    func errorPage(_ status: HTTPResponse.Status, language: LinkLanguage, session: ArchiveSession?, path: String, detail: String? = nil) -> Response {
        let text = ArchivePageText.of(language)
        let (title, body): (String, String) =
            switch status {
            case .notFound: (text["notFoundTitle"]!, text["notFoundText"]!)
            case .forbidden: (text["forbiddenTitle"]!, text["forbiddenText"]!)
            default: (text["errorTitle"]!, detail ?? text["errorText"]!)
            }
        return Self.html(status, pages.render("error", language: language, title: title, session: session, path: path, values: ["text": body]))
    }

    static func html(_ status: HTTPResponse.Status, _ page: String) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    /// 303 See Other to `location` (after a POST, or to the sign-in page).
    static func redirect(_ location: String, cookie: String? = nil) -> Response {
        var headers: HTTPFields = [.location: location]
        if let cookie { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: .seeOther, headers: headers)
    }
}
