import Foundation
import Testing
import TestSupport

/// The archive's Maildir++ tree served by a real Dovecot (``DovecotRig``) with the settings of
/// docs/archive-imap.md, read by Python's `imaplib` as an auditor would: the bytes come back
/// exactly (gzip-compressed files decompressed by the zlib plugin), nothing the auditor tries
/// changes the archive, and nothing is written into it.
@Suite("Archive over IMAP (Dovecot)", .serialized, .enabled(if: DovecotRig.canRun || TestEnvironment.isCI))
struct DovecotIMAPTests {
    /// The folder both messages are stored in, as Dovecot names it (the directory is `.2026.11.29`).
    static let folder = "2026.11.29"

    @Test("an auditor FETCHes plain and gzip messages byte for byte; STORE, EXPUNGE, APPEND, COPY and CREATE change nothing")
    func auditorReadsArchiveReadOnly() async throws {
        let python = try Tool.require("/usr/bin/python3")
        let archive = try await IMAPArchiveFixture.make()
        let before = try IMAPArchiveFixture.snapshot(archive.root)
        // One file plain, one gzip (magic 1f 8b), both in the day folder's new/.
        let stored = archive.messages.compactMap { before[$0.path] }
        try #require(stored.count == 2, "stored paths \(archive.messages.map(\.path)) not in \(before.keys.sorted())")
        #expect(stored.map { $0.starts(with: [0x1F, 0x8B]) } == [false, true])
        #expect(archive.messages.allSatisfy { $0.path.hasPrefix(".\(Self.folder)/new/") })
        try await DovecotRig.grantRead(archive.root)

        let rig = try await DovecotRig.start(maildir: archive.root)
        let run: ProcessRunner.Result
        do {
            run = try await Tool.run(python, ["-c", Self.auditorScript, String(rig.port), rig.user, rig.password, Self.folder], timeout: 60)
        } catch {
            await rig.stop()
            throw error
        }
        await rig.stop()
        let log = rig.log
        try #require(run.status == 0, "imaplib script failed: \(run.error)\n\(log)")
        let report = try JSONDecoder().decode(AuditorReport.self, from: Data(run.output.utf8))

        // The tree is offered as mailboxes; the envelope sidecars (no leading dot) are not one.
        #expect(report.mailboxes.contains(Self.folder), "\(report.mailboxes)")
        #expect(!report.mailboxes.contains { $0.lowercased().hasPrefix("sekisho") }, "\(report.mailboxes)")
        #expect(report.selectedReadOnly, "SELECT did not answer [READ-ONLY]")
        #expect(report.rights == "lr", "MYRIGHTS: \(report.rights)")

        // BODY.PEEK[] gives the stored message exactly, the compressed one decompressed, and
        // RFC822.SIZE agrees with S= in the file name.
        let fetched = report.messages.compactMap { Data(base64Encoded: $0.body) }
        #expect(Set(fetched) == Set(archive.messages.map(\.bytes)), "\(report.messages.map(\.size)) vs \(archive.messages.map(\.bytes.count))")
        #expect(Set(report.messages.map(\.size)) == Set(archive.messages.map(\.bytes.count)))

        // Write commands: flags and expunges are silently not applied (RFC 4314 for a user
        // without the w/t/e rights), the others are refused with NO [NOPERM].
        #expect(!report.flagsAfterStore.contains(#"\Deleted"#), "\(report.flagsAfterStore)")
        #expect(report.countAfterExpunge == archive.messages.count)
        for (command, reply) in [("APPEND", report.append), ("COPY", report.copy), ("CREATE", report.create)] {
            #expect(reply.hasPrefix("NO"), "\(command): \(reply)")
        }

        // On disk: the same files with the same bytes (Dovecot may only have moved new/ → cur/
        // and added the `:2,` info suffix — here it cannot, the tree is read-only to it), no
        // Dovecot file anywhere in the archive.
        let after = try IMAPArchiveFixture.snapshot(archive.root)
        #expect(IMAPArchiveFixture.canonical(after) == IMAPArchiveFixture.canonical(before), "archive changed: \(after.keys.sorted())\n\(log)")
        #expect(!after.keys.contains { $0.contains("dovecot") }, "\(after.keys.sorted())")
        #expect(!log.contains("Error:") && !log.contains("Panic:") && !log.contains("Fatal:"), "\(log)")
    }

    /// Logs in, lists, SELECTs the folder, FETCHes every message, then tries every write
    /// command; prints one JSON report. Arguments: port, user, password, folder.
    static let auditorScript = #"""
        import base64, imaplib, json, re, sys
        port, user, password, folder = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
        m = imaplib.IMAP4("127.0.0.1", port)
        m.login(user, password)
        typ, listing = m.list()
        mailboxes = [re.sub(rb'^\(.*?\) "." ', b"", line).decode().strip('"') for line in listing]
        try:
            m.select(folder)  # SELECT, not EXAMINE: the server must make it read-only itself
        except m.readonly:
            pass
        selected_read_only = "READ-ONLY" in m.untagged_responses
        m.is_readonly = True  # let imaplib send write commands anyway
        typ, data = m.myrights(folder)
        rights = data[0].decode().split(" ")[-1]
        typ, data = m.fetch(b"1:*", "(RFC822.SIZE BODY.PEEK[])")
        messages = []
        for item in data:
            if isinstance(item, tuple):
                size = int(re.search(rb"RFC822\.SIZE (\d+)", item[0]).group(1))
                messages.append({"size": size, "body": base64.b64encode(item[1]).decode()})
        def reply(call):
            try:
                typ, data = call()
                return typ + " " + b" ".join(d for d in data if isinstance(d, bytes)).decode(errors="replace")
            except imaplib.IMAP4.error as error:
                return "NO " + str(error)
        store = reply(lambda: m.store(b"1:*", "+FLAGS", "(\\Deleted)"))
        typ, data = m.fetch(b"1:*", "(FLAGS)")
        flags = b" ".join(d for d in data if isinstance(d, bytes)).decode()
        expunge = reply(lambda: m.expunge())
        m.noop()
        typ, data = m.fetch(b"1:*", "(UID)")
        count = len([d for d in data if d])
        append = reply(lambda: m.append(folder, None, None, b"Subject: planted\r\n\r\nplanted\r\n"))
        copy = reply(lambda: m.copy(b"1", folder))
        create = reply(lambda: m.create("planted"))
        m.logout()
        print(json.dumps({
            "mailboxes": mailboxes, "selectedReadOnly": selected_read_only, "rights": rights,
            "messages": messages, "store": store, "flagsAfterStore": flags, "expunge": expunge,
            "countAfterExpunge": count, "append": append, "copy": copy, "create": create,
        }))
        """#
}

/// What the auditor script saw (its JSON output).
struct AuditorReport: Decodable {
    struct Message: Decodable {
        var size: Int
        var body: String
    }

    var mailboxes: [String]
    var selectedReadOnly: Bool
    var rights: String
    var messages: [Message]
    var store: String
    var flagsAfterStore: String
    var expunge: String
    var countAfterExpunge: Int
    var append: String
    var copy: String
    var create: String
}
