import Foundation

/// Renders the pages: the download page, refusals, and the revoke pages. Every value that
/// comes from mail (sender, subject, file names) goes through ``HTML/escape(_:)``.
///
/// Links and form actions are relative (`<token>/<index>` from `/l/<token>`), so the pages
/// work under whatever host name the recipient used and satisfy `form-action 'self'`.
struct LinkPages: Sendable {
    var language: LinkLanguage
    var timeZone: TimeZone

    private var text: PageText { PageText.of(language) }

    /// The download page of an active link.
    func downloadPage(_ link: LinkView, token: String) -> String {
        let text = self.text
        let lang = "?lang=\(language.rawValue)"
        var body = "<p>\(HTML.escape(text.sharedBy(link.sender)))</p>\n<dl>"
        body += "<dt>\(text.from)</dt><dd>\(HTML.escape(link.sender))</dd>"
        body += "<dt>\(text.subject)</dt><dd>\(HTML.escape(link.subject))</dd>"
        body += "<dt>\(text.expires)</dt><dd>\(HTML.escape(formatDate(link.expires)))</dd></dl>\n"
        if link.hasPassword {
            body += "<form method=\"post\" action=\"\(HTML.escape(token))/0\(lang)\">\n"
            body += "<div class=\"password\"><label for=\"password\">\(text.password)</label>"
            body += "<input type=\"password\" id=\"password\" name=\"password\" required autocomplete=\"off\">"
            body += "<span class=\"muted\">\(text.passwordHint)</span></div>\n"
        }
        body +=
            "<table>\n<tr><th>\(text.fileName)</th><th>\(text.size)</th><th>SHA-256</th><th>\(text.remaining)</th><th></th></tr>\n"
        for (index, entry) in link.files.enumerated() {
            let target = "\(HTML.escape(token))/\(index)\(lang)"
            let remaining = entry.remaining.map(String.init) ?? text.unlimited
            let action: String
            if entry.remaining == 0 {
                action = "<span class=\"done\">\(text.limitReached)</span>"
            } else if link.hasPassword {
                action = "<button type=\"submit\" formaction=\"\(target)\">\(text.download)</button>"
            } else {
                action = "<a class=\"button\" href=\"\(target)\">\(text.download)</a>"
            }
            body += "<tr><td class=\"name\">\(HTML.escape(entry.file.name))</td>"
            body += "<td class=\"num\">\(Self.formatSize(entry.file.size))</td>"
            body +=
                "<td><code title=\"\(HTML.escape(entry.file.sha256))\">\(HTML.escape(String(entry.file.sha256.prefix(16))))</code></td>"
            body += "<td class=\"num\">\(remaining)</td><td>\(action)</td></tr>\n"
        }
        body += "</table>\n"
        if link.hasPassword { body += "</form>\n" }
        body += "<p class=\"muted\">\(text.checksumHint)</p>"
        return HTML.document(
            language: language, title: text.pageTitle, body: body, switcher: switcher(target: HTML.escape(token)))
    }

    /// A refusal (404, 403, 410, 429, 500). `back` is a relative link to the download page.
    func refusalPage(_ outcome: AuditOutcome, back: String? = nil) -> String {
        let (title, explanation) = text.refusal(outcome)
        var body = "<p class=\"notice error\">\(HTML.escape(explanation))</p>"
        if let back { body += "<p><a href=\"\(HTML.escape(back))\">\(text.back)</a></p>" }
        return HTML.document(language: language, title: title, body: body, switcher: "")
    }

    /// The revoke confirmation page (the form posts back to the same URL).
    func revokeConfirmPage(subject: String, revokeToken: String) -> String {
        let body = """
            <p>\(HTML.escape(text.revokeExplanation(subject)))</p>
            <form method="post" action="\(HTML.escape(revokeToken))?lang=\(language.rawValue)">\
            <button type="submit" class="danger">\(text.revokeButton)</button></form>
            """
        return HTML.document(
            language: language, title: text.revokeTitle, body: body,
            switcher: switcher(target: HTML.escape(revokeToken)))
    }

    /// After revoking (or finding the link already revoked).
    func revokedPage(alreadyRevoked: Bool) -> String {
        let title = alreadyRevoked ? text.alreadyRevokedTitle : text.revokedTitle
        return HTML.document(
            language: language, title: title, body: "<p class=\"notice\">\(text.revokedText)</p>", switcher: "")
    }

    private func switcher(target: String) -> String {
        let other: LinkLanguage = language == .ja ? .en : .ja
        return "<a href=\"\(target)?lang=\(other.rawValue)\" hreflang=\"\(other.rawValue)\">\(text.otherLanguage)</a>"
    }

    /// `2026-12-06 10:59 (UTC+09:00)` in the configured zone.
    func formatDate(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        let offset = timeZone.secondsFromGMT(for: date)
        let sign = offset < 0 ? "-" : "+"
        let zone = "UTC" + sign + String(format: "%02d:%02d", abs(offset) / 3600, abs(offset) % 3600 / 60)
        let day = String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
        return day + String(format: " %02d:%02d", parts.hour ?? 0, parts.minute ?? 0) + " (" + zone + ")"
    }

    /// `532 B`, `12.4 KB`, `5.0 MB` (binary multiples).
    static func formatSize(_ size: Int64) -> String {
        guard size >= 1024 else { return "\(size) B" }
        var value = Double(size) / 1024
        for unit in ["KB", "MB", "GB"] {
            if value < 1024 || unit == "GB" { return String(format: value < 10 ? "%.1f" : "%.0f", value) + " " + unit }
            value /= 1024
        }
        return "\(size) B"
    }
}
