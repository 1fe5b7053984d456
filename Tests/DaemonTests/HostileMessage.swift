import Foundation
import MailMessage
import ZipArchive

/// A message made of the tricks the shared corpus does not have: URLs in upper case, split by a
/// quoted-printable soft break, hidden behind character references, tabs and backslashes in
/// link targets, protocol-relative links, remote CSS, scripts in several spellings, a program
/// in a forwarded message, an encrypted ZIP under an innocent name.
enum HostileMessage {
    static let html = """
        <html><head><style>body{background:url(https://evil.example/bg.png)}</style>
        <script src="https://evil.example/x.js"></script></head>
        <body onload=alert(1)>
        <a href="ht&#x09;tps://evil.example/1">tab</a>
        <a href="https&#x3a;//evil.example/2">entity</a>
        <a href="HTTPS:\\\\evil.example\\3">backslash</a>
        <a href="//evil.example/4">protocol-relative</a>
        <img src="https://evil.example/p.gif"><img src="cid:logo@x">
        <p>text https&#58;//evil.example/5 and www.evil.example, 「http://evil.example/6」。</p>
        <SCRIPT>alert(1)</SCRIPT><iframe src="https://evil.example/f"></iframe>
        <form action="https://evil.example/post"><input type=submit></form>
        <meta http-equiv="refresh" content="0;url=https://evil.example/7">
        </body></html>
        """

    static func message() throws -> MailMessage {
        let locked = try SanitizerSuites.RiskyAttachmentTests.zip([("readme.txt", Array("x".utf8))], encryption: .aes256)
        let text = """
            From: attacker@evil.example
            To: victim@city.example.lg.jp
            Subject: hostile
            List-Unsubscribe: <https://evil.example/u>
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary=outer

            --outer
            Content-Type: multipart/alternative; boundary=alt

            --alt
            Content-Type: text/plain; charset=utf-8
            Content-Transfer-Encoding: quoted-printable

            HTTPS://EVIL.EXAMPLE/a ftp://files.evil.example/x www.evil.example =
            https://split.evil=
            .example/soft-break
            --alt
            Content-Type: text/html; charset=utf-8
            Content-Transfer-Encoding: base64

            \(String(decoding: Base64Encoder.encode(Array(html.utf8)), as: UTF8.self))
            --alt--
            --outer
            Content-Type: message/rfc822

            From: x@example.jp
            Subject: inner
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary=in

            --in
            Content-Type: text/plain

            inner
            --in
            Content-Type: application/octet-stream; name=a.bin
            Content-Disposition: attachment; filename=a.bin

            MZ\u{90}\u{90}
            --in--
            --outer
            Content-Type: text/plain; name=notes.txt
            Content-Disposition: attachment; filename=notes.txt
            Content-Transfer-Encoding: base64

            \(String(decoding: Base64Encoder.encode(locked), as: UTF8.self))
            --outer--

            """
        return try MailMessage.parse(Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8))
    }
}
