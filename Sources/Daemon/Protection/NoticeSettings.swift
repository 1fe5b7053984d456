import Foundation
import MailMessage

/// How password notices are written: language, charset, templates, sender, threading.
public struct NoticeSettings: Sendable {
    public var language = NoticeLanguage.both
    /// The charset of Japanese text: ISO-2022-JP (what Japanese clients expect) or UTF-8.
    public var japaneseCharset = MIMECharset.iso2022JP
    /// Template files; `nil` uses the built-in text (the same as etc/templates/).
    public var templateJapanese: String?
    public var templateEnglish: String?
    /// The From address; `nil` is `postmaster@` the envelope sender's domain.
    public var from: String?
    /// Thread the notice with the original (`In-Reply-To`, `References`).
    public var threaded = true

    public init() {}

    init(_ reader: inout ParameterReader) throws(FilterError) {
        language = try reader.choice("notice_language", default: .both)
        switch reader.string("notice_charset")?.lowercased() {
        case nil, "iso-2022-jp": japaneseCharset = .iso2022JP
        case "utf-8": japaneseCharset = .utf8
        case .some(let other): throw reader.error("notice_charset", "must be iso-2022-jp or utf-8, not \(other)")
        }
        templateJapanese = reader.string("notice_template_ja")
        templateEnglish = reader.string("notice_template_en")
        for (key, path) in [("notice_template_ja", templateJapanese), ("notice_template_en", templateEnglish)] {
            guard let path else { continue }
            do {
                _ = try NoticeTemplate(contentsOfFile: path)
            } catch {
                throw reader.error(key, "\(error)")
            }
        }
        from = reader.string("notice_from")
        if let from, !from.contains("@") { throw reader.error("notice_from", "must be a mail address") }
        threaded = try reader.bool("notice_threaded", default: true)
    }

    /// The templates of `kind` for the configured language, in order (Japanese first). Custom
    /// files replace the password notice's templates.
    func templates(_ kind: NoticeKind = .password) throws -> [NoticeTemplate] {
        var result = [NoticeTemplate]()
        let custom = kind == .password
        if language != .en {
            result.append(try (custom ? templateJapanese : nil).map(NoticeTemplate.init(contentsOfFile:)) ?? .builtIn(kind, japanese: true))
        }
        if language != .ja {
            result.append(try (custom ? templateEnglish : nil).map(NoticeTemplate.init(contentsOfFile:)) ?? .builtIn(kind, japanese: false))
        }
        return result
    }
}
