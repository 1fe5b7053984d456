import Policy

/// Maps envelope addresses for a copy (`user@example.jp` → `user@lg.example.jp`): each entry is
/// a pattern in the lookup-table syntax (``AddressTable``: `user@domain`, `@domain`, `domain`
/// with subdomains, `!…` to exclude) and what it becomes: a whole address, or `@domain` to keep
/// the local part and change the domain. The most specific entry wins. Pure.
public struct AddressRewrite: Sendable {
    private var table = AddressTable<String>()

    /// An empty map (nothing matches).
    public init() {}

    /// Reads `pattern replacement` lines (`#` comments and blank lines ignored).
    /// - Throws: ``AddressRewriteError`` naming the line.
    public init(lines: [String]) throws(AddressRewriteError) {
        for line in lines {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard !words.isEmpty, !words[0].hasPrefix("#") else { continue }
            let excluded = words[0].hasPrefix("!")
            guard excluded ? words.count == 1 : words.count == 2 else {
                throw AddressRewriteError(line: line, reason: excluded ? "an exclusion has no replacement" : "expected PATTERN REPLACEMENT")
            }
            let replacement = excluded ? "" : words[1]
            if !excluded {
                let at = replacement.firstIndex(of: "@")
                guard let at, replacement.index(after: at) != replacement.endIndex, !replacement[replacement.index(after: at)...].contains("@") else {
                    throw AddressRewriteError(line: line, reason: "the replacement is user@domain or @domain")
                }
            }
            do {
                try table.add(words[0], value: replacement)
            } catch {
                throw AddressRewriteError(line: line, reason: error.description)
            }
        }
    }

    /// The number of entries.
    public var count: Int { table.count }

    /// What `address` becomes, or `nil` when no entry includes it.
    public func rewrite(_ address: String) -> String? {
        guard case .included(_, let replacement) = table.lookup(address) else { return nil }
        guard replacement.hasPrefix("@") else { return replacement }
        let local = address.lastIndex(of: "@").map { address[..<$0] } ?? Substring(address)
        return local + replacement
    }
}

/// A line of an address map that cannot be used.
public struct AddressRewriteError: Error, Hashable, Sendable, CustomStringConvertible {
    public var line: String
    public var reason: String
    public var description: String { "\"\(line)\": \(reason)" }
}
