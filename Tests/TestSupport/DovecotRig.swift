import Foundation

/// A private, loopback-only Dovecot 2.3 that serves one Maildir++ tree read-only over IMAP to
/// one user (after `../shared/rig/dovecot-rig.sh`, but serving the tree in place, not a copy).
///
/// Everything Dovecot writes lives in a fresh directory under /tmp: `dovecot.conf`, the
/// `run/` base directory, `state/`, `log/dovecot.log`, and the `index/` and `control/`
/// directories named in `mail_location` (`maildir:<root>:INDEX=…:CONTROL=…`), so nothing is
/// written into the archive; `/etc/dovecot` is not read. The settings are the ones
/// docs/archive-imap.md gives for a real installation:
///
/// - `mail_plugins = $mail_plugins zlib acl`: gzip-compressed messages are read
///   transparently, and a global ACL file (`* owner lr`, `acl_globals_only = yes`) grants only
///   lookup and read, so STORE, EXPUNGE, APPEND, COPY, CREATE, RENAME and DELETE change nothing.
///   `imap_acl` is loaded so `MYRIGHTS` shows what the user may do.
/// - one user in a `passwd-file` passdb; the userdb maps it to the mail user below.
///
/// Dovecot refuses to touch mail as uid 0. Run as root (as the tests do here), the rig serves
/// mail as `nobody` (the mail user, ``mailUser``) and its login and internal processes run as
/// Debian's `dovenull` and `dovecot`; the Maildir, and every directory above it, must then be
/// readable by `nobody` (``grantRead(_:)`` does it the way docs/archive-imap.md does: group
/// `nogroup`, `g+rX`). Run as an ordinary user, every process — master, login, auth, imap —
/// runs as that user (`default_login_user`, `default_internal_user`; `imap-login` and `anvil`
/// without `chroot`, which needs root), which then only needs to read the Maildir; nothing else
/// changes (checked by hand as `nobody` with Dovecot 2.3.19: login, `MYRIGHTS lr`, FETCH). Needs the Debian `dovecot-imapd` package.
public final class DovecotRig: @unchecked Sendable {
    /// The rig directory (config, logs, run, index, control).
    public let directory: String
    /// The IMAP port on 127.0.0.1.
    public let port: Int
    /// The Maildir++ root served (INBOX is the root itself, `.a.b` is folder `a.b`).
    public let maildir: String
    /// The IMAP login name.
    public let user: String
    /// The IMAP password.
    public let password: String
    /// The system user Dovecot reads mail as.
    public let mailUser: String
    private var master: ProcessRunner.Background?

    /// The Dovecot binary.
    public static let dovecotPath = "/usr/sbin/dovecot"

    /// Whether this machine can run the rig: Dovecot installed, and as root also the Debian
    /// service users (`dovecot`, `dovenull`) and `nobody`.
    public static var canRun: Bool {
        guard TestEnvironment.hasExecutable(dovecotPath), TestEnvironment.hasExecutable("/usr/lib/dovecot/imap") else { return false }
        guard TestEnvironment.isRoot else { return true }
        return ["dovecot", "dovenull", "nobody"].allSatisfy { (name: String) in getpwnam(name) != nil }
    }

    private init(directory: String, port: Int, maildir: String, user: String, password: String, mailUser: String) {
        self.directory = directory
        self.port = port
        self.maildir = maildir
        self.user = user
        self.password = password
        self.mailUser = mailUser
    }

    /// Writes the configuration and starts Dovecot in the foreground (`dovecot -F`), returning
    /// once the IMAP port accepts connections.
    /// - Parameters:
    ///   - maildir: the Maildir++ root to serve; it must be readable by ``mailUser``.
    ///   - user: the login name.
    ///   - password: its password (stored `{PLAIN}` in the rig's passwd-file).
    public static func start(maildir: String, user: String = "auditor", password: String = "archive-test") async throws -> DovecotRig {
        guard canRun else { throw MissingComponent("\(dovecotPath) and /usr/lib/dovecot/imap (dovecot-imapd), and as root the dovecot, dovenull and nobody users") }
        let mailUser = TestEnvironment.isRoot ? "nobody" : (getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? "\(getuid())")
        let rig = DovecotRig(
            directory: try makeDirectory(), port: FreePort.next(),
            maildir: URL(fileURLWithPath: maildir).standardizedFileURL.path, user: user, password: password, mailUser: mailUser
        )
        try rig.configure()
        try await rig.launch()
        return rig
    }

    private static func makeDirectory() throws -> String {
        var template = Array("/tmp/sekisho-dovecot.XXXXXX".utf8CString)
        guard let pointer = mkdtemp(&template) else { throw DovecotRigError("mkdtemp failed: \(String(cString: strerror(errno)))") }
        let path = String(cString: pointer)
        chmod(path, 0o755)
        return path
    }

    /// The numeric uid and gid of `name`.
    private static func ids(of name: String) throws -> (uid: uid_t, gid: gid_t) {
        guard let entry = getpwnam(name) else { throw DovecotRigError("no system user \(name)") }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }

