import Foundation

/// What a notice is about; each kind has a built-in template per language, the same text as
/// `etc/templates/<file>.<ja|en>.txt`.
public enum NoticeKind: String, Sendable, CaseIterable {
    /// The password of a protected message (`notice.*.txt`).
    case password = "notice"
    /// A download link was made; its revoke page (`link.*.txt`).
    case link
    /// A link's first download (`downloaded.*.txt`).
    case downloaded
}

/// A notice template: an optional `Subject:` line, a blank line, then the body. Fields are
/// written `{{name}}`; SaMMA's tags (`<@@PASSWORD@@>`, …) are read too, so its templates carry
/// over. Fields: `subject`, `date`, `password`, `archive` (the ZIP's name), `files` (one per
/// line), `recipients` (one per line), `sender`, `to`, `url`, `revoke_url`, `expires`, `client`.
public struct NoticeTemplate: Sendable, Hashable {
    /// The subject line (with fields), or `nil` for the default.
    public let subject: String?
    /// The body (with fields).
    public let body: String

    /// The fields a template may use.
    public static let fields: Set<String> = [
        "subject", "date", "password", "archive", "files", "recipients", "sender", "to", "url", "revoke_url", "expires", "client",
    ]
    private static let sammaTags = [
        "TOADDR": "to", "ENVFROM": "sender", "SUBJECT": "subject", "DATE": "date", "PASSWORD": "password", "RCPTLIST": "recipients",
        "FILENAME": "files", "URL": "url",
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

    /// `text` with its fields filled in.
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

    /// The built-in template of a kind in Japanese (`ja`) or English.
    public static func builtIn(_ kind: NoticeKind, japanese: Bool) -> NoticeTemplate {
        // The texts are constants checked by the tests against etc/templates.
        let text: String
        switch (kind, japanese) {
        case (.password, true): text = noticeJa
        case (.password, false): text = noticeEn
        case (.link, true): text = linkJa
        case (.link, false): text = linkEn
        case (.downloaded, true): text = downloadedJa
        case (.downloaded, false): text = downloadedEn
        }
        return (try? NoticeTemplate(text: text)) ?? NoticeTemplate(subject: nil, body: text)
    }

    private init(subject: String?, body: String) {
        self.subject = subject
        self.body = body
    }

    static let noticeJa = """
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

    static let noticeEn = """
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

    static let linkJa = """
Subject: ダウンロードリンクを作成しました: {{subject}}

次のメールの添付ファイルは、ダウンロードリンクに置き換えて送信しました。

件名:     {{subject}}
送信日時: {{date}}
有効期限: {{expires}}
リンク:   {{url}}

宛先:
{{recipients}}

添付ファイル:
{{files}}

誤送信などでリンクを無効にするには、次のページを開いてください:
{{revoke_url}}

このメールは関所 (Sekisho) が自動で送信しています。
"""

    static let linkEn = """
Subject: Download link created: {{subject}}

The attachments of the message below were replaced by a download link.

Subject:  {{subject}}
Date:     {{date}}
Expires:  {{expires}}
Link:     {{url}}

Recipients:
{{recipients}}

Attached files:
{{files}}

To disable the link (sent by mistake?), open this page:
{{revoke_url}}

This notice was sent automatically by Sekisho.
"""

    static let downloadedJa = """
Subject: ファイルがダウンロードされました: {{subject}}

次のメールのダウンロードリンクから、最初のダウンロードがありました。

件名:       {{subject}}
ファイル:   {{files}}
日時:       {{date}}
接続元:     {{client}}

心当たりがない場合は、リンク作成時のお知らせメールにあるページでリンクを無効にしてください。

このメールは関所 (Sekisho) が自動で送信しています。
"""

    static let downloadedEn = """
Subject: Your files were downloaded: {{subject}}

The download link of the message below was used for the first time.

Subject:  {{subject}}
File:     {{files}}
Time:     {{date}}
Client:   {{client}}

If you do not expect this, disable the link with the page named in the notice you got when it was created.

This notice was sent automatically by Sekisho.
"""
}

/// A template that cannot be used.
public struct NoticeTemplateError: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public var description: String { reason }
}
