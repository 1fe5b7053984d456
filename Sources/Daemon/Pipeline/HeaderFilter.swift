import Foundation
import MailMessage

/// `header`: adds a header field (`name`, `value` parameters; RFC 2047-encoded when needed,
/// `encoding: iso-2022-jp` for Japanese clients). The simplest transform; useful to mark mail.
public struct HeaderFilter: MessageFilter {
    public let name = "header"
    public let stage = FilterStage.transform

    public init() {}

    public func run(_ work: FilterWork, parameters: [String: String]) async throws -> FilterWork {
        guard let field = parameters["name"], !field.isEmpty, let value = parameters["value"] else {
            throw FilterError(filter: name, reason: "needs name and value parameters")
        }
        var work = work
        work.message.addHeader(field, value, encoding: parameters["encoding"]?.lowercased() == "iso-2022-jp" ? .iso2022JP : .utf8)
        work.changed = true
        return work
    }
}

/// `banner`: puts a notice at the top of the text and HTML bodies (`text`, optional `html`).
public struct BannerFilter: MessageFilter {
    public let name = "banner"
    public let stage = FilterStage.transform

    public init() {}

    public func run(_ work: FilterWork, parameters: [String: String]) async throws -> FilterWork {
        guard let text = parameters["text"], !text.isEmpty else { throw FilterError(filter: name, reason: "needs a text parameter") }
        var work = work
        do {
            try work.message.insertBanner(Banner(text: text.replacingOccurrences(of: "\\n", with: "\n"), html: parameters["html"]))
            work.changed = true
        } catch RewriteError.noTextBody, RewriteError.signed {
            // Nothing to put it in, or signed content that must not change: leave the message.
        }
        return work
    }
}