    private func configure() throws {
        let d = directory
        let mail = try Self.ids(of: mailUser)
        for sub in ["run", "state", "log", "index", "control", "home"] {
            try FileManager.default.createDirectory(atPath: "\(d)/\(sub)", withIntermediateDirectories: true)
        }
        for sub in ["index", "control", "home"] {
            guard chown("\(d)/\(sub)", mail.uid, mail.gid) == 0 else { throw DovecotRigError("chown \(d)/\(sub) failed") }
        }
        // Login and internal processes: Debian's service users under root, the caller otherwise.
        // Without root there is no chroot(2) either: imap-login and anvil run unchrooted.
        let serviceUsers: String
        let loginChroot: String
        if TestEnvironment.isRoot {
            serviceUsers = "default_login_user = dovenull\ndefault_internal_user = dovecot\ndefault_internal_group = dovecot"
            loginChroot = ""
        } else {
            let group = getgrgid(getgid()).map { String(cString: $0.pointee.gr_name) } ?? "\(getgid())"
            serviceUsers = "default_login_user = \(mailUser)\ndefault_internal_user = \(mailUser)\ndefault_internal_group = \(group)\nservice anvil {\n  chroot =\n}"
            loginChroot = "\n  chroot ="
        }
        let config = """
            # Written by Tests/TestSupport/DovecotRig.swift: a private IMAP server on 127.0.0.1:\(port)
            # serving \(maildir) read-only. The archive settings are those of docs/archive-imap.md.
            base_dir = \(d)/run
            state_dir = \(d)/state
            instance_name = sekisho-dovecot-\(port)
            listen = 127.0.0.1
            protocols = imap
            ssl = no
            disable_plaintext_auth = no
            auth_mechanisms = plain login
            log_path = \(d)/log/dovecot.log
            info_log_path = \(d)/log/dovecot.log
            \(serviceUsers)
            first_valid_uid = \(mail.uid)
            last_valid_uid = \(mail.uid)
            first_valid_gid = \(mail.gid)

            mail_location = maildir:\(maildir):INDEX=\(d)/index:CONTROL=\(d)/control
            mail_plugins = $mail_plugins zlib acl
            protocol imap {
              mail_plugins = $mail_plugins imap_acl
            }
            plugin {
              acl = vfile:\(d)/archive-acl
              acl_globals_only = yes
            }

            passdb {
              driver = passwd-file
              args = scheme=PLAIN username_format=%u \(d)/users
            }
            userdb {
              driver = static
              args = uid=\(mail.uid) gid=\(mail.gid) home=\(d)/home
            }
            service imap-login {\(loginChroot)
              inet_listener imap {
                address = 127.0.0.1
                port = \(port)
              }
              inet_listener imaps {
                port = 0
              }
            }

            """
        try config.write(toFile: "\(d)/dovecot.conf", atomically: true, encoding: .utf8)
        try "* owner lr\n".write(toFile: "\(d)/archive-acl", atomically: true, encoding: .utf8)
        try "\(user):{PLAIN}\(password)::::::\n".write(toFile: "\(d)/users", atomically: true, encoding: .utf8)
        chmod("\(d)/users", 0o644)
    }

    private func launch() async throws {
        let check = try await ProcessRunner.run(Self.dovecotPath, ["-c", "\(directory)/dovecot.conf", "-n"])
        guard check.status == 0 else { throw DovecotRigError("doveconf rejected the config: \(check.error)") }
        master = try ProcessRunner.start(Self.dovecotPath, ["-F", "-c", "\(directory)/dovecot.conf"], log: "\(directory)/log/master.out")
        guard await FreePort.waitUntilOpen(port, timeout: 15) else {
            await master?.stop(grace: 2)
            throw DovecotRigError("dovecot did not listen on 127.0.0.1:\(port): \(master?.output ?? "") \(log)")
        }
    }

    /// Stops Dovecot (SIGTERM to the master, which stops its children) and removes nothing: the
    /// directory stays for post-mortems.
    public func stop() async {
        await master?.stop(grace: 5)
        for _ in 0..<50 where FreePort.isOpen(port) {
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Dovecot's log (master, login, imap processes) followed by the master's own output.
    public var log: String {
        let file = (try? String(contentsOfFile: "\(directory)/log/dovecot.log", encoding: .utf8)) ?? ""
        return file + (master?.output ?? "")
    }

    /// Makes `path` (recursively) and every directory above it readable by the mail user the
    /// way docs/archive-imap.md does for a real archive: group = the mail user's group,
    /// `g+rX`; directories above get `o+x`. Nothing becomes writable. A no-op when the rig
    /// would run as the owner (not root).
    public static func grantRead(_ path: String) async throws {
        guard TestEnvironment.isRoot else { return }
        let mail = try ids(of: "nobody")
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let result = try await ProcessRunner.run("/bin/sh", ["-c", #"chgrp -R "$1" "$2" && chmod -R g+rX,g-w "$2""#, "sh", "\(mail.gid)", absolute])
        guard result.status == 0 else { throw DovecotRigError("granting read on \(absolute) failed: \(result.error)") }
        var parent = URL(fileURLWithPath: absolute).deletingLastPathComponent()
        while parent.path != "/" {
            var info = stat()
            if stat(parent.path, &info) == 0, info.st_mode & 0o001 == 0 { chmod(parent.path, (info.st_mode & 0o7777) | 0o001) }
            parent.deleteLastPathComponent()
        }
    }
}

/// A rig failure, with what went wrong (and Dovecot's log where it helps).
public struct DovecotRigError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
