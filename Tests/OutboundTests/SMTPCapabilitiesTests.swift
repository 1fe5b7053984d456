import Outbound
import Testing

@Suite("EHLO capabilities")
struct SMTPCapabilitiesTests {
    static func capabilities(_ lines: [String]) -> SMTPCapabilities {
        SMTPCapabilities(ehloResponse: SMTPResponse(code: 250, lines: ["rig.test greets client"] + lines))
    }

    @Test("Postfix's EHLO reply")
    func postfix() {
        let capabilities = Self.capabilities([
            "PIPELINING", "SIZE 52428800", "VRFY", "ETRN", "STARTTLS", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING",
        ])
        #expect(capabilities.pipelining)
        #expect(capabilities.size)
        #expect(capabilities.sizeLimit == 52_428_800)
        #expect(capabilities.startTLS)
        #expect(capabilities.enhancedStatusCodes)
        #expect(capabilities.eightBitMIME)
        #expect(capabilities.smtpUTF8)
        #expect(capabilities.authenticationMechanisms.isEmpty)
        #expect(!capabilities.supports("rig.test"), "the first line is the greeting, not a keyword")
    }

    @Test("AUTH in both spellings, keywords case-insensitive")
    func auth() {
        let capabilities = Self.capabilities(["auth PLAIN login", "AUTH=CRAM-MD5", "pipelining"])
        #expect(capabilities.authenticationMechanisms == ["PLAIN", "LOGIN", "CRAM-MD5"])
        #expect(capabilities.pipelining)
    }

    @Test("SIZE without a limit, or 0, means no declared limit")
    func sizeWithoutLimit() {
        #expect(Self.capabilities(["SIZE"]).size)
        #expect(Self.capabilities(["SIZE"]).sizeLimit == nil)
        #expect(Self.capabilities(["SIZE 0"]).sizeLimit == nil)
        #expect(!Self.capabilities(["8BITMIME"]).size)
    }

    @Test("a HELO session has no extensions")
    func helo() {
        #expect(!SMTPCapabilities.none.pipelining)
        #expect(!SMTPCapabilities.none.eightBitMIME)
        #expect(SMTPCapabilities.none.sizeLimit == nil)
    }
}
