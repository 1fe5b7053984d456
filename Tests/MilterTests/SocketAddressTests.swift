import Testing

@testable import Milter

@Suite("Socket specifications")
struct SocketAddressTests {
    static let valid: [(String, MilterSocketAddress)] = [
        ("inet:10029@127.0.0.1", .inet(host: "127.0.0.1", port: 10029)),
        ("inet:10029", .inet(host: "", port: 10029)),
        ("inet6:10029@::1", .inet(host: "::1", port: 10029)),
        ("inet6:10029@[::1]", .inet(host: "::1", port: 10029)),
        ("inet:127.0.0.1:10029", .inet(host: "127.0.0.1", port: 10029)),
        ("inet:[::1]:10029", .inet(host: "::1", port: 10029)),
        ("inet:localhost:0", .inet(host: "localhost", port: 0)),
        ("unix:/run/sekisho/milter.sock", .unix(path: "/run/sekisho/milter.sock")),
        ("local:/run/milter.sock", .unix(path: "/run/milter.sock")),
        ("/run/milter.sock", .unix(path: "/run/milter.sock")),
        ("  inet:25@host  ", .inet(host: "host", port: 25)),
    ]

    @Test("Sendmail and Postfix spellings parse", arguments: valid)
    func parses(_ spec: String, _ expected: MilterSocketAddress) throws {
        #expect(try MilterSocketAddress(parsing: spec) == expected)
    }

    static let invalid = ["", "10029", "tcp:10029@127.0.0.1", "inet:", "inet:abc@host", "inet:70000@host", "unix:relative", "smtp:x", "inet:::1:25"]

    @Test("bad specifications name the problem", arguments: invalid)
    func refuses(_ spec: String) {
        #expect(throws: MilterSocketAddressError.self) { try MilterSocketAddress(parsing: spec) }
    }

    @Test("both MTAs' spellings are printed")
    func spellings() {
        let v4 = MilterSocketAddress.inet(host: "127.0.0.1", port: 10029)
        #expect(v4.postfixSpelling == "inet:127.0.0.1:10029")
        #expect(v4.sendmailSpelling == "inet:10029@127.0.0.1")
        let v6 = MilterSocketAddress.inet(host: "::1", port: 10029)
        #expect(v6.postfixSpelling == "inet:[::1]:10029")
        #expect(v6.sendmailSpelling == "inet6:10029@::1")
        #expect(MilterSocketAddress.unix(path: "/s").postfixSpelling == "unix:/s")
    }
}
