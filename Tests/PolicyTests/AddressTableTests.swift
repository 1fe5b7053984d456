import Testing

@testable import Policy

@Suite("Address tables: SaMMA precedence")
struct AddressTableTests {
    /// entries, address, expected decision ("+entry" included by, "-entry" excluded by, "none")
    static let cases: [([String], String, String)] = [
        // exact address beats everything, exclusion first
        (["!taro@example.com", "taro@example.com", "example.com"], "taro@example.com", "-!taro@example.com"),
        (["taro@example.com", "!example.com"], "taro@example.com", "+taro@example.com"),
        // domain (FQDN) beats parent, exclusion first
        (["!sub.example.com", "example.com"], "a@sub.example.com", "-!sub.example.com"),
        (["sub.example.com", "!example.com"], "a@sub.example.com", "+sub.example.com"),
        (["!@example.com", "example.com"], "a@example.com", "-!@example.com"),
        // a bare domain covers subdomains, @domain does not
        (["example.com"], "a@deep.sub.example.com", "+example.com"),
        (["@example.com"], "a@sub.example.com", "none"),
        (["@example.com"], "a@example.com", "+@example.com"),
        // parent walk: nearest level first, exclusion beats inclusion at a level
        (["example.com", "!sub.example.com"], "a@x.sub.example.com", "-!sub.example.com"),
        (["!example.com", "sub.example.com"], "a@x.sub.example.com", "+sub.example.com"),
        (["!com", "example.com"], "a@x.example.com", "+example.com"),
        (["com"], "a@example.com", "+com"),
        // case-insensitive, trailing dot
        (["Example.COM"], "Taro@EXAMPLE.com.", "+Example.COM"),
        (["!TARO@example.com", "example.com"], "taro@Example.com", "-!TARO@example.com"),
        // no entry
        (["example.com"], "a@example.net", "none"),
        (["example.com"], "a@notexample.com", "none"),
        ([], "a@example.com", "none"),
        // null sender and bare domains
        (["example.com"], "", "none"),
        (["example.com"], "example.com", "+example.com"),
    ]

    @Test("precedence table", arguments: cases)
    func precedence(entries: [String], address: String, expected: String) throws {
        let table = try AddressTable(entries)
        let got: String
        switch table.lookup(address) {
        case .included(let entry, _): got = "+\(entry)"
        case .excluded(let entry): got = "-\(entry)"
        case nil: got = "none"
        }
        #expect(got == expected, "\(entries) \(address)")
    }

    @Test("values come from the deciding entry (per-recipient fixed passwords)")
    func values() throws {
        var table = AddressTable<String>()
        try table.add("partner.example", value: "secret%Y%m")
        try table.add("ceo@partner.example", value: "other")
        #expect({ if case .included(_, let value) = table.lookup("ceo@partner.example") { return value }; return nil }() == "other")
        #expect({ if case .included(_, let value) = table.lookup("x@mail.partner.example") { return value }; return nil }() == "secret%Y%m")
    }

    @Test("bad entries are refused with the entry named", arguments: ["", "!", "a b@example.com", "user@", "@@example.com", "..example.com", "a,b"])
    func badEntries(entry: String) {
        #expect(throws: AddressTableError.self) { try AddressTable([entry]) }
    }

    @Test("first of two duplicates wins")
    func duplicates() throws {
        var table = AddressTable<Int>()
        try table.add("example.com", value: 1)
        try table.add("EXAMPLE.com", value: 2)
        if case .included(_, let value) = table.lookup("a@example.com") { #expect(value == 1) } else { Issue.record("no match") }
    }
}

@Suite("Networks")
struct NetworkRangeTests {
    @Test(
        "membership",
        arguments: [
            ("192.0.2.0/24", "192.0.2.77", true), ("192.0.2.0/24", "192.0.3.1", false), ("10.0.0.0/8", "10.255.0.1", true),
            ("192.0.2.1", "192.0.2.1", true), ("192.0.2.1", "192.0.2.2", false), ("0.0.0.0/0", "203.0.113.9", true),
            ("2001:db8::/32", "2001:db8:1::5", true), ("2001:db8::/32", "2001:db9::1", false), ("::1", "::1", true),
            ("192.0.2.0/24", "::ffff:192.0.2.5", true), ("192.0.2.0/24", "IPv6:2001:db8::1", false), ("2001:db8::/32", "IPv6:2001:db8::1", true),
            ("172.16.0.0/12", "172.31.255.255", true), ("172.16.0.0/12", "172.32.0.0", false), ("192.0.2.0/24", "not-an-ip", false),
        ])
    func membership(network: String, address: String, inside: Bool) throws {
        #expect(try NetworkRange(parsing: network).contains(address) == inside)
    }

    @Test("bad networks are refused", arguments: ["", "300.1.1.1", "1.2.3", "1.2.3.4/33", "2001:db8::/129", "1::2::3", "x/8"])
    func bad(text: String) {
        #expect(throws: NetworkRangeError.self) { try NetworkRange(parsing: text) }
    }
}
