import Foundation
import MailMessage

/// Writes the password notice for one protected message.
public struct PasswordNotice: Sendable {
    /// What the notice tells.
    public struct Facts: Sendable {
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

    /// The notice mail to `to` (the sender, the recipients, or both: one message each way).
    func compose(_ facts: Facts, to: [String], now: Date = Date()) throws -> FollowUpMail {
        let values: [String: String] = [
            "subject": facts.subject, "date": Self.format(facts.date, timeZone), "password": facts.password,
            "archive": facts.archiveNames.joined(separator: ", "), "files": facts.fileNames.map { "  \($0)" }.joined(separator: "\n"),
            "recipients": facts.recipients.map { "  \($0)" }.joined(separator: "\n"), "sender": facts.envelopeSender,
            "to": to.joined(separator: ", "),
        ]
        let templates = try settings.templates()
        let subject = NoticeTemplate.fill(templates.first?.subject ?? "Password: {{subject}}", values)
        let body = templates.map { NoticeTemplate.fill($0.body, values).trimmingCharacters(in: .newlines) }.joined(separator: "\n\n----------------------------------------\n\n") + "\n"
        let japanese = settings.language != .en
        let charset = japanese ? settings.japaneseCharset : .utf8
        let headerEncoding: HeaderTextEncoding = japanese && charset == .iso2022JP ? .iso2022JP : .utf8

        let domain = facts.envelopeSender.split(separator: "@").last.map(String.init) ?? "localhost"
        var header = MessageHeader()
        header.append(HeaderField(name: "From", rawValue: settings.from ?? "postmaster@\(domain)"))
        header.append(HeaderField(name: "To", rawValue: to.joined(separator: ", ")))
        header.append(HeaderField(name: "Subject", value: subject, encoding: headerEncoding))
        header.append(HeaderField(name: "Date", rawValue: Self.rfc5322Date(now)))
        header.append(HeaderField(name: "Message-ID", rawValue: "<\(Self.randomToken())@\(domain)>"))
        if settings.threaded, let original = facts.messageID {
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
        // Notices to the sender go out with the null sender (no bounce loops); notices to
        // recipients carry the original sender so a bounce reaches a person.
        let toSenderOnly = to == [facts.envelopeSender]
        return FollowUpMail(sender: toSenderOnly ? "" : facts.envelopeSender, recipients: to, message: message, kind: "notice")
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
