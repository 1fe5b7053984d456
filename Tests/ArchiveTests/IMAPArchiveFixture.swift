import Archive
import Foundation
import TestSupport

/// A small archive written by `ArchiveStore` for the IMAP tests: Maildir++ folder `.2026.11.29`
/// with two messages in `new/` under unique names (`<sec>.M<usec>P<pid>Q<n>R<hex>.<host>,S=<size>`),
/// one plain and one gzip-compressed (`S=` is the uncompressed size), and their JSON envelope
/// sidecars in `sekisho/envelopes/`.
struct IMAPArchiveFixture {
    /// One stored message: its file (relative to the root) and its uncompressed bytes.
    struct Message {
        var path: String
        var bytes: Data
    }

    /// The Maildir++ root.
    var root: String
    var messages: [Message]

    /// A Japanese invoice mail: ISO-2022-JP subject (RFC 2047) and body, CRLF line ends.
    static let invoice = Data((
        "From: =?ISO-2022-JP?B?GyRCRURDZhsoQg==?= <tanaka@example.co.jp>\r\n"
            + "To: keiri@example.com\r\n"
            + "Subject: =?ISO-2022-JP?B?GyRCQEE1YT1xJE5Bd0lVIUojMiMwIzIjNkcvIzEjMTduSiwhSxsoQg==?=\r\n"
            + "Date: Sun, 29 Nov 2026 10:15:00 +0900\r\n"
            + "Message-ID: <invoice-2026-11@example.co.jp>\r\n"
            + "MIME-Version: 1.0\r\n"
            + "Content-Type: text/plain; charset=ISO-2022-JP\r\n"
            + "Content-Transfer-Encoding: 7bit\r\n"
            + "\r\n"
            + "\u{1B}$BEDCfMM\u{1B}(B\r\n\r\n"
            + "\u{1B}$B#1#17nJ,$N@A5a=q$rAwIU$$$?$7$^$9!#\u{1B}(B\r\n"
            + "\u{1B}$B$43NG'$/$@$5$$!#\u{1B}(B\r\n"
    ).utf8)

    /// A Japanese quotation request, stored gzip-compressed.
    static let quotation = Data((
        "From: sato@example.jp\r\n"
            + "To: eigyo@example.com\r\n"
            + "Subject: =?ISO-2022-JP?B?GyRCOCtAUT1xJE4kNDBNTWobKEI=?=\r\n"
            + "Date: Sun, 29 Nov 2026 11:40:00 +0900\r\n"
            + "Message-ID: <quotation-2026-11@example.jp>\r\n"
            + "MIME-Version: 1.0\r\n"
            + "Content-Type: text/plain; charset=ISO-2022-JP\r\n"
            + "\r\n"
            + "\u{1B}$B$4C4Ev<TMM\u{1B}(B\r\n\r\n"
            + "\u{1B}$B8+@Q=q$r$*4j$$$$$?$7$^$9!#\u{1B}(B\r\n"
    ).utf8)

    /// Stores both messages with the archive's own `ArchiveStore.save` (folder pattern
    /// `.%y.%m.%d`, Asia/Tokyo) under a fresh directory in /tmp: the invoice plain, the
    /// quotation through a second store with `compress: true` on the same root. The index
    /// database lives beside the root, not in it.
    static func make() async throws -> IMAPArchiveFixture {
        var template = Array("/tmp/sekisho-imap-archive.XXXXXX".utf8CString)
        guard let pointer = mkdtemp(&template) else { throw DovecotRigError("mkdtemp failed") }
        let base = String(cString: pointer)
        let root = URL(fileURLWithPath: base + "/archive")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let database = try ArchiveDatabase(path: base + "/index.sqlite")
        let tokyo = TimeZone(identifier: "Asia/Tokyo")!
        var messages: [Message] = []
        for (bytes, compress, receivedAt) in [(invoice, false, 1_795_914_900), (quotation, true, 1_795_920_000)] {
            let store = try ArchiveStore(
                settings: ArchiveStoreSettings(root: root, folderPattern: ".%y.%m.%d", compress: compress, timeZone: tokyo, hostName: "archive.test"),
                database: database
            )
            let envelope = ArchiveEnvelope(
                sender: "tanaka@example.co.jp", recipients: ["keiri@example.com"], queueID: "4Q\(messages.count)imap",
                receivedAt: Date(timeIntervalSince1970: TimeInterval(receivedAt))
            )
            let saved = try store.save([UInt8](bytes), envelope: envelope)
            messages.append(Message(path: saved.path, bytes: bytes))
        }
        return IMAPArchiveFixture(root: root.path, messages: messages)
    }

    /// Every file under `root`, by relative path, with its bytes.
    static func snapshot(_ root: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        guard let walker = FileManager.default.enumerator(atPath: root) else { return files }
        while let relative = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: "\(root)/\(relative)", isDirectory: &isDirectory), !isDirectory.boolValue {
                files[relative] = try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(relative)"))
            }
        }
        return files
    }

    /// A snapshot with what Dovecot may legitimately change in a Maildir taken out: `new/` and
    /// `cur/` are one place, and the `:2,<flags>` info suffix is dropped.
    static func canonical(_ snapshot: [String: Data]) -> [String: Data] {
        var result: [String: Data] = [:]
        for (path, bytes) in snapshot {
            var key = path.replacingOccurrences(of: "/cur/", with: "/new/")
            if let colon = key.range(of: ":2,", options: .backwards) { key = String(key[..<colon.lowerBound]) }
            result[key] = bytes
        }
        return result
    }
}
