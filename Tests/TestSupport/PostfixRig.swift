import Foundation

/// A private, loopback-only Postfix in front of a milter, with Postfix's `smtp-sink` as the next
/// hop writing one file per delivered message (after `../shared/rig/postfix-rig.sh`).
///
/// Everything lives in a fresh directory under /tmp: config, queue, data, log and sink. Needs
/// root and the Debian `postfix` package.
public final class PostfixRig: @unchecked Sendable {
    /// The rig directory.
    public let directory: String
    /// The smtpd with the milter.
    public let smtpPort: Int
    /// The smtpd without milter (baseline).
    public let plainPort: Int
    /// smtp-sink.
    public let sinkPort: Int
    private var sink: ProcessRunner.Background?

    private init(directory: String, smtpPort: Int, plainPort: Int, sinkPort: Int) {
        self.directory = directory
        self.smtpPort = smtpPort
        self.plainPort = plainPort
        self.sinkPort = sinkPort
    }

    /// Writes the configuration and starts Postfix and the sink.
    /// - Parameters:
    ///   - milter: the `smtpd_milters`/`non_smtpd_milters` value, e.g. `inet:127.0.0.1:10029`.
    ///   - settings: extra main.cf lines (`name = value`).
    public static func start(milter: String?, settings: [String] = []) async throws -> PostfixRig {
        let directory = try makeDirectory()
        let rig = PostfixRig(directory: directory, smtpPort: FreePort.next(), plainPort: FreePort.next(), sinkPort: FreePort.next())
        try await rig.configure(milter: milter, settings: settings)
        try await rig.launch()
        return rig
    }

    private static func makeDirectory() throws -> String {
        var template = Array("/tmp/sekisho-postfix.XXXXXX".utf8CString)
        guard let pointer = mkdtemp(&template) else { throw SMTPTestError("mkdtemp failed") }
        let path = String(cString: pointer)
        chmod(path, 0o755)
        return path
    }

    private func shell(_ command: String) async throws -> ProcessRunner.Result {
        try await ProcessRunner.run("/bin/sh", ["-c", command])
    }

    private func configure(milter: String?, settings: [String]) async throws {
        let d = directory
        let setup = try await shell("""
            set -e
            install -d -o root -g root -m 755 \(d)/etc \(d)/spool \(d)/log
            install -d -o postfix -g postfix -m 700 \(d)/data
            install -d -o nobody -m 755 \(d)/sink
            """)
        guard setup.status == 0 else { throw SMTPTestError("rig setup failed: \(setup.error)") }
        var main = """
            compatibility_level = 3.6
            queue_directory = \(d)/spool
            data_directory = \(d)/data
            command_directory = /usr/sbin
            daemon_directory = /usr/lib/postfix/sbin
            meta_directory = /etc/postfix
            shlib_directory = /usr/lib/postfix
            mail_owner = postfix
            setgid_group = postdrop
            maillog_file = \(d)/log/maillog
            maillog_file_prefixes = \(d)
            myhostname = rig.test
            mydomain = rig.test
            myorigin = $myhostname
            smtpd_banner = $myhostname ESMTP sekisho-test
            inet_interfaces = loopback-only
            inet_protocols = ipv4
            mynetworks = 0.0.0.0/0
            mydestination =
            local_recipient_maps =
            alias_maps =
            alias_database =
            relay_domains =
            relayhost = [127.0.0.1]:\(sinkPort)
            smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
            smtpd_authorized_xclient_hosts = 127.0.0.0/8
            smtp_dns_support_level = disabled
            smtp_host_lookup = native
            smtp_tls_security_level = none
            smtpd_tls_security_level = none
            smtp_connect_timeout = 5s
            biff = no
            append_dot_mydomain = no
            readme_directory = no
            message_size_limit = 52428800
            queue_run_delay = 5s
            minimal_backoff_time = 5s
            maximal_backoff_time = 30s
            delay_warning_time = 0
            in_flow_delay = 0
            smtpd_milters = \(milter ?? "")
            non_smtpd_milters = \(milter ?? "")
            milter_default_action = tempfail
            milter_protocol = 6

            """
        for setting in settings { main += setting + "\n" }
        let master = """
            127.0.0.1:\(smtpPort) inet n - n - - smtpd
            127.0.0.1:\(plainPort) inet n - n - - smtpd
              -o syslog_name=postfix/plain -o smtpd_milters=
            pickup    unix  n       -       n       60      1       pickup
            cleanup   unix  n       -       n       -       0       cleanup
            qmgr      unix  n       -       n       300     1       qmgr
            rewrite   unix  -       -       n       -       -       trivial-rewrite
            bounce    unix  -       -       n       -       0       bounce
            defer     unix  -       -       n       -       0       bounce
            trace     unix  -       -       n       -       0       bounce
            verify    unix  -       -       n       -       1       verify
            flush     unix  n       -       n       1000?   0       flush
            proxymap  unix  -       -       n       -       -       proxymap
            proxywrite unix -       -       n       -       1       proxymap
            smtp      unix  -       -       n       -       -       smtp
            relay     unix  -       -       n       -       -       smtp
            showq     unix  n       -       n       -       -       showq
            error     unix  -       -       n       -       -       error
            retry     unix  -       -       n       -       -       error
            discard   unix  -       -       n       -       -       discard
            anvil     unix  -       -       n       -       1       anvil
            scache    unix  -       -       n       -       1       scache
            postlog   unix-dgram n  -       n       -       1       postlogd

            """
        try main.write(toFile: "\(d)/etc/main.cf", atomically: true, encoding: .utf8)
        try master.write(toFile: "\(d)/etc/master.cf", atomically: true, encoding: .utf8)
        try await backdate()
        let check = try await shell("/usr/sbin/postfix -c \(d)/etc check")
        guard check.status == 0 else { throw SMTPTestError("postfix check failed: \(check.error)\(check.output)") }
    }

