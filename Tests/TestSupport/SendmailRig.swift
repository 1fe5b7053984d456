import Foundation

/// A real MTA on loopback in front of a milter, with an smtp-sink behind it: what the
/// end-to-end tests need from Postfix and from Sendmail alike.
public protocol MailRig: AnyObject, Sendable {
    /// The rig's directory (the sink writes into its `sink/`).
    var directory: String { get }
    /// The MTA's port whose mail passes the milter.
    var smtpPort: Int { get }
    /// A port of the same MTA whose mail does not (the reinjection path), 0 when there is none.
    var plainPort: Int { get }
    /// Waits until the MTA has tried every message it accepted (quarantined ones aside).
    func waitForQueue(timeout: TimeInterval) async -> Bool
    /// The delivered message containing `marker`, without the sink's trace headers, waiting for it.
    func deliveredMessage(containing marker: String, timeout: TimeInterval) async -> String?
    /// The MTA's log.
    var log: String { get }
    /// Stops the MTA and the sink.
    func stop() async
}

extension MailRig {
    /// Every file the sink wrote, oldest first.
    public func sinkFiles() -> [String] {
        let path = "\(directory)/sink"
        return ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { "\(path)/\($0)" }
    }

    /// The sink's raw file containing `marker` (with smtp-sink's `X-Rcpt-Args` etc.).
    public func sinkFile(containing marker: String) -> String? {
        for file in sinkFiles() {
            if let text = try? String(contentsOfFile: file, encoding: .utf8), text.contains(marker) { return text }
        }
        return nil
    }
}

extension PostfixRig: MailRig {}

/// Which MTA a test runs through.
public enum MailRigKind: String, Sendable, CaseIterable {
    case postfix, sendmail

    /// Whether it can run here.
    public var canRun: Bool {
        switch self {
        case .postfix: TestEnvironment.canRunPostfix
        case .sendmail: SendmailRig.canRun
        }
    }

    /// The kinds a test parameterized by MTA runs with: every kind under CI (a missing one
    /// fails), else those that can run here.
    public static var testable: [MailRigKind] {
        TestEnvironment.isCI ? allCases : allCases.filter(\.canRun)
    }

    /// What it needs, for ``MissingComponent``.
    public var requirement: String {
        switch self {
        case .postfix: "root and the postfix package"
        case .sendmail: "root, ../shared/rig/sendmail-rig.sh and smtp-sink"
        }
    }

    /// Starts it in front of `milter` (`inet:HOST:PORT`), with a milter-free port.
    public func start(milter: String) async throws -> any MailRig {
        switch self {
        case .postfix: try await PostfixRig.start(milter: milter)
        case .sendmail: try await SendmailRig.start(milter: milter)
        }
    }
}

/// A private Sendmail 8.17 on loopback (`../shared/rig/sendmail-rig.sh`: the Debian packages
/// unpacked into a cache, never installed — they would remove Postfix), in front of a milter,
/// relaying everything to its own smtp-sink. With a plain listener: a second Sendmail without
/// the milter delivering to the same sink (the reinjection path, like Postfix's plain port).
///
/// Every TCP connect to the milter-protected port opens a milter session, so nothing here
/// probes that port; the script waits for its listener through `/proc/net/tcp`.
public final class SendmailRig: MailRig, @unchecked Sendable {
    public let directory: String
    public let smtpPort: Int
    public let sinkPort: Int
    public let plainPort: Int
    private let plainDirectory: String?

    private init(directory: String, smtpPort: Int, sinkPort: Int, plainPort: Int, plainDirectory: String?) {
        self.directory = directory
        self.smtpPort = smtpPort
        self.sinkPort = sinkPort
        self.plainPort = plainPort
        self.plainDirectory = plainDirectory
    }

    /// The rig script: `SEKISHO_SENDMAIL_RIG`, else `shared/rig/sendmail-rig.sh` beside the
    /// checkout or beside a folder above it, else the workspace's `/work/shared/rig`.
    public static var script: String? {
        if let path = ProcessInfo.processInfo.environment["SEKISHO_SENDMAIL_RIG"], !path.isEmpty {
            return TestEnvironment.hasExecutable(path) ? path : nil
        }
        var folder = TestEnvironment.packageRoot
        while folder.path != "/" {
            folder.deleteLastPathComponent()
            let candidate = folder.appendingPathComponent("shared/rig/sendmail-rig.sh").path
            if TestEnvironment.hasExecutable(candidate) { return candidate }
        }
        let fallback = "/work/shared/rig/sendmail-rig.sh"
        return TestEnvironment.hasExecutable(fallback) ? fallback : nil
    }

    /// Whether a Sendmail rig can run here (root, the script, smtp-sink).
    public static var canRun: Bool {
        TestEnvironment.isRoot && script != nil && TestEnvironment.hasExecutable("/usr/sbin/smtp-sink")
    }

