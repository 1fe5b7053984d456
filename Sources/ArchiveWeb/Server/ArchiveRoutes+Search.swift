import Archive
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Links
import NIOCore

extension ArchiveRoutes {
    /// The search page: the form, then the current page of results in the user's scope.
    func search(_ request: Request, _ visit: Visit) async -> Response {
        // Read as a form (`+` is a space), not with Hummingbird's percent-decoding alone.
        let form = SearchForm(parameters: FormBody.fields(in: request.uri.query ?? ""))
        let text = ArchivePageText.of(visit.language)
        var values: [String: Any] = [
            "form": ["q": form.query, "after": form.after, "before": form.before, "attachment": form.attachment] as [String: Any],
            "effectiveQuery": form.effectiveQuery,
            "directions": ([""] + SearchForm.directions).map { ["value": $0, "label": text[$0.isEmpty ? "any" : $0]!, "selected": $0 == form.direction] as [String: Any] },
            "orders": ArchiveSortOrder.allCases.map { ["value": $0.rawValue, "label": text[$0.rawValue]!, "selected": $0 == form.order] as [String: Any] },
        ]
        do {
            let query = try ArchiveQuery.parse(form.effectiveQuery)
            let scope = visit.session.account.scope
            let pageSize = settings.pageSize
            let result = try await blocking { [store] in
                try store.index.search(query, scope: scope, order: form.order, limit: pageSize, offset: (form.page - 1) * pageSize)
            }
            try await audit.record(account: visit.session.account.name, action: .search, detail: "\(form.effectiveQuery) [page \(form.page)]", client: visit.client)
            let pageCount = (result.total + pageSize - 1) / pageSize
            values["total"] = result.totalText
            values["hasHits"] = !result.hits.isEmpty
            values["pageNumber"] = form.page
            values["pageCount"] = pageCount > 0 ? pageCount : nil
            if form.page > 1 { values["previousURL"] = form.url(page: form.page - 1) }
            if form.page < pageCount { values["nextURL"] = form.url(page: form.page + 1) }
            values["hits"] = result.hits.map { hit -> [String: Any] in
                let message = hit.message
                return [
                    "id": message.id, "date": pages.format(message.date ?? message.envelope.receivedAt), "from": message.from, "to": message.to,
                    "subject": message.subject.isEmpty ? "—" : message.subject, "size": ArchivePages.size(message.size),
                    "hasAttachment": message.hasAttachment, "held": message.held, "snippetHTML": ArchivePages.snippetHTML(hit.snippet),
                ]
            }
        } catch let error as ArchiveError {
            values["queryError"] = "\(error)"
        } catch {
            logger.error("archive search failed", metadata: ["error": "\(error)"])
            return errorPage(.internalServerError, language: visit.language, session: visit.session, path: visit.path)
        }
        return page("search", title: text["searchTitle"]!, visit: visit, values: values)
    }

    /// The search (every match in the user's scope, up to the export limit) as an mbox or a ZIP of .eml files.
    func export(_ form: [String: String], _ visit: Visit) async -> Response {
        let format = ArchiveExportFormat(rawValue: form["format"] ?? "") ?? .mbox
        let text = form["query"] ?? ""
        do {
            let query = try ArchiveQuery.parse(text)
            let scope = visit.session.account.scope
            let limit = settings.exportLimit
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sekisho-export-\(UUID().uuidString)")
            let file = directory.appendingPathComponent("export.\(format.rawValue)")
            // Written to a temporary file (0600) and streamed from there: an export never sits in
            // the gateway's memory. More messages than the limit is refused, never cut short.
            let count = try await blocking { [store] () throws -> Int in
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                let messages = try store.index.messages(matching: query, scope: scope, limit: limit + 1)
                guard messages.count <= limit else {
                    try? FileManager.default.removeItem(at: directory)
                    throw ArchiveError.query("the search matches more than \(limit) messages: narrow it, or export with `sekisho archive export`")
                }
                do {
                    try store.export(messages, format: format, to: file)
                } catch {
                    try? FileManager.default.removeItem(at: directory)
                    throw error
                }
                return messages.count
            }
            try await audit.record(account: visit.session.account.name, action: .export, detail: "\(format.rawValue) \(count) messages: \(text)", client: visit.client)
            return Self.download(file: file, removing: directory, name: "archive-export.\(format.rawValue)")
        } catch {
            logger.error("archive export failed", metadata: ["error": "\(error)"])
            return errorPage(.badRequest, language: visit.language, session: visit.session, path: visit.path, detail: "\(error)")
        }
    }

    /// Places the search on legal hold (admins).
    func holdSearch(_ form: [String: String], _ visit: Visit) async -> Response {
        guard visit.session.account.isAdmin else { return errorPage(.forbidden, language: visit.language, session: visit.session, path: visit.path) }
        let query = form["query"] ?? ""
        let reason = String((form["reason"] ?? "").prefix(500))
        let name = visit.session.account.name
        do {
            _ = try ArchiveQuery.parse(query)
            let id = try await blocking { [store] in try store.index.holdSearch(query, reason: reason, by: name) }
            try await audit.record(account: name, action: .hold, detail: "hold \(id) search: \(query) (\(reason))", client: visit.client)
            return Self.redirect("/admin")
        } catch {
            return errorPage(.badRequest, language: visit.language, session: visit.session, path: visit.path, detail: "\(error)")
        }
    }

    /// A download: always `application/octet-stream` as an attachment, with the name in
    /// RFC 6266/8187 form, so nothing from a mail is ever rendered by the browser.
    /// Streams `file` in 256 KiB pieces, then removes `directory`.
    static func download(file: URL, removing directory: URL, name: String) -> Response {
        let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
        let body = ResponseBody(contentLength: size) { writer in
            defer { try? FileManager.default.removeItem(at: directory) }
            guard let handle = FileHandle(forReadingAtPath: file.path) else { throw ArchiveError.notFound(file.path) }
            defer { try? handle.close() }
            while let piece = try handle.read(upToCount: 256 * 1024), !piece.isEmpty {
                try await writer.write(ByteBuffer(bytes: piece))
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "application/octet-stream", .contentDisposition: ContentDisposition.attachment(fileName: name), .contentLength: String(size)],
            body: body
        )
    }

    static func download(_ bytes: [UInt8], name: String) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "application/octet-stream", .contentDisposition: ContentDisposition.attachment(fileName: name),
                .contentLength: String(bytes.count),
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
