import Archive
import Foundation

/// The search page's form: the query box plus the filters, turned into one query in the
/// archive's language (filters become `after:`, `before:`, `direction:`, `has:attachment`
/// clauses, each validated first so a filter field cannot smuggle clauses in).
struct SearchForm: Sendable, Equatable {
    var query = ""
    var after = ""
    var before = ""
    var direction = ""
    var attachment = false
    var order = ArchiveSortOrder.newest
    var page = 1

    static let directions = ["inbound", "outbound", "internal", "mixed"]

    /// Reads the URL's query parameters (unknown or malformed values are ignored).
    init(parameters: [String: String]) {
        query = String((parameters["q"] ?? "").prefix(2000))
        if let day = parameters["after"], ArchiveQuery.Day(day) != nil { after = day }
        if let day = parameters["before"], ArchiveQuery.Day(day) != nil { before = day }
        if let value = parameters["direction"], Self.directions.contains(value) { direction = value }
        attachment = parameters["attachment"] == "1"
        if let value = parameters["order"].flatMap(ArchiveSortOrder.init(rawValue:)) { order = value }
        page = max(1, min(Int(parameters["page"] ?? "") ?? 1, 10_000))
    }

    /// The whole search as one query text (what is run, audited, exported and held).
    var effectiveQuery: String {
        var parts = [query.trimmingCharacters(in: .whitespacesAndNewlines)]
        if !after.isEmpty { parts.append("after:\(after)") }
        if !before.isEmpty { parts.append("before:\(before)") }
        if !direction.isEmpty { parts.append("direction:\(direction)") }
        if attachment { parts.append("has:attachment") }
        return parts.filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// The URL of this search on another page (values percent-encoded, `+` included).
    func url(page: Int) -> String {
        var items = [("q", query)]
        if !after.isEmpty { items.append(("after", after)) }
        if !before.isEmpty { items.append(("before", before)) }
        if !direction.isEmpty { items.append(("direction", direction)) }
        if attachment { items.append(("attachment", "1")) }
        items.append(("order", order.rawValue))
        items.append(("page", String(page)))
        let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        return "/search?" + items.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "")" }.joined(separator: "&")
    }
}
