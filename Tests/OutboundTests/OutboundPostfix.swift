import Foundation
import Synchronization
import TestSupport
import Testing

/// A private Postfix for the outbound tests (no milter; mail goes in on ``PostfixRig/plainPort``
/// and out to smtp-sink). Fails, rather than skips, under CI when Postfix is missing.
enum OutboundPostfix {
    /// Recipients the rig refuses: `refused@…` permanently (REJECT, 554 5.7.1), `later@…`
    /// temporarily (DEFER, 450 4.7.1). Everyone else is accepted.
    static let recipientRestrictions =
        "smtpd_recipient_restrictions = check_recipient_access inline:{refused@example.org=REJECT, later@example.org=DEFER}, permit"

    /// Starts a rig with `settings` added to main.cf.
    static func start(settings: [String] = []) async throws -> PostfixRig {
        guard TestEnvironment.canRunPostfix else {
            throw MissingComponent("postfix and smtp-sink, run as root")
        }
        return try await PostfixRig.start(milter: nil, settings: [recipientRestrictions] + settings)
    }

    /// Runs `body` with a fresh rig and stops it afterwards.
    static func withRig<Result>(settings: [String] = [], _ body: (PostfixRig) async throws -> Result) async throws -> Result {
        let rig = try await start(settings: settings)
        do {
            let result = try await body(rig)
            await rig.stop()
            return result
        } catch {
            await rig.stop()
            throw error
        }
    }

    /// The `X-Test-Marker` value of every message smtp-sink received (one entry per delivery).
    static func deliveredMarkers(_ rig: PostfixRig) -> [String] {
        rig.sinkFiles().flatMap { file -> [String] in
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return [] }
            return text.split(separator: "\n").filter { $0.hasPrefix("X-Test-Marker: ") }.map { String($0.dropFirst("X-Test-Marker: ".count)) }
        }
    }

    /// Waits until `condition` holds, polling; returns whether it did within `timeout`.
    static func wait(timeout: Duration, _ condition: () async -> Bool) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return await condition()
    }
}

/// A self-signed certificate for `localhost` (DNS name only, no IP address), made with openssl.
struct TestCertificate {
    let certificatePath: String
    let keyPath: String

    /// Generates the key and certificate in `directory`.
    /// - Throws: ``MissingComponent`` when openssl is missing.
    static func make(in directory: String) async throws -> TestCertificate {
        guard TestEnvironment.hasExecutable("/usr/bin/openssl") else { throw MissingComponent("openssl") }
        let certificate = TestCertificate(certificatePath: "\(directory)/cert.pem", keyPath: "\(directory)/key.pem")
        let result = try await ProcessRunner.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost",
            "-keyout", certificate.keyPath, "-out", certificate.certificatePath,
        ])
        guard result.status == 0 else { throw MissingComponent("openssl req failed: \(result.error)") }
        return certificate
    }

    /// Makes `rig` offer STARTTLS with this certificate.
    func install(in rig: PostfixRig) async throws {
        try await rig.enableTLS(certificateFile: certificatePath, keyFile: keyPath)
    }
}

/// Resident memory of this process in bytes (Linux `/proc/self/statm`).
func residentMemory() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// The highest value recorded (a memory sampler running beside the code under test).
final class MemoryPeak: Sendable {
    private let peak: Mutex<Int>

    init(_ start: Int) {
        peak = Mutex(start)
    }

    func record(_ value: Int) { peak.withLock { $0 = max($0, value) } }
    var value: Int { peak.withLock { $0 } }
}
