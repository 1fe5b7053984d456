import Foundation
import MailMessage
import Policy
import ZipArchive

/// `encrypt`: puts the message's attachments into a password-protected ZIP (WinZip AES-256 by
/// default, ZipCrypto for old clients), one archive per message or per attachment, and has the
/// password mailed separately — after the MTA has the protected message. docs/filters/encrypt.md.
public struct EncryptFilter: MessageFilter {
    public let name = "encrypt"
    public let stage = FilterStage.transform
    /// Where temporary archives and spooled parts are written.
    let spoolDirectory: String

    public init(spoolDirectory: String) {
        self.spoolDirectory = spoolDirectory
    }

    public func run(_ work: FilterWork, parameters: [String: String]) async throws -> FilterWork {
        let settings = try EncryptSettings(parameters, filter: name)
        var work = work
        var message = work.message
        let now = Date()
        let subject = SubjectKeywords.remove(settings.subjectKeywords, from: &message)

        if AttachmentSelection.isSignedOrEncrypted(message) {
            guard settings.signedMessages == .wrap else {
                work.notes.append("signed or encrypted message left as it is (signed: skip)")
                work.takeHeaderChanges(from: message)
                return work
            }
            return try wrapWhole(work, message: message, subject: subject, settings: settings, now: now)
        }
        let selected = AttachmentSelection.choose(
            in: &message, includeInline: settings.includeInline, skipEncryptedArchives: settings.encryptedArchives == .skip, notes: &work.notes
        )
        guard !selected.isEmpty else {
            work.takeHeaderChanges(from: message)
            return work
        }

        let names = AttachmentSelection.uniqueNames(selected.map { AttachmentSelection.displayName($0, message: message) })
        let items = zip(selected, names).map { attachment, entryName in
            let entity = message.entity(at: attachment.address)
            return AttachmentArchiver.Item(
                name: entryName,
                content: { sink in _ = try entity?.forEachDecodedChunk(sink) },
                sizeHint: UInt64(entity.map(AttachmentSelection.rawSize) ?? 0)
            )
        }
        let password = settings.password.password(at: now, timeZone: settings.timeZone)
        let archiver = AttachmentArchiver(settings: settings, spoolDirectory: spoolDirectory)
        var archives = [AttachmentArchiver.Archive]()
        if settings.perAttachment {
            for item in items {
                archives.append(try archiver.archive([item], name: settings.archiveName(at: now, attachment: item.name), password: password, modified: now))
            }
        } else {
            archives.append(try archiver.archive(items, name: settings.archiveName(at: now), password: password, modified: now))
        }

        try AttachmentSelection.remove(selected, from: &message)
        for archive in archives { try message.addPart(archive.part) }
        try insertBanner(into: &message, settings: settings)

        work.message = message
        work.changed = true
        work.followUps += try notices(
            settings: settings, work: work, subject: subject, password: password, archives: archives.map(\.name), files: names, now: now
        )
        work.notes.append("\(names.count) attachment(s) in \(archives.count) archive(s), \(archives.reduce(0) { $0 + $1.size }) bytes, \(settings.encryption.rawValue)")
        return work
    }

    /// The whole (signed or encrypted) message as `message.eml` in the archive, the body a
    /// short text saying so.
    private func wrapWhole(_ work: FilterWork, message original: MailMessage, subject: String, settings: EncryptSettings, now: Date) throws -> FilterWork {
        var work = work
        var message = original
        message.wrapInMixed()
        try message.removePart(path: "1")
        let text = settings.bannerText?.replacingOccurrences(of: "\\n", with: "\n") ?? Self.wrappedText(settings.banner ?? .both)
        try message.addPart(MIMEEntity.text(text, charset: .utf8))
        let password = settings.password.password(at: now, timeZone: settings.timeZone)
        let item = AttachmentArchiver.Item(name: "message.eml", content: { sink in try original.write(to: sink) }, sizeHint: UInt64.max)
        let archive = try AttachmentArchiver(settings: settings, spoolDirectory: spoolDirectory).archive(
            [item], name: settings.archiveName(at: now), password: password, modified: now
        )
        try message.addPart(archive.part)
        work.message = message
        work.changed = true
        work.followUps += try notices(settings: settings, work: work, subject: subject, password: password, archives: [archive.name], files: ["message.eml"], now: now)
        work.notes.append("signed or encrypted message wrapped whole (signed: wrap)")
        return work
    }

