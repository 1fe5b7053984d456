/// The words on the pages, in Japanese and English.
struct PageText: Sendable {
    var pageTitle: String
    var sharedBy: @Sendable (String) -> String
    var subject: String
    var from: String
    var expires: String
    var fileName: String
    var size: String
    var remaining: String
    var unlimited: String
    var download: String
    var limitReached: String
    var password: String
    var passwordHint: String
    var checksumHint: String
    var otherLanguage: String
    var revokeTitle: String
    var revokeExplanation: @Sendable (String) -> String
    var revokeButton: String
    var revokedTitle: String
    var revokedText: String
    var alreadyRevokedTitle: String
    var back: String
    /// Title and explanation of a refusal page.
    var refusal: @Sendable (AuditOutcome) -> (title: String, text: String)

    static func of(_ language: LinkLanguage) -> PageText {
        language == .ja ? japanese : english
    }

    static let japanese = PageText(
        pageTitle: "ファイルのダウンロード",
        sharedBy: { "\($0) さんからファイルが届いています。" },
        subject: "件名",
        from: "送信者",
        expires: "有効期限",
        fileName: "ファイル名",
        size: "サイズ",
        remaining: "残り回数",
        unlimited: "無制限",
        download: "ダウンロード",
        limitReached: "上限に達しました",
        password: "パスワード",
        passwordHint: "別途お知らせしたパスワードを入力してから、ダウンロードを押してください。",
        checksumHint: "SHA-256 は受け取ったファイルの確認用です（先頭 16 桁）。",
        otherLanguage: "English",
        revokeTitle: "ダウンロードリンクの取り消し",
        revokeExplanation: { "件名「\($0)」のダウンロードリンクを取り消します。取り消すと受信者はダウンロードできなくなり、ファイルは削除されます。" },
        revokeButton: "取り消す",
        revokedTitle: "リンクを取り消しました",
        revokedText: "このリンクからはダウンロードできなくなり、ファイルは削除されました。",
        alreadyRevokedTitle: "このリンクはすでに取り消されています",
        back: "戻る",
        refusal: { outcome in
            switch outcome {
            case .expired: ("有効期限が切れています", "このリンクの有効期限は過ぎています。送信者に再送を依頼してください。")
            case .revoked: ("このリンクは取り消されました", "送信者がこのリンクを取り消しました。")
            case .overCap: ("ダウンロード回数の上限に達しました", "このファイルはこれ以上ダウンロードできません。送信者にお問い合わせください。")
            case .badPassword: ("パスワードが違います", "戻ってパスワードを入力し直してください。")
            case .passwordRequired: ("パスワードが必要です", "ダウンロードページでパスワードを入力してください。")
            case .rateLimited: ("試行回数が多すぎます", "パスワードの誤りが続いたため、しばらくの間受け付けません。時間をおいてから再度お試しください。")
            case .notFound: ("リンクが見つかりません", "URL が正しいか、途中で切れていないか確認してください。")
            default: ("ファイルを送信できません", "サーバーでエラーが発生しました。送信者にお問い合わせください。")
            }
        })

    static let english = PageText(
        pageTitle: "Download files",
        sharedBy: { "\($0) has shared files with you." },
        subject: "Subject",
        from: "From",
        expires: "Available until",
        fileName: "File",
        size: "Size",
        remaining: "Downloads left",
        unlimited: "unlimited",
        download: "Download",
        limitReached: "limit reached",
        password: "Password",
        passwordHint: "Enter the password you received separately, then press Download.",
        checksumHint: "SHA-256 lets you check the file you receive (first 16 digits).",
        otherLanguage: "日本語",
        revokeTitle: "Revoke download link",
        revokeExplanation: {
            "This revokes the download link for \u{201C}\($0)\u{201D}. Recipients will no longer be able to download, and the files are deleted."
        },
        revokeButton: "Revoke",
        revokedTitle: "The link has been revoked",
        revokedText: "Nobody can download from this link any more, and the files have been deleted.",
        alreadyRevokedTitle: "This link was already revoked",
        back: "Back",
        refusal: { outcome in
            switch outcome {
            case .expired: ("This link has expired", "Ask the sender to send the files again.")
            case .revoked: ("This link has been revoked", "The sender has withdrawn this link.")
            case .overCap:
                ("Download limit reached", "This file cannot be downloaded again. Please contact the sender.")
            case .badPassword: ("Wrong password", "Go back and enter the password again.")
            case .passwordRequired: ("A password is required", "Enter the password on the download page.")
            case .rateLimited:
                ("Too many attempts", "Too many wrong passwords were entered. Please wait a while before trying again.")
            case .notFound: ("Link not found", "Check that the address is complete and correct.")
            default: ("The file cannot be sent", "Something went wrong on the server. Please contact the sender.")
            }
        })
}
