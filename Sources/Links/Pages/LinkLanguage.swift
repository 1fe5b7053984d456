import Foundation

/// The language of the download pages.
public enum LinkLanguage: String, Sendable, CaseIterable {
    case ja
    case en

    /// Picks the page language: a valid `?lang=` wins; otherwise the supported language with the
    /// highest quality in `Accept-Language` (ties go to the earlier entry); otherwise `fallback`.
    public static func negotiate(query: String?, acceptLanguage: String?, fallback: LinkLanguage) -> LinkLanguage {
        if let query, let chosen = LinkLanguage(rawValue: query.lowercased()) { return chosen }
        guard let acceptLanguage else { return fallback }
        var best: (language: LinkLanguage, quality: Double)?
        for entry in acceptLanguage.split(separator: ",") {
            let parts = entry.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = parts.first?.lowercased() else { continue }
            let primary = tag.split(separator: "-").first.map(String.init) ?? tag
            var quality = 1.0
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
                quality = Double(parameter.dropFirst(2)) ?? 0
            }
            let language: LinkLanguage? = primary == "*" ? fallback : LinkLanguage(rawValue: primary)
            guard let language, quality > 0 else { continue }
            if best == nil || quality > best!.quality { best = (language, quality) }
        }
        return best?.language ?? fallback
    }
}
