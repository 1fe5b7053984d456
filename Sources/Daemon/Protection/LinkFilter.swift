import Foundation
import Links
import MailMessage
import Policy

/// The `link` action's parameters, typed (rule parameters over `filters.link`).
public struct LinkFilterSettings: Sendable {
    /// How long the link works (default: `links.lifetime`).
    public var lifetime: Duration?
    /// Downloads allowed per file (default: `links.maximum_downloads`).
    public var maximumDownloads: Int?
    /// A password on the download page; `nil`: none.
    public var password: PasswordSource?
    /// Who is told: the sender gets the link and its revoke page; with a password, the password.
    public var notify = EncryptSettings.NoticeRecipients.sender
    /// Mail the sender when a file is first downloaded.
    public var notifyFirstDownload = false
    /// The language of the text that replaces the attachments.
    public var language = NoticeLanguage.both
    public var includeInline = false
    public var notice = NoticeSettings()
    public var timeZone = TimeZone.current
    public var subjectKeywords: [String] = []

    public init() {}

    public init(_ parameters: [String: String], filter: String = "link") throws(FilterError) {
        var reader = ParameterReader(parameters, filter: filter)
        lifetime = try reader.duration("lifetime")
        if let lifetime, lifetime < .seconds(60) { throw reader.error("lifetime", "must be at least a minute") }
        if reader.string("maximum_downloads") != nil {
            maximumDownloads = try reader.integer("maximum_downloads", default: 1, range: 1...1_000_000)
        }
        let length = try reader.integer("password_length", default: PasswordSource.defaultLength, range: 6...128)
        switch reader.string("password").map({ ["random", "none"].contains($0.lowercased()) ? $0.lowercased() : $0 }) {
        case nil, "none": password = nil
        case "random": password = .random(length: length, alphabet: PasswordSource.defaultAlphabet)
        case .some(let pattern) where pattern.isEmpty: throw reader.error("password", "is empty (say none, random or a fixed pattern)")
        case .some(let pattern): password = .fixed(TimePattern(pattern))
        }
        notify = try reader.choice("notify", default: .sender)
        if notify == .none, password?.isRandom == true { throw reader.error("notify", "none with a random password: nobody could open the files") }
        notifyFirstDownload = try reader.bool("notify_first_download", default: false)
        language = try reader.choice("language", default: .both)
        includeInline = try reader.bool("include_inline", default: false)
        notice = try NoticeSettings(&reader)
        if let zone = reader.string("time_zone") {
            guard let parsed = TimeZone(identifier: zone) else { throw reader.error("time_zone", "unknown time zone \(zone)") }
            timeZone = parsed
        }
        subjectKeywords = reader.list("strip_subject")
        try reader.finish()
    }
}

/// `link`: stores the attachments (encrypted, docs/links.md) and replaces them with a download
/// link in the message's text and HTML; the sender is told the link and how to revoke it, and
/// the password (when the link has one) goes out as a separate notice.
public struct LinkFilter: MessageFilter {
    public let name = "link"
    public let stage = FilterStage.transform
    let store: (any LinkCreating)?
    let server: LinkServerSettings?

    public init(store: (any LinkCreating)?, server: LinkServerSettings?) {
        self.store = store
        self.server = server
    }

    public func run(_ work: FilterWork, parameters: [String: String]) async throws -> FilterWork {
        let settings = try LinkFilterSettings(parameters, filter: name)
        guard let store, let server else { throw FilterError(filter: name, reason: "the links: section is not configured") }
        var work = work
        var message = work.message
        let now = Date()
        let subject = SubjectKeywords.remove(settings.subjectKeywords, from: &message)
        if AttachmentSelection.isSignedOrEncrypted(message) {
            work.notes.append("signed or encrypted message: attachments left as they are (a change would break it)")
            work.takeHeaderChanges(from: message)
            return work
        }
        let selected = AttachmentSelection.choose(in: &message, includeInline: settings.includeInline, skipEncryptedArchives: false, notes: &work.notes)
        guard !selected.isEmpty else {
            work.takeHeaderChanges(from: message)
            return work
        }
        let names = AttachmentSelection.uniqueNames(selected.map { AttachmentSelection.displayName($0, message: message) })
        let files = zip(selected, names).map { attachment, fileName -> (name: String, contentType: String, content: NewLink.Content) in
            let entity = message.entity(at: attachment.address)
            return (fileName, attachment.contentType, { sink in _ = try entity?.forEachDecodedChunk(sink) })
        }
        let password = settings.password?.password(at: now, timeZone: settings.timeZone)
        let lifetime = settings.lifetime ?? server.lifetime
        let expires = now.addingTimeInterval(Double(lifetime.components.seconds))
        let link = try await store.create(NewLink(
            files: files, expires: expires, maximumDownloads: settings.maximumDownloads ?? server.maximumDownloads, password: password?.value,
            sender: work.facts.sender, recipients: work.recipients, subject: subject, messageID: work.message.messageID, queueID: work.queueID,
            notifySenderOnFirstDownload: settings.notifyFirstDownload
        ))
        try AttachmentSelection.remove(selected, from: &message)
        let text = LinkText(link: link, names: names, expires: expires, hasPassword: password != nil, language: settings.language, timeZone: settings.timeZone)
        do {
            _ = try message.insertBanner(Banner(text: text.plain, html: text.html))
        } catch {
            try message.addPart(MIMEEntity.text(text.plain, charset: .utf8))
        }
        work.message = message
        work.changed = true
        work.followUps += try notices(settings: settings, work: work, link: link, subject: subject, names: names, password: password, expires: expires, now: now)
        work.notes.append("\(names.count) attachment(s) replaced by link \(link.id), expires \(Int(expires.timeIntervalSince1970))")
        return work
    }