    private func insertBanner(into message: inout MailMessage, settings: EncryptSettings) throws {
        guard let language = settings.banner else { return }
        let text = settings.bannerText ?? Self.bannerText(language)
        let banner = Banner(text: text.replacingOccurrences(of: "\\n", with: "\n"))
        let result: Result<[String], RewriteError> = Result { () throws(RewriteError) in try message.insertBanner(banner) }
        if case .failure(let error) = result {
            // No text body to put it in: the banner becomes the body's first text part.
            guard error == .noTextBody else { throw error }
            try message.addPart(MIMEEntity.text(banner.text, charset: .utf8))
        }
    }

    /// The password notices this message needs (none for fixed passwords unless asked).
    private func notices(
        settings: EncryptSettings, work: FilterWork, subject: String, password: Secret, archives: [String], files: [String], now: Date
    ) throws -> [FollowUpMail] {
        let toSender = (settings.notify == .sender || settings.notify == .both) && !work.facts.sender.isEmpty
        let toRecipients = settings.notify == .recipients || settings.notify == .both
        if settings.password.isRandom && !toSender && !toRecipients {
            // Nobody would learn the password (a null-sender message with notify: sender):
            // better the failure action than an archive no one can open.
            throw FilterError(filter: name, reason: "no one to send the password to (envelope sender <> and notify: \(settings.notify.rawValue))")
        }
        guard settings.notify != .none else { return [] }
        guard settings.password.isRandom || settings.notifyFixed else { return [] }
        let facts = NoticeComposer.PasswordFacts(
            envelopeSender: work.facts.sender, recipients: work.recipients, subject: subject,
            date: work.message.date.map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? now, messageID: work.message.messageID,
            archiveNames: archives, fileNames: files,
            password: settings.password.isRandom ? password.value : Self.fixedPasswordPlaceholder(settings.notice.language)
        )
        let notice = NoticeComposer(settings: settings.notice, timeZone: settings.timeZone)
        var mails = [FollowUpMail]()
        if toSender {
            mails.append(try notice.passwordNotice(facts, to: [work.facts.sender], now: now))
        }
        if toRecipients {
            // One notice per recipient, naming only that recipient: Bcc recipients must not
            // learn about each other.
            for recipient in work.recipients {
                var own = facts
                own.recipients = [recipient]
                mails.append(try notice.passwordNotice(own, to: [recipient], now: now))
            }
        }
        return mails
    }

    static func bannerText(_ language: NoticeLanguage) -> String {
        let japanese = "【ご注意】添付ファイルはパスワード付きZIPファイルに変換しました。パスワードは別のメールでお知らせします。"
        let english = "[Notice] The attachments were put in a password-protected ZIP file. The password is sent in a separate message."
        switch language {
        case .ja: return japanese
        case .en: return english
        case .both: return japanese + "\n" + english
        }
    }

    static func wrappedText(_ language: NoticeLanguage) -> String {
        let japanese = "この署名付き（または暗号化された）メールは、パスワード付きZIPファイル message.eml として添付しました。パスワードは別のメールでお知らせします。"
        let english = "This signed (or encrypted) message is attached as message.eml in a password-protected ZIP file. The password is sent in a separate message."
        switch language {
        case .ja: return japanese + "\n"
        case .en: return english + "\n"
        case .both: return japanese + "\n" + english + "\n"
        }
    }

    static func fixedPasswordPlaceholder(_ language: NoticeLanguage) -> String {
        switch language {
        case .ja: "（取り決め済みの固定パスワード）"
        case .en: "(the agreed fixed password)"
        case .both: "（取り決め済みの固定パスワード / the agreed fixed password）"
        }
    }
}
