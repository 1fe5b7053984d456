import Archive
import Foundation
import HTTPTypes
import Hummingbird
import Links
import Logging

extension ArchiveRoutes {
    func loginPage(_ request: Request, _ context: ArchiveRequestContext, status: HTTPResponse.Status = .ok, error: String? = nil, name: String = "") -> Response {
        let language = language(for: request)
        let text = ArchivePageText.of(language)
        var values: [String: Any] = ["name": name]
        if let error { values["error"] = error }
        return Self.html(status, pages.render("login", language: language, title: text["loginTitle"]!, session: nil, path: "/login", values: values))
    }

    /// Checks the name and password (rate-limited per name and client, audited either way),
    /// starts a session and sets the cookie.
    func login(_ request: Request, _ context: ArchiveRequestContext) async -> Response {
        let text = ArchivePageText.of(language(for: request))
        let client = client(request, context)
        guard Self.isSameOrigin(request) else { return loginPage(request, context, status: .forbidden, error: text["forbiddenText"]) }
        do {
            var request = request
            let form = FormBody.fields(in: String(buffer: try await request.collectBody(upTo: context.maxUploadSize)))
            let name = String((form["name"] ?? "").prefix(64))
            let password = form["password"] ?? ""
            if try await settings.throttle.isBlocked(account: name, client: client, audit: audit) {
                try await audit.record(account: name, action: .loginThrottled, client: client)
                return loginPage(request, context, status: .tooManyRequests, error: text["throttled"], name: name)
            }
            guard let account = try await accounts.verify(name: name, password: password) else {
                try await audit.record(account: name, action: .loginFailed, client: client)
                logger.notice("archive sign-in failed", metadata: ["account": "\(name)", "client": "\(client)"])
                return loginPage(request, context, status: .unauthorized, error: text["badLogin"], name: name)
            }
            let (token, _) = try await sessions.start(for: account, client: client)
            try await audit.record(account: account.name, action: .login, client: client)
            logger.info("archive sign-in", metadata: ["account": "\(account.name)", "client": "\(client)"])
            return Self.redirect("/search", cookie: cookie.setting(token))
        } catch {
            logger.error("archive sign-in failed", metadata: ["error": "\(error)"])
            return loginPage(request, context, status: .internalServerError, error: text["errorText"])
        }
    }

    func logout(_ request: Request, _ visit: Visit) async -> Response {
        if let token = cookie.token(in: request.headers[.cookie]) { try? await sessions.end(token: token) }
        try? await audit.record(account: visit.session.account.name, action: .logout, client: visit.client)
        return Self.redirect("/login", cookie: cookie.clearing)
    }
}