    private func notices(
        settings: LinkFilterSettings, work: FilterWork, link: CreatedLink, subject: String, names: [String], password: Secret?, expires: Date, now: Date
    ) throws -> [FollowUpMail] {
        let toSender = (settings.notify == .sender || settings.notify == .both) && !work.facts.sender.isEmpty
        if settings.password?.isRandom == true && !toSender && settings.notify != .recipients && settings.notify != .both {
            throw FilterError(filter: name, reason: "no one to send the password to (envelope sender <> and notify: \(settings.notify.rawValue))")
        }
        guard settings.notify != .none else { return [] }
        let composer = NoticeComposer(settings: settings.notice, timeZone: settings.timeZone)
        let date = work.message.date.map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? now
        var mails = [FollowUpMail]()
        if toSender {
            let values: [String: String] = [
                "subject": subject, "date": NoticeComposer.format(date, settings.timeZone), "expires": NoticeComposer.format(expires, settings.timeZone),
                "url": link.url, "revoke_url": link.revokeURL, "files": NoticeComposer.list(names), "recipients": NoticeComposer.list(work.recipients),
                "sender": work.facts.sender,
            ]
            mails.append(try composer.compose(.link, values: values, to: [work.facts.sender], envelopeSender: work.facts.sender, messageID: work.message.messageID, now: now))
        }
        if let password, let source = settings.password {
            // The password travels without the URL (the link is in the message), and a fixed
            // password, agreed beforehand, is not mailed at all: a placeholder says so.
            let facts = NoticeComposer.PasswordFacts(
                envelopeSender: work.facts.sender, recipients: work.recipients, subject: subject, date: date, messageID: work.message.messageID,
                archiveNames: [settings.notice.language == .en ? "(the download link in the message)" : "（メール本文のダウンロードリンク / the download link in the message）"],
                fileNames: names,
                password: source.isRandom ? password.value : EncryptFilter.fixedPasswordPlaceholder(settings.notice.language)
            )
            if toSender { mails.append(try composer.passwordNotice(facts, to: [work.facts.sender], now: now)) }
            if settings.notify == .recipients || settings.notify == .both {
                for recipient in work.recipients {
                    var own = facts
                    own.recipients = [recipient]
                    mails.append(try composer.passwordNotice(own, to: [recipient], now: now))
                }
            }
        }
        return mails
    }
}

/// The text that takes the attachments' place.
struct LinkText {
    let plain: String
    let html: String

    init(link: CreatedLink, names: [String], expires: Date, hasPassword: Bool, language: NoticeLanguage, timeZone: TimeZone) {
        let when = NoticeComposer.format(expires, timeZone)
        let sizes = Dictionary(link.files.map { ($0.name, $0.size) }, uniquingKeysWith: { first, _ in first })
        let fileLines = names.map { "  \($0) (\(sizes[$0].map { "\($0) bytes" } ?? "-"))" }
        var ja = ["【添付ファイルのダウンロード】添付ファイルは次のリンクからダウンロードできます。", "  \(link.url)", "有効期限: \(when)"]
        var en = ["[Attachments] The attachments can be downloaded here:", "  \(link.url)", "Expires: \(when)"]
        if hasPassword {
            ja.append("パスワードは別のメールでお知らせします。")
            en.append("The password is sent in a separate message.")
        }
        ja += ["ファイル:"] + fileLines
        en += ["Files:"] + fileLines
        let blocks: [[String]] = language == .ja ? [ja] : language == .en ? [en] : [ja, en]
        plain = blocks.map { $0.joined(separator: "\n") }.joined(separator: "\n\n")
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
                .replacingOccurrences(of: "\"", with: "&quot;")
        }
        let url = escape(link.url)
        html = blocks.map { block in
            let lines = block.map { line -> String in
                line.trimmingCharacters(in: .whitespaces) == link.url ? "<a href=\"\(url)\">\(url)</a>" : escape(line)
            }
            return "<div style=\"border:1px solid #888;padding:8px;margin:8px 0\">" + lines.joined(separator: "<br>") + "</div>"
        }.joined()
    }
}
