import Foundation
import Logging
@testable import Outbound
import Synchronization
import TestSupport
import Testing

/// The rig for ``PostfixClientTests``: one Postfix offering STARTTLS with a fresh self-signed
/// certificate.
final class PostfixClientFixture: Sendable {
    @TaskLocal static var current: PostfixClientFixture?

    let rig: PostfixRig
    let certificate: TestCertificate

    init(rig: PostfixRig, certificate: TestCertificate) {
        self.rig = rig
        self.certificate = certificate
    }

    static func require() throws -> PostfixClientFixture {
        guard let current else { throw MissingComponent("postfix rig (suite trait not applied)") }
        return current
    }
}

struct PostfixClientRigTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let directory = try TemporaryDirectory("sekisho-tls")
        defer { directory.remove() }
        let certificate = try await TestCertificate.make(in: directory.path)
        try await OutboundPostfix.withRig { rig in
            try await certificate.install(in: rig)
            try await PostfixClientFixture.$current.withValue(PostfixClientFixture(rig: rig, certificate: certificate)) {
                try await function()
            }
        }
    }
}

@Suite(
    "SMTP client through a real Postfix",
    .serialized,
    PostfixClientRigTrait(),
    .enabled(if: TestEnvironment.canRunPostfix || TestEnvironment.isCI)
)
struct PostfixClientTests {
    static func client(logs: LogCapture = LogCapture()) throws -> SMTPClient {
        try SMTPClient(configuration: SMTPClientConfiguration(heloName: "client.test", timeouts: SMTPTimeouts(all: .seconds(60))), logger: logs.logger())
    }

    static func relay(_ rig: PostfixRig, tls: SMTPTLSSettings = SMTPTLSSettings(mode: .none)) -> SMTPRelay {
        SMTPRelay(host: "127.0.0.1", port: rig.plainPort, tls: tls)
    }

    static func marker(_ name: String) -> String { "outbound-\(name)-\(UInt32.random(in: 0...UInt32.max))" }

    static func message(_ marker: String, body: String, to recipients: [String] = ["b@example.org"]) -> OutboundMessage {
        OutboundMessage(sender: address("a@example.com"), recipients: recipients.map(address), bytes: testMessage(marker: marker, body: body))
    }

    @Test("lines that are just '.' and '..' arrive byte-exact")
    func dotLines() async throws {
        let fixture = try PostfixClientFixture.require()
        let marker = Self.marker("dots")
        let body = "line one\n.\n..\n...\n. \n.x\nlast line\n"
        let result = try await Self.client().withSession(to: Self.relay(fixture.rig)) { session in
            try await session.send(Self.message(marker, body: body))
        }
        #expect(result.delivered.count == 1)
        let delivered = try #require(await fixture.rig.deliveredMessage(containing: marker))
        #expect(delivered.hasSuffix("\n\n" + body))
    }

    @Test("an 8-bit UTF-8 body arrives intact, declared BODY=8BITMIME")
    func eightBit() async throws {
        let fixture = try PostfixClientFixture.require()
        let marker = Self.marker("8bit")
        let body = "Grüße aus München, 東京から, Ελληνικά ✓\n"
        let result = try await Self.client().withSession(to: Self.relay(fixture.rig)) { session in
            try await session.send(Self.message(marker, body: body))
        }
        #expect(result.delivered.count == 1)
        let delivered = try #require(await fixture.rig.deliveredMessage(containing: marker))
        #expect(delivered.hasSuffix("\n\n" + body))
        let raw = try #require(fixture.rig.sinkFile(containing: marker))
        #expect(raw.contains("BODY=8BITMIME"), "Postfix passes on the body type it was given")
    }