    /// Postfix waits for main.cf to be ~2 s old before reading it; back-date it.
    private func backdate() async throws {
        let stamp = Int(Date().timeIntervalSince1970) - 60
        _ = try await shell("chmod 644 \(directory)/etc/main.cf \(directory)/etc/master.cf; touch -d @\(stamp) \(directory)/etc/main.cf \(directory)/etc/master.cf")
    }

    private func launch() async throws {
        sink = try ProcessRunner.start(
            "/usr/sbin/smtp-sink",
            ["-u", "nobody", "-h", "sink.test", "-d", "\(directory)/sink/%Y%m%d%H%M%S.", "127.0.0.1:\(sinkPort)", "256"],
            log: "\(directory)/log/smtp-sink.log"
        )
        guard await FreePort.waitUntilOpen(sinkPort, timeout: 10) else {
            throw SMTPTestError("smtp-sink did not listen on \(sinkPort)")
        }
        let start = try await shell("/usr/sbin/postfix -c \(directory)/etc start")
        guard start.status == 0 else { throw SMTPTestError("postfix start failed: \(start.error) \(log)") }
        guard await FreePort.waitUntilOpen(smtpPort, timeout: 20) else {
            throw SMTPTestError("smtpd did not listen on \(smtpPort): \(log)")
        }
    }

    /// Changes main.cf settings and reloads Postfix.
    public func set(_ settings: [String]) async throws {
        for setting in settings {
            _ = try await ProcessRunner.run("/usr/sbin/postconf", ["-c", "\(directory)/etc", "-e", setting])
        }
        try await backdate()
        _ = try await shell("/usr/sbin/postfix -c \(directory)/etc reload")
        try await Task.sleep(for: .milliseconds(500))
    }

    /// Offers STARTTLS on both smtpd ports (`smtpd_tls_security_level = may`) with this
    /// certificate and key: adds the `tlsmgr` service to master.cf, sets main.cf and reloads.
    public func enableTLS(certificateFile: String, keyFile: String) async throws {
        let master = "\(directory)/etc/master.cf"
        var text = try String(contentsOfFile: master, encoding: .utf8)
        if !text.contains("tlsmgr") {
            text += "tlsmgr    unix  -       -       n       1000?   1       tlsmgr\n"
            try text.write(toFile: master, atomically: true, encoding: .utf8)
        }
        try await set([
            "smtpd_tls_cert_file = \(certificateFile)",
            "smtpd_tls_key_file = \(keyFile)",
            "smtpd_tls_security_level = may",
            "smtpd_tls_loglevel = 1",
        ])
    }

