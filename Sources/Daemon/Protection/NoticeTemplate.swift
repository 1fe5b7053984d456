import Foundation

/// A notice template: an optional `Subject:` line, a blank line, then the body. Fields are
/// written `{{name}}`; SaMMA's tags (`<@@PASSWORD@@>`, …) are read too, so its templates carry
/// over. Fields: `subject`, `date`, `password`, `archive` (the ZIP's name), `files` (one per
/// line), `recipients` (one per line), `sender`, `to`.
public struct NoticeTemplate: Sendable, Hashable {
    /// The subject line (with fields), or `nil` for the default.
    public let subject: String?
    /// The body (with fields).
    public let body: String

    /// The fields a template may use.
    public static let fields: Set<String> = ["subject", "date", "password", "archive", "files", "recipients", "sender", "to"]
    private static let sammaTags = [
        "TOADDR": "to", "ENVFROM": "sender", "SUBJECT": "subject", "DATE": "date", "PASSWORD": "password", "RCPTLIST": "recipients",
        "FILENAME": "files",
    ]

    /// Parses a template, checking that every field is known.
    public init(text: String) throws(NoticeTemplateError) {
        var text = text.replacingOccurrences(of: "\r\n", with: "\n")
        for (tag, field) in Self.sammaTags { text = text.replacingOccurrences(of: "<@@\(tag)@@>", with: "{{\(field)}}") }
        var subject: String?
        if text.hasPrefix("Subject:"), let end = text.range(of: "\n\n") {
            subject = String(text[text.index(text.startIndex, offsetBy: 8)..<end.lowerBound]).trimmingCharacters(in: .whitespaces)
            text = String(text[end.upperBound...])
        }
        for piece in ([subject ?? ""] + [text]) {
            var rest = Substring(piece)
            while let open = rest.range(of: "{{") {
                guard let close = rest[open.upperBound...].range(of: "}}") else { throw NoticeTemplateError(reason: "a {{ without }}") }
                let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
                guard Self.fields.contains(name) else {
                    throw NoticeTemplateError(reason: "unknown field {{\(name)}} (fields: \(Self.fields.sorted().joined(separator: ", ")))")
                }
                rest = rest[close.upperBound...]
            }
        }
        self.subject = subject
        self.body = text
    }

    /// Reads a template file (UTF-8).
    public init(contentsOfFile path: String) throws(NoticeTemplateError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw NoticeTemplateError(reason: "cannot read \(path): \(error.localizedDescription)")
        }
        try self.init(text: text)
    }

    /// `text` with its fields filled in; a list value goes one item per line.
    static func fill(_ text: String, _ values: [String: String]) -> String {
        var output = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            output += rest[..<open.lowerBound]
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            output += values[name] ?? ""
            rest = rest[close.upperBound...]
        }
        return output + rest
    }

    /// The Japanese template built in (the same text as etc/templates/notice.ja.txt).
    public static let builtInJapanese = try! NoticeTemplate(text: Self.japaneseText)
    /// The English template built in (the same text as etc/templates/notice.en.txt).
    public static let builtInEnglish = try! NoticeTemplate(text: Self.englishText)

    static let japaneseText = """
Subject: パスワードのお知らせ: {{subject}}

次のメールの添付ファイルは、パスワード付きZIPファイルで送られています。
ZIPファイルを開くパスワードをお知らせします。

件名:       {{subject}}
送信日時:   {{date}}
ZIPファイル: {{archive}}
パスワード: {{password}}

宛先:
{{recipients}}

添付ファイル:
{{files}}

このメールは関所 (Sekisho) が自動で送信しています。
"""

    static let englishText = """
Subject: Password for: {{subject}}

The attachments of the message below were sent as a password-protected ZIP file.
This is the password to open it.

Subject:  {{subject}}
Date:     {{date}}
ZIP file: {{archive}}
Password: {{password}}

Recipients:
{{recipients}}

Attached files:
{{files}}

This notice was sent automatically by Sekisho.
"""
}

/// A template that cannot be used.
public struct NoticeTemplateError: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public var description: String { reason }
}