    @Test("a 20 MB message is streamed from its file and arrives byte-exact (memory growth printed)")
    func twentyMegabytes() async throws {
        let fixture = try PostfixClientFixture.require()
        let directory = try TemporaryDirectory("sekisho-big")
        defer { directory.remove() }
        let marker = Self.marker("20mb")
        let path = "\(directory.path)/big.eml"
        let generate = try await ProcessRunner.run("/bin/sh", ["-c", """
            { printf 'From: <a@example.com>\\nTo: <b@example.org>\\nSubject: big\\nDate: Sun, 29 Nov 2026 04:58:36 +0000\\nMessage-ID: <%s@sekisho.test>\\nX-Test-Marker: %s\\n\\n' '\(marker)' '\(marker)'
              awk 'BEGIN { x = sprintf("%86s", ""); gsub(/ /, "x", x); for (i = 0; i < 210000; i++) { if (i % 1000 == 0) print "."; else if (i % 777 == 0) print ".." i; else printf "line %07d %s\\n", i, x } }'
            } > '\(path)'
            """])
        #expect(generate.status == 0, "\(generate.error)")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(size > 20_000_000)

        let message = try await OutboundMessage.file(sender: address("a@example.com"), recipients: [address("b@example.org")], path: path)
        let baseline = residentMemory()
        let peak = MemoryPeak(baseline)
        let clock = ContinuousClock()
        let started = clock.now
        let result = try await withThrowingTaskGroup(of: TransactionResult?.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    let current = residentMemory()
                    peak.record(current)
                    try? await Task.sleep(for: .milliseconds(20))
                }
                return nil
            }
            let result = try await Self.client().withSession(to: Self.relay(fixture.rig)) { session in try await session.send(message) }
            group.cancelAll()
            return result
        }
        let elapsed = clock.now - started
        let growth = peak.value - baseline
        print("20 MB message: sent in \(elapsed), resident memory grew by \(growth / 1024) KiB")
        #expect(result.delivered.count == 1)
        // Printed, not asserted: every suite runs in this process at the same time, so its
        // resident size is not this send's alone (memory targets live in benchmarks; the
        // streaming itself is what the byte-exact check below and the file-backed message prove).

        #expect(await fixture.rig.waitForQueue(timeout: 120))
        let find = try await ProcessRunner.run("/bin/sh", ["-c", "grep -l -F '\(marker)' '\(fixture.rig.directory)/sink/'*"])
        let sinkFile = try #require(find.output.split(separator: "\n").first.map(String.init))
        // smtp-sink adds trace headers in front and one blank line at the end; the message is the tail.
        let compare = try await ProcessRunner.run("/bin/sh", ["-c", "tail -c \(size + 1) '\(sinkFile)' | head -c \(size) | cmp - '\(path)'"])
        #expect(compare.status == 0, "delivered bytes differ: \(compare.output) \(compare.error)")
    }

    @Test("several messages over one reused connection (RSET between)")
    func reuse() async throws {
        let fixture = try PostfixClientFixture.require()
        let connectsBefore = fixture.rig.log.components(separatedBy: "postfix/plain/smtpd").filter { $0.contains(": connect from") }.count
        let markers = (0..<5).map { Self.marker("reuse\($0)") }
        let results = try await Self.client().withSession(to: Self.relay(fixture.rig)) { session in
            var results: [TransactionResult] = []
            for marker in markers { results.append(try await session.send(Self.message(marker, body: "message \(marker)\n"))) }
            return results
        }
        #expect(results.allSatisfy { $0.delivered.count == 1 })
        for marker in markers { #expect(await fixture.rig.deliveredMessage(containing: marker) != nil, "\(marker)") }
        let connectsAfter = fixture.rig.log.components(separatedBy: "postfix/plain/smtpd").filter { $0.contains(": connect from") }.count
        #expect(connectsAfter - connectsBefore == 1, "one connection for five messages")
    }

    @Test("partial refusal: delivered to the accepted recipient, 5xx and 4xx reported per recipient")
    func partialRefusal() async throws {
        let fixture = try PostfixClientFixture.require()
        let marker = Self.marker("partial")
        let result = try await Self.client().withSession(to: Self.relay(fixture.rig)) { session in
            try await session.send(Self.message(marker, body: "partial\n", to: ["ok@example.org", "refused@example.org", "later@example.org"]))
        }
        #expect(result.delivered == [address("ok@example.org")])
        let refused = try #require(result.failed.first)
        #expect(refused.recipient == address("refused@example.org"))
        #expect(refused.error?.response?.code == 554)
        #expect(refused.error?.enhancedCode.description == "5.7.1")
        let deferred = try #require(result.deferred.first)
        #expect(deferred.recipient == address("later@example.org"))
        #expect(deferred.error?.response?.code == 450)
        #expect(deferred.error?.isTransient == true)
        let raw = try #require(await fixture.rig.deliveredMessage(containing: marker))
        #expect(raw.contains(marker))
        #expect(fixture.rig.log.contains("to=<ok@example.org>"))
        #expect(!fixture.rig.log.contains("to=<refused@example.org>, relay"))
    }

    @Test("STARTTLS with full verification against the system roots fails with a certificate error")
    func tlsUntrusted() async throws {
        let fixture = try PostfixClientFixture.require()
        do {
            try await Self.client().withSession(to: Self.relay(fixture.rig, tls: SMTPTLSSettings(mode: .required))) { _ in }
            Issue.record("a self-signed certificate must not verify")
        } catch let error as SMTPClientError {
            #expect(error.code == .tlsFailed)
            #expect(error.isTransient)
            #expect(error.detail.contains("CERTIFICATE_VERIFY_FAILED"), "\(error)")
        }
    }

    @Test("STARTTLS with the self-signed certificate as trust root and the expected name: encrypted, delivered")
    func tlsTrusted() async throws {
        let fixture = try PostfixClientFixture.require()
        let marker = Self.marker("tls")
        let tls = SMTPTLSSettings(
            mode: .required, verification: .full, trustRoots: .pemFile(fixture.certificate.certificatePath), serverName: "localhost"
        )
        let result = try await Self.client().withSession(to: Self.relay(fixture.rig, tls: tls)) { session in
            #expect(session.isEncrypted)
            #expect(!session.capabilities.startTLS, "the EHLO after TLS no longer offers STARTTLS")
            return try await session.send(Self.message(marker, body: "over TLS\n"))
        }
        #expect(result.delivered.count == 1)
        #expect(await fixture.rig.deliveredMessage(containing: marker) != nil)
        #expect(fixture.rig.log.contains("TLS connection established from localhost[127.0.0.1]"))
    }

    @Test("verification levels: a name the certificate does not carry fails with full, passes with no-hostname")
    func tlsHostnameVerification() async throws {
        let fixture = try PostfixClientFixture.require()
        let roots = TrustRoots.pemFile(fixture.certificate.certificatePath)
        for name in ["mail.example.net", nil] {
            // nil: the relay is 127.0.0.1 and the certificate has no IP address.
            let tls = SMTPTLSSettings(mode: .required, verification: .full, trustRoots: roots, serverName: name)
            do {
                try await Self.client().withSession(to: Self.relay(fixture.rig, tls: tls)) { _ in }
                Issue.record("the name \(name ?? "127.0.0.1") must not match")
            } catch let error as SMTPClientError {
                #expect(error.code == .tlsFailed, "\(error)")
            }
        }
        let relaxed = SMTPTLSSettings(mode: .required, verification: .noHostname, trustRoots: roots, serverName: "mail.example.net")
        let encrypted = try await Self.client().withSession(to: Self.relay(fixture.rig, tls: relaxed)) { $0.isEncrypted }
        #expect(encrypted)
        let unverified = SMTPTLSSettings(mode: .required, verification: .none)
        #expect(try await Self.client().withSession(to: Self.relay(fixture.rig, tls: unverified)) { $0.isEncrypted })
    }

    @Test("opportunistic STARTTLS encrypts without checking the certificate (Postfix may), with no plaintext retry")
    func tlsOpportunisticUnverified() async throws {
        let fixture = try PostfixClientFixture.require()
        let marker = Self.marker("opportunistic")
        let logs = LogCapture()
        // The self-signed certificate does not verify against the system roots, and the relay is
        // an IP address it does not name: neither matters without verification.
        let tls = SMTPTLSSettings(mode: .opportunistic, verification: .full)
        let result = try await Self.client(logs: logs).withSession(to: Self.relay(fixture.rig, tls: tls)) { session in
            #expect(session.isEncrypted)
            #expect(session.relay.tls.mode == .opportunistic)
            return try await session.send(Self.message(marker, body: "opportunistic\n"))
        }
        #expect(result.delivered.count == 1)
        #expect(logs.records(containing: "retrying without TLS").isEmpty)
        #expect(await fixture.rig.deliveredMessage(containing: marker) != nil)
    }

    @Test("the TLS context is built once per settings and kept: a trust-root file removed afterwards is not read again")
    func tlsContextCached() async throws {
        let fixture = try PostfixClientFixture.require()
        let directory = try TemporaryDirectory("sekisho-ca")
        defer { directory.remove() }
        let roots = "\(directory.path)/roots.pem"
        try FileManager.default.copyItem(atPath: fixture.certificate.certificatePath, toPath: roots)
        let tls = SMTPTLSSettings(mode: .required, verification: .full, trustRoots: .pemFile(roots), serverName: "localhost")
        let client = try Self.client()
        #expect(try await client.withSession(to: Self.relay(fixture.rig, tls: tls)) { $0.isEncrypted })
        try FileManager.default.removeItem(atPath: roots)
        #expect(try await client.withSession(to: Self.relay(fixture.rig, tls: tls)) { $0.isEncrypted }, "the cached context needs no file")
        var other = tls
        other.serverName = "localhost."
        #expect(try await client.withSession(to: Self.relay(fixture.rig, tls: other)) { $0.isEncrypted }, "the expected name is not part of the context")
        #expect(client.tlsContexts.count == 1)
        // A new client has no context yet: the missing file is now a configuration error.
        do {
            try await Self.client().withSession(to: Self.relay(fixture.rig, tls: tls)) { _ in }
            Issue.record("the trust roots are gone")
        } catch let error as SMTPClientError {
            #expect(error.code == .tlsConfiguration, "\(error)")
        }
    }
}
