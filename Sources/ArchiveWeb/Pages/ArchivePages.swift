import Archive
import Foundation
import Links
import Mustache

/// Renders the web UI's pages from the Mustache templates (`Templates/*.mustache`, in the
/// bundle). Templates escape every `{{value}}`; the only unescaped value is the search
/// snippet, which ``snippetHTML(_:)`` escapes before adding `<mark>`.
struct ArchivePages: Sendable {
    let library: MustacheLibrary
    let timeZone: TimeZone

    /// Loads the templates from the module's bundle.
    /// - Throws: ``ArchiveError/configuration(_:)`` when the templates are missing or do not parse.
    static func load(timeZone: TimeZone) async throws -> ArchivePages {
        guard let directory = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            throw ArchiveError.configuration("the web UI templates are missing from the bundle")
        }
        let library = try await MustacheLibrary(directory: directory.path)
        return ArchivePages(library: library, timeZone: timeZone)
    }

    /// The page `template` with the shared values (language, labels, the signed-in user) added to `values`.
    func render(_ template: String, language: LinkLanguage, title: String, session: ArchiveSession?, path: String, values: [String: Any]) -> String {
        var context = values
        let text = ArchivePageText.of(language)
        context["t"] = text
        context["lang"] = language.rawValue
        context["title"] = title
        context["otherLanguageURL"] = "\(path)\(path.contains("?") ? "&" : "?")lang=\(language == .ja ? "en" : "ja")"
        if let session {
            let account = session.account
            context["user"] = [
                "name": account.name, "isAdmin": account.isAdmin, "csrf": session.csrfToken,
                "roleLabel": text[account.role.rawValue] ?? account.role.rawValue,
                "scopeLabel": account.isAdmin ? text["scopeAll"] ?? "" : account.domains.joined(separator: ", "),
            ] as [String: Any]
        }
        return library.render(context, withTemplate: template) ?? ""
    }

    /// `2026-11-29 14:05` in the configured zone.
    func format(_ date: Date?) -> String {
        guard let date else { return "" }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0)
    }

    /// `812 B`, `23.0 KB`, `3.0 MB`.
    static func size(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        if bytes < 1024 * 1024 { return String(format: "%.1f KB", Double(bytes) / 1024) }
        return String(format: "%.1f MB", Double(bytes) / 1_048_576)
    }

    /// The snippet as HTML: escaped first, then the match markers turned into `<mark>`.
    static func snippetHTML(_ snippet: String) -> String {
        ArchiveSnippet.render(HTML.escape(snippet), open: "<mark>", close: "</mark>")
    }

    /// The sandboxed frame's document: the sanitized HTML in a minimal page.
    static func frameDocument(_ sanitized: String) -> String {
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>\(sanitized)</body></html>"
    }
}
