import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The download server's endpoints (docs/links.md, "HTTP endpoints"):
///
/// | request | answer |
/// | --- | --- |
/// | `GET /l/<token>` | the download page (ja/en), or a refusal page |
/// | `GET /l/<token>/<index>` | the file, for links without a password (403 for others) |
/// | `POST /l/<token>/<index>` | the file, with the form field `password` |
/// | `GET /r/<revoke token>` | a confirmation page |
/// | `POST /r/<revoke token>` | revokes the link |
/// | `GET /healthz` | `ok` |
///
/// Tokens never reach a log line: handlers log the link id.
struct LinkRoutes: Sendable {
    let store: LinkStore
    let settings: LinkSettings
    let logger: Logger
    let onFirstDownload: (@Sendable (FirstDownload) async -> Void)?

    func router() -> Router<LinkRequestContext> {
        let router = Router(context: LinkRequestContext.self)
        router.add(middleware: SecurityHeaders())
        router.get("/healthz") { _, _ in "ok" }
        router.get("/l/:token") { request, context in await page(request, context) }
        router.get("/l/:token/:index") { request, context in await download(request, context, viaForm: false) }
        router.post("/l/:token/:index") { request, context in await download(request, context, viaForm: true) }
        router.get("/r/:token") { request, context in await revokeConfirmation(request, context) }
        router.post("/r/:token") { request, context in await revoke(request, context) }
        return router
    }

    private func page(_ request: Request, _ context: LinkRequestContext) async -> Response {
        let token = context.parameters.get("token") ?? ""
        let pages = pages(for: request)
        do {
            switch try await store.page(token: token, client: client(request, context)) {
            case .found(let view):
                return Self.html(.ok, pages.downloadPage(view, token: token))
            case .refused(let outcome):
                return Self.html(HTTPResponse.Status(code: outcome.status), pages.refusalPage(outcome))
            }
        } catch {
            logger.error("link page failed", metadata: ["error": "\(error)"])
            return Self.html(.internalServerError, pages.refusalPage(.corrupt))
        }
    }

    private func download(_ request: Request, _ context: LinkRequestContext, viaForm: Bool) async -> Response {
        let token = context.parameters.get("token") ?? ""
        let index = context.parameters.get("index", as: Int.self) ?? -1
        let pages = pages(for: request)
        var password: String?
        if viaForm {
            var request = request
            let body = try? await request.collectBody(upTo: context.maxUploadSize)
            password = body.flatMap { FormBody.value(of: "password", in: String(buffer: $0)) }
        }
        do {
            switch try await store.beginDownload(
                token: token, fileIndex: index, password: password, client: client(request, context))
            {
            case .refused(let outcome, let linkID):
                logger.info(
                    "download refused",
                    metadata: [
                        "link.id": "\(linkID.map(String.init) ?? "-")", "link.file": "\(index)",
                        "outcome": "\(outcome)",
                    ])
                let back =
                    [.badPassword, .passwordRequired, .rateLimited].contains(outcome)
                    ? "../\(token)?lang=\(pages.language.rawValue)" : nil
                return Self.html(HTTPResponse.Status(code: outcome.status), pages.refusalPage(outcome, back: back))
            case .granted(let ticket):
                return await DownloadResponse.make(
                    ticket, store: store, logger: logger, pages: pages, onFirstDownload: onFirstDownload)
            }
        } catch {
            logger.error("download failed", metadata: ["error": "\(error)"])
            return Self.html(.internalServerError, pages.refusalPage(.corrupt))
        }
    }

    private func revokeConfirmation(_ request: Request, _ context: LinkRequestContext) async -> Response {
        let token = context.parameters.get("token") ?? ""
        let pages = pages(for: request)
        do {
            switch try await store.revokeTarget(revokeToken: token) {
            case .notFound:
                try await store.recordAudit(
                    linkID: nil, client: client(request, context), fileIndex: nil, outcome: .notFound)
                return Self.html(.notFound, pages.refusalPage(.notFound))
            case .found(_, let subject, let alreadyRevoked):
                return Self.html(
                    .ok,
                    alreadyRevoked
                        ? pages.revokedPage(alreadyRevoked: true)
                        : pages.revokeConfirmPage(subject: subject, revokeToken: token))
            }
        } catch {
            logger.error("revoke page failed", metadata: ["error": "\(error)"])
            return Self.html(.internalServerError, pages.refusalPage(.corrupt))
        }
    }

    private func revoke(_ request: Request, _ context: LinkRequestContext) async -> Response {
        let token = context.parameters.get("token") ?? ""
        let pages = pages(for: request)
        do {
            switch try await store.revokeByURL(revokeToken: token, client: client(request, context)) {
            case .notFound:
                return Self.html(.notFound, pages.refusalPage(.notFound))
            case .found(let id, _, let alreadyRevoked):
                logger.info(
                    "link revoked through its revoke URL",
                    metadata: ["link.id": "\(id)", "already": "\(alreadyRevoked)"])
                return Self.html(.ok, pages.revokedPage(alreadyRevoked: alreadyRevoked))
            }
        } catch {
            logger.error("revoke failed", metadata: ["error": "\(error)"])
            return Self.html(.internalServerError, pages.refusalPage(.corrupt))
        }
    }

    /// The client as the audit trail records it.
    private func client(_ request: Request, _ context: LinkRequestContext) -> ClientInfo {
        var address = context.peerAddress
        if settings.trustForwardedFor, let forwarded = request.headers[Self.forwardedFor],
            let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !last.isEmpty
        {
            address = String(last.prefix(64))
        }
        return ClientInfo(address: address, userAgent: request.headers[.userAgent].map { String($0.prefix(300)) })
    }

    private func pages(for request: Request) -> LinkPages {
        let language = LinkLanguage.negotiate(
            query: request.uri.queryParameters.get("lang"), acceptLanguage: request.headers[.acceptLanguage],
            fallback: settings.defaultLanguage)
        return LinkPages(language: language, timeZone: settings.timeZone)
    }

    private static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    static func html(_ status: HTTPResponse.Status, _ page: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: page)))
    }
}

/// `application/x-www-form-urlencoded` fields.
public enum FormBody {
    /// The first value of `name`, decoded (`+` is a space), or `nil` when absent or malformed.
    public static func value(of name: String, in body: String) -> String? {
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard decode(parts[0]) == name else { continue }
            return parts.count == 2 ? decode(parts[1]) : ""
        }
        return nil
    }

    /// Every field, the first value of each name (malformed pairs skipped).
    public static func fields(in body: String) -> [String: String] {
        var fields = [String: String]()
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]), fields[name] == nil, let value = parts.count == 2 ? decode(parts[1]) : "" else { continue }
            fields[name] = value
        }
        return fields
    }

    private static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
