import Foundation
import TestSupport

/// A small archive tree for the IMAP tests, laid out as the archive writes it: Maildir++ folder
/// `.2026.11.29` with two messages in `new/` under unique names
/// (`<sec>.M<usec>P<pid>Q<n>R<hex>.<host>,S=<size>`), one plain and one gzip-compressed
/// (`S=` is the uncompressed size), and a JSON envelope sidecar in `sekisho/envelopes/`.
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

    /// Writes the tree under a fresh directory in /tmp.
    static func make() async throws -> IMAPArchiveFixture {
        var template = Array("/tmp/sekisho-imap-archive.XXXXXX".utf8CString)
        guard let pointer = mkdtemp(&template) else { throw DovecotRigError("mkdtemp failed") }
        let root = String(cString: pointer) + "/archive"
        let folder = "\(root)/.2026.11.29"
        let files = FileManager.default
        for sub in ["new", "cur", "tmp"] { try files.createDirectory(atPath: "\(folder)/\(sub)", withIntermediateDirectories: true) }
        try files.createDirectory(atPath: "\(root)/sekisho/envelopes", withIntermediateDirectories: true)

        var messages: [Message] = []
        for (index, (bytes, compress)) in [(invoice, false), (quotation, true)].enumerated() {
            let name = "1795914900.M\(123_456 + index)P\(getpid())Q\(index + 1)R\(String(format: "%08x", 0xA5C3_0000 + index)).archive.test,S=\(bytes.count)"
            let path = "\(folder)/new/\(name)"
            if compress {
                try bytes.write(to: URL(fileURLWithPath: "\(folder)/tmp/\(name)"))
                let gzip = try await ProcessRunner.run("/bin/gzip", ["-n", "-9", "\(folder)/tmp/\(name)"])
                guard gzip.status == 0 else { throw DovecotRigError("gzip failed: \(gzip.error)") }
                try files.moveItem(atPath: "\(folder)/tmp/\(name).gz", toPath: path)
            } else {
                try bytes.write(to: URL(fileURLWithPath: path))
            }
            let envelope = #"{"sender":"tanaka@example.co.jp","recipients":["keiri@example.com"],"file":"\#(name)"}"#
            try Data(envelope.utf8).write(to: URL(fileURLWithPath: "\(root)/sekisho/envelopes/\(name).json"))
            messages.append(Message(path: ".2026.11.29/new/\(name)", bytes: bytes))
        }
        return IMAPArchiveFixture(root: root, messages: messages)
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
