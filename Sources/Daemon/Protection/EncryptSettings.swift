import Foundation
import ZipArchive

/// The `encrypt` action's parameters, typed. Rule parameters override the filter's settings
/// (`filters.encrypt`); both are validated by `sekisho check-config` and at start.
/// docs/filters/encrypt.md lists every key.
public struct EncryptSettings: Sendable {
    /// Who gets the password notice.
    public enum NoticeRecipients: String, Sendable, CaseIterable {
        case sender, recipients, both, none
    }

    /// What to do with one kind of content the filter should not simply zip.
    public enum Handling: String, Sendable, CaseIterable {
        /// Leave it as it is.
        case skip
        /// Put it in the archive like anything else.
        case wrap
    }

    public var encryption = ZipEncryption.aes256
    public var nameEncoding = ZipNameEncoding.utf8
    public var perAttachment = false
    public var zipName = TimePattern("AttachFile.%Y%m%d.zip")
    /// Replaces the archive name's extension (`.zi_` for gateways that block ZIP).
    public var zipExtension: String?
    public var contentType = "application/zip"
    public var includeInline = false
    public var encryptedArchives = Handling.wrap
    public var signedMessages = Handling.skip
    public var password = PasswordSource.random(length: PasswordSource.defaultLength, alphabet: PasswordSource.defaultAlphabet)
    public var notify = NoticeRecipients.sender
    /// With a fixed password, still send a notice (showing a placeholder, not the password).
    public var notifyFixed = false
    public var notice = NoticeSettings()
    public var banner: NoticeLanguage?
    public var bannerText: String?
    public var compressionLevel: Int32 = 6
    public var timeZone = TimeZone.current
    /// Keywords removed from the Subject (the ones whose presence triggered the rule).
    public var subjectKeywords: [String] = []

    public init() {}

    /// Reads and checks the parameters; the error names the bad key.
    public init(_ parameters: [String: String], filter: String = "encrypt") throws(FilterError) {
        var reader = ParameterReader(parameters, filter: filter)
        encryption = try reader.choice("zip_encryption", default: .aes256)
        nameEncoding = try reader.choice("zip_names", default: .utf8)
        perAttachment = try reader.bool("per_attachment", default: false)
        zipName = TimePattern(reader.string("zip_name") ?? zipName.pattern)
        zipExtension = reader.string("zip_extension").map { $0.hasPrefix(".") ? $0 : ".\($0)" }
        contentType = reader.string("content_type") ?? contentType
        includeInline = try reader.bool("include_inline", default: false)
        encryptedArchives = try reader.choice("encrypted_archives", default: .wrap)
        signedMessages = try reader.choice("signed", default: .skip)
        let length = try reader.integer("password_length", default: PasswordSource.defaultLength, range: 6...128)
        let alphabet = Array(reader.string("password_alphabet") ?? String(PasswordSource.defaultAlphabet))
        guard Set(alphabet).count >= 10 else { throw reader.error("password_alphabet", "needs at least 10 different characters") }
        switch reader.string("password").map({ ["random", "none"].contains($0.lowercased()) ? $0.lowercased() : $0 }) {
        case nil, "random": password = .random(length: length, alphabet: alphabet)
        case "none": throw reader.error("password", "cannot be none for encrypt (say random or a fixed pattern)")
        case .some(let pattern) where pattern.isEmpty: throw reader.error("password", "is empty (say random or a fixed pattern)")
        case .some(let pattern): password = .fixed(TimePattern(pattern))
        }
        notify = try reader.choice("notify", default: .sender)
        if notify == .none, password.isRandom { throw reader.error("notify", "none with a random password: nobody could open the archive") }
        notifyFixed = try reader.bool("notify_fixed", default: false)
        notice = try NoticeSettings(&reader)
        if let language = reader.string("banner"), language != "none" {
            guard let chosen = NoticeLanguage(rawValue: language) else { throw reader.error("banner", "must be none, ja, en or both") }
            banner = chosen
        }
        bannerText = reader.string("banner_text")
        compressionLevel = Int32(try reader.integer("level", default: 6, range: 0...9))
        if let zone = reader.string("time_zone") {
            guard let parsed = TimeZone(identifier: zone) else { throw reader.error("time_zone", "unknown time zone \(zone)") }
            timeZone = parsed
        }
        subjectKeywords = reader.list("strip_subject")
        try reader.finish()
    }

    /// The archive's file name for a message sent at `date` (`index` counts archives when there
    /// is one per attachment).
    public func archiveName(at date: Date, attachment: String? = nil) -> String {
        var name = attachment.map { "\($0).zip" } ?? zipName.format(date, timeZone: timeZone)
        if let zipExtension {
            let base = (name as NSString).deletingPathExtension
            name = base + zipExtension
        }
        return name
    }
}

/// How entry names are written in the archive.
public enum ZipNameEncoding: String, Sendable, CaseIterable {
    /// UTF-8 with the language-encoding flag (7-Zip, current Windows, macOS, unzip).
    case utf8
    /// CP932 bytes without the flag, for Windows Explorer before Windows 10 1903 on Japanese
    /// systems; a name CP932 cannot write is stored in UTF-8 instead.
    case cp932
}

/// The language of generated text.
public enum NoticeLanguage: String, Sendable, CaseIterable {
    case ja, en, both
}
