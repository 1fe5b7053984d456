/// A lookup table of addresses and domains with SaMMA's matching rules, used for sender and
/// recipient conditions:
///
/// | entry | matches |
/// | --- | --- |
/// | `user@example.com` | that address |
/// | `@example.com` | addresses at exactly that domain |
/// | `example.com` | addresses at that domain and at any subdomain (`sub.example.com`) |
/// | `!…` | the same, excluded |
///
/// For an address the most specific entry wins, in SaMMA's order
/// `!address > address > !domain > domain > !parent > parent`; parents are walked label by label
/// from the nearest (`a.b.example.com` → `b.example.com` → `example.com` → `com`), and at each
/// level an exclusion beats an inclusion. Case-insensitive. Each entry may carry a value (a fixed
/// password, a destination): the value of the entry that decided is returned.
public struct AddressTable<Value: Sendable>: Sendable {
    /// The outcome of a lookup.
    public enum Match: Sendable {
        /// An inclusion decided: the entry as written and its value.
        case included(entry: String, value: Value)
        /// An exclusion (`!…`) decided.
        case excluded(entry: String)
    }

    private var addresses: [String: (String, Value)] = [:]
    private var excludedAddresses: [String: String] = [:]
    private var exactDomains: [String: (String, Value)] = [:]
    private var excludedExactDomains: [String: String] = [:]
    private var parentDomains: [String: (String, Value)] = [:]
    private var excludedParentDomains: [String: String] = [:]

    /// An empty table.
    public init() {}

    /// The number of entries.
    public private(set) var count = 0

    /// Adds an entry (`user@domain`, `@domain`, `domain`, each optionally `!`-prefixed). Throws
    /// for an empty or malformed entry. A later duplicate of an entry is ignored (first wins).
    public mutating func add(_ pattern: String, value: Value) throws(AddressTableError) {
        var text = pattern.trimmingCharacters()
        let excluded = text.hasPrefix("!")
        if excluded { text.removeFirst() }
        text = text.trimmingCharacters().lowercased()
        guard !text.isEmpty, !text.contains(where: { $0 == " " || $0 == "\t" || $0 == "," }) else {
            throw AddressTableError(entry: pattern, reason: "an entry is one address or domain")
        }
        if let at = text.firstIndex(of: "@") {
            let local = text[..<at]
            let domain = String(text[text.index(after: at)...])
            guard !domain.isEmpty, !domain.contains("@"), Self.isDomain(domain) else {
                throw AddressTableError(entry: pattern, reason: "not an address or @domain")
            }
            if local.isEmpty {
                if excluded { Self.insert(&excludedExactDomains, domain, pattern) } else { Self.insert(&exactDomains, domain, (pattern, value)) }
            } else {
                if excluded { Self.insert(&excludedAddresses, text, pattern) } else { Self.insert(&addresses, text, (pattern, value)) }
            }
        } else {
            guard Self.isDomain(text) else { throw AddressTableError(entry: pattern, reason: "not a domain") }
            // A bare domain matches the domain itself and every subdomain.
            if excluded {
                Self.insert(&excludedExactDomains, text, pattern)
                Self.insert(&excludedParentDomains, text, pattern)
            } else {
                Self.insert(&exactDomains, text, (pattern, value))
                Self.insert(&parentDomains, text, (pattern, value))
            }
        }
        count += 1
    }

    private static func insert<T>(_ dictionary: inout [String: T], _ key: String, _ value: T) {
        if dictionary[key] == nil { dictionary[key] = value }
    }

    /// Looks up an address (`user@domain`; a bare domain is looked up as a domain). `nil` when no
    /// entry applies.
    public func lookup(_ address: String) -> Match? {
        let lowered = address.lowercased()
        let domain: Substring
        if let at = lowered.lastIndex(of: "@") {
            if let entry = excludedAddresses[lowered] { return .excluded(entry: entry) }
            if let (entry, value) = addresses[lowered] { return .included(entry: entry, value: value) }
            domain = lowered[lowered.index(after: at)...]
        } else {
            domain = lowered[...]
        }
        var name = String(domain.hasSuffix(".") ? domain.dropLast() : domain)
        if let entry = excludedExactDomains[name] { return .excluded(entry: entry) }
        if let (entry, value) = exactDomains[name] { return .included(entry: entry, value: value) }
        while let dot = name.firstIndex(of: ".") {
            name = String(name[name.index(after: dot)...])
            if let entry = excludedParentDomains[name] { return .excluded(entry: entry) }
            if let (entry, value) = parentDomains[name] { return .included(entry: entry, value: value) }
        }
        return nil
    }

    /// Whether an inclusion decides for `address`.
    public func contains(_ address: String) -> Bool {
        if case .included = lookup(address) { return true }
        return false
    }

    private static func isDomain(_ text: String) -> Bool {
        guard !text.hasPrefix("."), !text.contains("..") else { return false }
        return text.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "." || $0 == "_" || $0.value > 127 }
            || (text.hasPrefix("[") && text.hasSuffix("]"))
    }
}

extension AddressTable where Value == Void {
    /// A table from entries without values.
    public init(_ entries: [String]) throws(AddressTableError) {
        self.init()
        for entry in entries { try add(entry, value: ()) }
    }
}

/// A table entry that cannot be used.
public struct AddressTableError: Error, Hashable, Sendable, CustomStringConvertible {
    public var entry: String
    public var reason: String
    public var description: String { "\"\(entry)\": \(reason)" }
}

extension String {
    func trimmingCharacters() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