    /// Stops Postfix only (`postfix stop`): the sink keeps running and the queue stays, so
    /// ``startPostfix()`` carries on where it stopped. Returns once both smtpd ports are closed.
    public func stopPostfix() async throws {
        let stop = try await shell("/usr/sbin/postfix -c \(directory)/etc stop")
        guard stop.status == 0 else { throw SMTPTestError("postfix stop failed: \(stop.error)") }
        for _ in 0..<100 {
            if !FreePort.isOpen(smtpPort) && !FreePort.isOpen(plainPort) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw SMTPTestError("smtpd still listening after postfix stop")
    }

    /// Starts Postfix again after ``stopPostfix()``, with the same configuration and queue.
    public func startPostfix() async throws {
        var last = ""
        for _ in 0..<20 {
            let start = try await shell("/usr/sbin/postfix -c \(directory)/etc start")
            if start.status == 0 {
                guard await FreePort.waitUntilOpen(plainPort, timeout: 20), await FreePort.waitUntilOpen(smtpPort, timeout: 20) else {
                    throw SMTPTestError("smtpd did not listen again: \(log)")
                }
                return
            }
            last = start.error
            try await Task.sleep(for: .milliseconds(250))
        }
        throw SMTPTestError("postfix start failed: \(last)")
    }

    /// Stops Postfix and the sink and removes nothing (the directory stays for post-mortems).
    public func stop() async {
        _ = try? await shell("/usr/sbin/postfix -c \(directory)/etc stop")
        await sink?.stop(grace: 2)
        for _ in 0..<50 {
            if !FreePort.isOpen(smtpPort) { break }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Files in a queue directory (`incoming`, `active`, `deferred`, `hold`, `maildrop`).
    public func queueCount(_ queues: [String]) -> Int {
        queues.reduce(0) { total, queue in
            let path = "\(directory)/spool/\(queue)"
            guard let enumerator = FileManager.default.enumerator(atPath: path) else { return total }
            var files = 0
            while let item = enumerator.nextObject() as? String {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: "\(path)/\(item)", isDirectory: &isDirectory), !isDirectory.boolValue {
                    files += 1
                }
            }
            return total + files
        }
    }

    /// Waits until incoming, active and maildrop are empty.
    public func waitForQueue(timeout: TimeInterval = 30) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if queueCount(["incoming", "active", "maildrop"]) == 0 { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// The delivered message (sink trace headers removed) that contains `marker`, waiting for it.
    /// A sink file is complete once Postfix has removed the message from its queue (smtp-sink
    /// closes the file before it answers 250), so this waits for the queue to drain first.
    public func deliveredMessage(containing marker: String, timeout: TimeInterval = 30) async -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard queueCount(["incoming", "active", "maildrop"]) == 0 else {
                try? await Task.sleep(for: .milliseconds(50))
                continue
            }
            for file in sinkFiles() {
                if let text = try? String(contentsOfFile: file, encoding: .utf8), text.contains(marker) {
                    return Self.strip(text)
                }
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    /// The Postfix log.
    public var log: String {
        (try? String(contentsOfFile: "\(directory)/log/maillog", encoding: .utf8)) ?? ""
    }

    /// A sink file without smtp-sink's trace headers (X-Client-Addr … and its Received:) and
    /// its trailing blank line; LF line ends.
    public static func strip(_ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var index = 0
        while index < lines.count,
            ["X-Client-Addr: ", "X-Client-Proto: ", "X-Helo-Args: ", "X-Mail-Args: ", "X-Rcpt-Args: "].contains(where: { lines[index].hasPrefix($0) })
        {
            index += 1
        }
        if index < lines.count, lines[index].hasPrefix("Received: ") {
            index += 1
            while index < lines.count, lines[index].hasPrefix(" ") || lines[index].hasPrefix("\t") { index += 1 }
        }
        lines = Array(lines[index...])
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        return lines.joined(separator: "\n") + "\n"
    }
}
