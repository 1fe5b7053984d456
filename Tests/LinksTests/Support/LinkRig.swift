import Crypto
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

@testable import Links

/// A clock the tests move by hand.
final class TestClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date()) {
        current = Mutex(start)
    }

    var now: Date { current.withLock { $0 } }

    func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}

/// A link store in a fresh temporary directory, with a hand-moved clock, a log capture and a
/// way to run the download server on a free port around a test.
struct LinkRig {
    let directory: String
    let settings: LinkSettings
    let clock: TestClock
    let store: LinkStore
    let logs: LogCapture

    /// A rig; `configure` adjusts the settings (the directory and base URL are set already).
    static func make(_ configure: (inout LinkSettings) -> Void = { _ in }) async throws -> LinkRig {
        let directory = NSTemporaryDirectory() + "sekisho-links-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        var settings = LinkSettings(
            directory: directory + "/store", baseURL: "https://files.example.co.jp", listen: "127.0.0.1:0")
        settings.timeZone = TimeZone(identifier: "Asia/Tokyo")!
        configure(&settings)
        let clock = TestClock()
        let store = try await LinkStore.open(settings: settings, clock: { clock.now })
        return LinkRig(directory: directory, settings: settings, clock: clock, store: store, logs: LogCapture())
    }

    /// The same directory and clock, a newly opened store (a restart).
    func reopened() async throws -> LinkRig {
        let clock = self.clock
        let store = try await LinkStore.open(settings: settings, clock: { clock.now })
        return LinkRig(directory: directory, settings: settings, clock: clock, store: store, logs: logs)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A link with the given files (name and bytes), expiring in a day unless said otherwise.
    func create(
        _ files: [(String, [UInt8])], contentType: String = "application/octet-stream",
        expiresIn: TimeInterval = 86_400,
        maximumDownloads: Int? = nil, password: String? = nil, subject: String = "見積書の送付", notify: Bool = false
    ) async throws -> CreatedLink {
        try await store.create(
            NewLink(
                files: files.map { (name: $0.0, contentType: contentType, content: NewLink.content(bytes: $0.1)) },
                expires: clock.now.addingTimeInterval(expiresIn), maximumDownloads: maximumDownloads,
                password: password,
                sender: "tanaka@example.co.jp", recipients: ["suzuki@example.com"], subject: subject,
                messageID: "<m1@example.co.jp>",
                queueID: "4ABC123", notifySenderOnFirstDownload: notify))
    }

    /// Runs a ``LinkServer`` on a free port for `body`, which gets `http(s)://127.0.0.1:<port>`;
    /// then shuts it down gracefully and waits for it.
    func withServer<T: Sendable>(
        onFirstDownload: (@Sendable (FirstDownload) async -> Void)? = nil, _ body: (String) async throws -> T
    ) async throws -> T {
        let scheme = settings.tlsCertificate == nil ? "http" : "https"
        return try await withListeningService({ onListening in
            LinkServer(
                store: store, settings: settings, logger: logs.logger(label: "links", level: .trace),
                onFirstDownload: onFirstDownload, onListening: onListening)
        }) { port in
            try await body("\(scheme)://127.0.0.1:\(port)")
        }
    }

    /// The blob files on disk (`blobs/xx/…`), as names.
    func blobNames() -> [String] {
        let root = settings.directory + "/blobs"
        var names = [String]()
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] where entry.count == 2 {
            for file in (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + entry)) ?? [] {
                names.append(entry + file)
            }
        }
        return names.sorted()
    }

    func blobPath(_ name: String) -> String {
        settings.directory + "/blobs/" + name.prefix(2) + "/" + name.dropFirst(2)
    }

    /// Fails the test if any log line or metadata value holds one of `secrets`.
    func expectNoSecretsLogged(_ secrets: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        for record in logs.records {
            for secret in secrets where record.description.contains(secret) {
                Issue.record("a log line holds a secret: \(record)", sourceLocation: sourceLocation)
            }
        }
    }

    /// Waits until the audit trail of a link has an entry with `outcome` (the end of a download
    /// is recorded after the client has its last byte).
    func waitForAudit(_ linkID: Int64, outcome: AuditOutcome, timeout: TimeInterval = 15) async throws -> [AuditEntry] {
        try await waitForAudit(linkID, timeout: timeout) { entries in entries.contains { $0.outcome == outcome } }
    }

    /// Waits until the audit trail of a link satisfies `done` (or the timeout passes).
    func waitForAudit(_ linkID: Int64, timeout: TimeInterval = 15, until done: ([AuditEntry]) -> Bool) async throws
        -> [AuditEntry]
    {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let entries = try await store.audit(linkID: linkID)
            if done(entries) || Date() > deadline { return entries }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// Random bytes (fast, not for secrets).
func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    var bytes = [UInt8](repeating: 0, count: count)
    var index = 0
    while index < count {
        var word = generator.next()
        for _ in 0..<8 where index < count {
            bytes[index] = UInt8(truncatingIfNeeded: word)
            word >>= 8
            index += 1
        }
    }
    return bytes
}

func sha256Hex(_ bytes: some DataProtocol) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}
