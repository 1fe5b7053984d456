import Foundation
import MailMessage

/// Writes notices (password, link made, first download) from templates: the headers, the
/// charset (ISO-2022-JP for Japanese by default), threading with the original.
public struct NoticeComposer: Sendable {
    /// What the password notice tells.
    public struct PasswordFacts: Sendable {
        public var envelopeSender: String
        public var recipients: [String]
        public var subject: String
        public var date: Date
        public var messageID: String?
        public var archiveNames: [String]
        public var fileNames: [String]
        /// The password, or the placeholder text for fixed passwords.
        public var password: String
    }

    let settings: NoticeSettings
    let timeZone: TimeZone

    /// The password notice to `to` (one mail; the caller sends one per recipient).
    func passwordNotice(_ facts: PasswordFacts, to: [String], now: Date = Date()) throws -> FollowUpMail {
        let values: [String: String] = [
            "subject": facts.subject, "date": Self.format(facts.date, timeZone), "password": facts.password,
            "archive": facts.archiveNames.joined(separator: ", "), "files": Self.list(facts.fileNames),
            "recipients": Self.list(facts.recipients), "sender": facts.envelopeSender,
        ]
        return try compose(.password, values: values, to: to, envelopeSender: facts.envelopeSender, messageID: facts.messageID, now: now)
    }

    /// A notice of `kind` with these field values to `to`. Notices to the sender alone go out
    /// with the null sender (no bounce loops); others carry `envelopeSender`, so a bounce reaches
    /// a person.
    func compose(_ kind: NoticeKind, values: [String: String], to: [String], envelopeSender: String, messageID: String?, now: Date = Date()) throws -> FollowUpMail {
        var values = values
        values["to"] = to.joined(separator: ", ")
        let templates = try settings.templates(kind)
        let subject = NoticeTemplate.fill(templates.first?.subject ?? "{{subject}}", values)
        let body = templates.map { NoticeTemplate.fill($0.body, values).trimmingCharacters(in: .newlines) }.joined(separator: "\n\n----------------------------------------\n\n") + "\n"
        let japanese = settings.language != .en
        let charset = japanese ? settings.japaneseCharset : .utf8
        let headerEncoding: HeaderTextEncoding = japanese && charset == .iso2022JP ? .iso2022JP : .utf8

        let domain = envelopeSender.split(separator: "@").last.map(String.init) ?? "localhost"
        var header = MessageHeader()
        header.append(HeaderField(name: "From", rawValue: settings.from ?? "postmaster@\(domain)"))
        header.append(HeaderField(name: "To", rawValue: to.joined(separator: ", ")))
        header.append(HeaderField(name: "Subject", value: subject, encoding: headerEncoding))
        header.append(HeaderField(name: "Date", rawValue: Self.rfc5322Date(now)))
        header.append(HeaderField(name: "Message-ID", rawValue: "<\(Self.randomToken())@\(domain)>"))
        if settings.threaded, let original = messageID {
            header.append(HeaderField(name: "In-Reply-To", rawValue: "<\(original)>"))
            header.append(HeaderField(name: "References", rawValue: "<\(original)>"))
        }
        header.append(HeaderField(name: "Auto-Submitted", rawValue: "auto-generated"))
        header.append(HeaderField(name: "MIME-Version", rawValue: "1.0"))
        var entity = MIMEEntity.text(body, charset: charset)
        for field in entity.header.fields { header.append(field) }
        entity.header = header
        var message = [UInt8]()
        try MIMESerializer.write(entity, to: { message.append(contentsOf: $0) })
        let toSenderOnly = to == [envelopeSender]
        return FollowUpMail(sender: toSenderOnly ? "" : envelopeSender, recipients: to, message: message, kind: kind == .password ? "notice" : "\(kind.rawValue)-notice")
    }

    static func list(_ items: [String]) -> String {
        items.map { "  \($0)" }.joined(separator: "\n")
    }

    /// `2026/11/29 19:46 (+0900)`: the form SaMMA's notices use, in the configured zone.
    static func format(_ date: Date, _ zone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy/MM/dd HH:mm:ss (xx)"
        return formatter.string(from: date)
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss +0000"
        return formatter.string(from: date)
    }

    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(generator.next() as UInt64, radix: 36) }.joined(separator: ".")
    }
}
