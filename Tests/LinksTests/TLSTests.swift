import Foundation
import TestSupport
import Testing

@testable import Links

/// HTTPS with a self-signed certificate made by openssl for the test.
@Suite("HTTPS")
struct TLSTests {
    @Test("with tls_certificate and tls_key the server speaks HTTPS and serves the file byte for byte")
    func https() async throws {
        let openssl = try Tool.require("/usr/bin/openssl")
        let scratch = NSTemporaryDirectory() + "links-tls-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let made = try await Tool.run(
            openssl,
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "2", "-keyout",
                scratch + "/key.pem", "-out", scratch + "/cert.pem",
            ])
        #expect(made.status == 0, "\(made.error)")
        let rig = try await LinkRig.make {
            $0.tlsCertificate = scratch + "/cert.pem"
            $0.tlsKey = scratch + "/key.pem"
        }
        defer { rig.remove() }
        let content = randomBytes(1_500_000)
        let link = try await rig.create([("secure.bin", content)])
        try await rig.withServer { base async throws in
            #expect(base.hasPrefix("https://"))
            let health = try await Curl.get(base + "/healthz")
            #expect(health.status == 200 && health.text == "ok")
            let download = try await Curl.get(base + "/l/" + link.token + "/0")
            #expect(download.status == 200 && sha256Hex(download.body) == sha256Hex(content))
            // The certificate is the one configured.
            let verbose = try await Curl.get(base + "/healthz", extra: ["-v"])
            #expect(verbose.error.contains("CN=localhost"), "\(verbose.error)")
            // Plain HTTP to the TLS port gets no HTTP answer.
            let plain = try await Curl.get(base.replacingOccurrences(of: "https://", with: "http://") + "/healthz")
            #expect(plain.status != 200)
        }
    }

    @Test("an unreadable key is a tls error naming the file")
    func badKey() throws {
        #expect(throws: LinkError.self) {
            try LinkServer.tlsConfiguration(certificate: "/etc/hostname", key: "/etc/hostname")
        }
        do {
            _ = try LinkServer.tlsConfiguration(certificate: "/nonexistent/cert.pem", key: "/nonexistent/key.pem")
        } catch {
            #expect(error.code == .tls && error.path == "/nonexistent/cert.pem")
        }
    }
}