    /// Starts Sendmail with `milter` (`inet:HOST:PORT`, `inet:PORT@HOST`, `unix:/path`, or nil
    /// for none), `F=` `flags` and `T=` `timeouts`; with `plainListener`, a second instance without
    /// a milter on ``plainPort`` delivering to the same sink.
    public static func start(
        milter: String?, flags: String = "T", timeouts: String = "C:10s;S:30s;R:30s;E:5m", plainListener: Bool = true, ipv6: Bool = false
    ) async throws -> SendmailRig {
        guard let script else { throw MissingComponent("../shared/rig/sendmail-rig.sh (or SEKISHO_SENDMAIL_RIG)") }
        let directory = try makeDirectory("sendmail-rig")
        let (smtpPort, sinkPort) = (FreePort.next(), FreePort.next())
        var arguments = [
            "start", directory, "--smtp-port", "\(smtpPort)", "--sink-port", "\(sinkPort)", "--milter", milter ?? "none",
            "--milter-flags", flags, "--milter-timeouts", timeouts, "--queue-interval", "5s",
        ]
        if ipv6 { arguments.append("--ipv6") }
        let started: ProcessRunner.Result
        do {
            started = try await ProcessRunner.runLeavingDaemons(script, arguments, timeout: 180)
        } catch {
            _ = try? await ProcessRunner.runLeavingDaemons(script, ["stop", directory], timeout: 60)
            throw error
        }
        guard started.status == 0 else {
            _ = try? await ProcessRunner.runLeavingDaemons(script, ["stop", directory], timeout: 60)
            throw SMTPTestError("sendmail-rig start failed (\(started.status)): \(started.error.suffix(2000))")
        }
        var plainPort = 0
        var plainDirectory: String?
        if plainListener {
            let second = try makeDirectory("sendmail-rig-plain")
            plainPort = FreePort.next()
            let plain = try? await ProcessRunner.runLeavingDaemons(
                script, ["start", second, "--smtp-port", "\(plainPort)", "--sink-port", "\(sinkPort)", "--milter", "none", "--no-sink", "--queue-interval", "5s"],
                timeout: 180
            )
            guard let plain, plain.status == 0 else {
                for rig in [directory, second] { _ = try? await ProcessRunner.runLeavingDaemons(script, ["stop", rig], timeout: 60) }
                throw SMTPTestError("sendmail-rig start (plain) failed (\(plain?.status ?? -1)): \(plain?.error.suffix(2000) ?? "killed")")
            }
            plainDirectory = second
        }
        return SendmailRig(directory: directory, smtpPort: smtpPort, sinkPort: sinkPort, plainPort: plainPort, plainDirectory: plainDirectory)
    }

    private static func makeDirectory(_ prefix: String) throws -> String {
        // The script refuses characters outside A-Za-z0-9_./+- (the path goes into the cf).
        let path = "/tmp/\(prefix)-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chmod(path, 0o755)
        return path
    }

    /// Stops both instances and the sink, and removes their directories.
    public func stop() async {
        guard let script = Self.script else { return }
        for rig in [directory] + (plainDirectory.map { [$0] } ?? []) {
            let stopped = try? await ProcessRunner.runLeavingDaemons(script, ["stop", rig], timeout: 60)
            if stopped?.status == 0 { try? FileManager.default.removeItem(atPath: rig) }
        }
    }

    /// `sendmail-rig.sh wait`: no accepted message still untried (quarantined ones do not count).
    public func waitForQueue(timeout: TimeInterval = 30) async -> Bool {
        guard let script = Self.script else { return false }
        for rig in [directory] + (plainDirectory.map { [$0] } ?? []) {
            guard let result = try? await ProcessRunner.runLeavingDaemons(script, ["wait", rig, "\(Int(timeout.rounded(.up)))"], timeout: timeout + 30),
                result.status == 0
            else { return false }
        }
        return true
    }

    public func deliveredMessage(containing marker: String, timeout: TimeInterval = 30) async -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            _ = await waitForQueue(timeout: max(1, deadline.timeIntervalSinceNow))
            if let text = sinkFile(containing: marker) { return PostfixRig.strip(text) }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    /// Sendmail's log lines (the script's syslog shim), both instances.
    public var log: String {
        ([directory] + (plainDirectory.map { [$0] } ?? [])).map {
            (try? String(contentsOfFile: "\($0)/log/sendmail.log", encoding: .utf8)) ?? ""
        }.joined()
    }

    /// Messages quarantined by a milter (`hf` files in the queue directory).
    public func quarantinedCount() -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/queue")) ?? []).filter { $0.hasPrefix("hf") }.count
    }

    /// Submits a message on the command line through the rig's mail submission program (which
    /// relays it over SMTP to the milter-protected MTA: Sendmail filters SMTP input only).
    public func submit(_ message: [UInt8], from sender: String, to recipients: [String]) async throws -> Int32 {
        guard let script = Self.script else { throw MissingComponent("../shared/rig/sendmail-rig.sh") }
        let result = try await ProcessRunner.runLeavingDaemons(script, ["sendmail", directory, "-f", sender] + recipients, input: Data(message), timeout: 60)
        return result.status
    }
}
