import Archive
import Foundation
import HTTPTypes
import Hummingbird
import Logging

extension ArchiveRoutes {
    /// The message in the user's scope with its stored bytes, or `nil` (then the caller
    /// answers 404 and the attempt is audited as `denied`).
    func scopedMessage(_ id: Int64?, _ visit: Visit) async throws -> (ArchivedMessage, [UInt8])? {
        let scope = visit.session.account.scope
        guard let id, let message = try await blocking({ [store] in try store.index.message(id: id, scope: scope) }) else {
            try await audit.record(account: visit.session.account.name, action: .denied, detail: "message \(id.map(String.init) ?? "?")", client: visit.client)
            return nil
        }
        let bytes = try await blocking { [store] in try store.bytes(of: message) }
        return (message, bytes)
    }

    func notFound(_ visit: Visit) -> Response {
        errorPage(.notFound, language: visit.language, session: visit.session, path: visit.path)
    }

    /// The message page: header fields, envelope, attachments, the sanitized HTML in a
    /// sandboxed frame, the text, every header field.
    func message(_ id: Int64?, _ visit: Visit) async -> Response {
        do {
            guard let (message, bytes) = try await scopedMessage(id, visit) else { return notFound(visit) }
            let view = try await blocking { try ArchivedMessageView(bytes: bytes) }
            try await audit.record(account: visit.session.account.name, action: .view, detail: "message \(message.id): \(message.subject)", client: visit.client)
            let text = ArchivePageText.of(visit.language)
            var values: [String: Any] = [
                "id": message.id, "held": message.held, "date": view.dateText ?? pages.format(message.date),
                "envelopeSender": message.envelope.sender.isEmpty ? "<>" : message.envelope.sender,
                "envelopeRecipients": message.envelope.recipients.joined(separator: ", "),
                "received": pages.format(message.envelope.receivedAt), "direction": text[message.envelope.direction] ?? message.envelope.direction,
                "message": [
                    "subject": view.subject.isEmpty ? "—" : view.subject, "from": view.from, "to": view.to, "cc": view.cc,
                    "messageID": view.messageID ?? "", "text": view.text,
                    "headers": view.headers.map { ["name": $0.name, "value": $0.value] },
                ] as [String: Any],
                "hasAttachments": !view.attachments.isEmpty, "hasCc": !view.cc.isEmpty,
                "attachments": view.attachments.map {
                    ["index": $0.index, "filename": $0.filename, "contentType": $0.contentType, "size": ArchivePages.size($0.size), "isInline": $0.isInline] as [String: Any]
                },
            ]
            if let html = view.html {
                var frame: [String: Any] = ["srcdoc": ArchivePages.frameDocument(html.html)]
                if html.blockedRemoteContent > 0 {
                    frame["blockedNotice"] = text["blockedRemote"]!.replacingOccurrences(of: "%d", with: String(html.blockedRemoteContent))
                }
                values["html"] = frame
            }
            return page("message", title: view.subject.isEmpty ? text["messageTitle"]! : view.subject, visit: visit, values: values)
        } catch {
            logger.error("archive message view failed", metadata: ["id": "\(id.map(String.init) ?? "?")", "error": "\(error)"])
            return errorPage(.internalServerError, language: visit.language, session: visit.session, path: visit.path)
        }
    }

    /// The stored message as an `.eml` download (digest-checked by the store).
    func downloadEML(_ id: Int64?, _ visit: Visit) async -> Response {
        do {
            guard let (message, bytes) = try await scopedMessage(id, visit) else { return notFound(visit) }
            try await audit.record(account: visit.session.account.name, action: .downloadEML, detail: "message \(message.id)", client: visit.client)
            return Self.download(bytes, name: "message-\(message.id).eml")
        } catch {
            logger.error("archive download failed", metadata: ["id": "\(id.map(String.init) ?? "?")", "error": "\(error)"])
            return errorPage(.internalServerError, language: visit.language, session: visit.session, path: visit.path)
        }
    }

    /// One attachment, decoded, always as a download under its decoded name.
    func downloadAttachment(_ id: Int64?, _ index: Int?, _ visit: Visit) async -> Response {
        do {
            guard let (message, bytes) = try await scopedMessage(id, visit) else { return notFound(visit) }
            let view = try await blocking { try ArchivedMessageView(bytes: bytes) }
            guard let index, let item = view.attachments.first(where: { $0.index == index }) else { return notFound(visit) }
            let content = try await blocking { try view.attachmentContent(index) }
            try await audit.record(
                account: visit.session.account.name, action: .downloadAttachment, detail: "message \(message.id) attachment \(index): \(item.filename)",
                client: visit.client)
            return Self.download(content, name: item.safeFilename)
        } catch {
            logger.error("archive attachment download failed", metadata: ["id": "\(id.map(String.init) ?? "?")", "error": "\(error)"])
            return errorPage(.internalServerError, language: visit.language, session: visit.session, path: visit.path)
        }
    }

    /// Places one message on legal hold (admins).
    func holdMessage(_ id: Int64?, _ form: [String: String], _ visit: Visit) async -> Response {
        guard visit.session.account.isAdmin else { return errorPage(.forbidden, language: visit.language, session: visit.session, path: visit.path) }
        let name = visit.session.account.name
        let reason = String((form["reason"] ?? "").prefix(500))
        do {
            guard let id, try await blocking({ [store] in try store.index.message(id: id, scope: .everything) }) != nil else { return notFound(visit) }
            let hold = try await blocking { [store] in try store.index.holdMessage(id: id, reason: reason, by: name) }
            try await audit.record(account: name, action: .hold, detail: "hold \(hold) message \(id) (\(reason))", client: visit.client)
            return Self.redirect("/message/\(id)")
        } catch {
            logger.error("archive hold failed", metadata: ["error": "\(error)"])
            return errorPage(.internalServerError, language: visit.language, session: visit.session, path: visit.path)
        }
    }
}
