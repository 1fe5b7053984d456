import Archive
import Foundation
import HTTPTypes
import Hummingbird
import Logging

extension ArchiveRoutes {
    /// Audit entries per admin page.
    static let auditPageSize = 100

    /// Holds, accounts and the audit log (admins; 403 for auditors).
    func admin(_ request: Request, _ visit: Visit) async -> Response {
        guard visit.session.account.isAdmin else { return errorPage(.forbidden, language: visit.language, session: visit.session, path: visit.path) }
        let text = ArchivePageText.of(visit.language)
        let pageNumber = max(1, Int(request.uri.queryParameters.get("page") ?? "") ?? 1)
        do {
            let holds = try await blocking { [store] in try store.index.holds() }
            let entries = try await audit.list(limit: Self.auditPageSize, offset: (pageNumber - 1) * Self.auditPageSize)
            let total = try await audit.count()
            var values: [String: Any] = [
                "holds": holds.map { hold -> [String: Any] in
                    [
                        "id": hold.id, "target": hold.query ?? "\(hold.messageCount) message(s)", "reason": hold.reason, "by": hold.createdBy,
                        "at": pages.format(hold.createdAt), "active": hold.isActive,
                        "released": "\(hold.releasedBy ?? "") \(pages.format(hold.releasedAt))",
                    ]
                },
                "accounts": try await accounts.list().map { account -> [String: Any] in
                    [
                        "name": account.name, "role": text[account.role.rawValue] ?? account.role.rawValue,
                        "domains": account.isAdmin ? text["scopeAll"]! : account.domains.joined(separator: ", "), "disabled": account.disabled,
                    ]
                },
                "audit": entries.map { entry -> [String: Any] in
                    ["at": pages.format(entry.at), "account": entry.account, "action": entry.action.rawValue, "detail": entry.detail, "client": entry.client ?? ""]
                },
            ]
            if pageNumber > 1 { values["previousURL"] = "/admin?page=\(pageNumber - 1)" }
            if pageNumber * Self.auditPageSize < total { values["nextURL"] = "/admin?page=\(pageNumber + 1)" }
            return page("admin", title: text["adminTitle"]!, visit: visit, values: values)
        } catch {
            logger.error("archive admin page failed", metadata: ["error": "\(error)"])
            return errorPage(.internalServerError, language: visit.language, session: visit.session, path: visit.path)
        }
    }

    /// Releases a legal hold (admins).
    func release(_ id: Int64?, _ visit: Visit) async -> Response {
        guard visit.session.account.isAdmin else { return errorPage(.forbidden, language: visit.language, session: visit.session, path: visit.path) }
        guard let id else { return notFound(visit) }
        let name = visit.session.account.name
        do {
            try await blocking { [store] in try store.index.releaseHold(id: id, by: name) }
            try await audit.record(account: name, action: .release, detail: "hold \(id)", client: visit.client)
            return Self.redirect("/admin")
        } catch {
            logger.error("archive release failed", metadata: ["error": "\(error)"])
            return errorPage(.badRequest, language: visit.language, session: visit.session, path: visit.path, detail: "\(error)")
        }
    }
}
