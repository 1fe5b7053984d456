import Foundation
import MailMessage
import Testing
import TestSupport
import ZipArchive

@testable import Daemon

extension SanitizerSuites {
    /// The copy sanitizer option by option and all together, on small built messages. Every check
    /// reads the serialized copy parsed again, as the internal server will.
    @Suite("Copy sanitizer")
    struct CopySanitizerTests {
        static func message(_ text: String) throws -> MailMessage {
            try MailMessage.parse(Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8))
        }

        /// Sanitizes and parses the serialized result.
        static func sanitize(_ message: MailMessage, _ configure: (inout CopySanitizing) -> Void) throws -> (copy: SanitizedCopy, parsed: MailMessage) {
            var settings = CopySanitizing()
            configure(&settings)
            let copy = try CopySanitizer(settings).sanitize(message, mark: CopyMark(destination: "internal", queueID: "ABC123"))
            return (copy, try MailMessage.parse(try copy.message.serialized()))
        }

        /// The decoded text of each body part of the message itself, by content type.
        static func bodies(_ message: MailMessage) throws -> [(type: String, text: String)] {
            try MessageStructure(message).bodyParts.filter { $0.insideMessage == nil }.map { part in
                (part.contentType, try #require(message.entity(at: part.address)).decodedText())
            }
        }

        static func fileNames(_ message: MailMessage) -> [String] {
            MessageStructure(message).attachments.filter { $0.isUserAttachment }.compactMap(\.filename)
        }

        static let alternative = """
            From: Taro <taro@example.jp>
            To: hanako@example.jp
            Subject: =?UTF-8?B?44OG44K544OI?=
            List-Unsubscribe: <https://lists.example/unsubscribe>
            List-Unsubscribe-Post: List-Unsubscribe=One-Click
            MIME-Version: 1.0
            Content-Type: multipart/alternative; boundary=alt

            --alt
            Content-Type: text/plain; charset=us-ascii

            See https://evil.example/x and www.example.com
            .
            end
            --alt
            Content-Type: text/html; charset=utf-8

            <html><body onload="steal()"><script>alert(1)</script><p>Hello <a href="https://evil.example/x">link</a></p><img src="http://tracker.example/p.gif"><form action="https://evil.example/post"><input name=q></form></body></html>
            --alt--

            """

        // MARK: nothing to do

        @Test("with no option on, the copy is the input byte for byte plus the mark, and a forged mark is replaced")
        func untouched() throws {
            let forged = "X-Sekisho-Copy: destination=elsewhere\n" + Self.alternative.replacingOccurrences(of: "To: hanako", with: "X-Sekisho-Copy: forged\nTo: hanako")
            let input = try Self.message(forged)
            let (copy, parsed) = try Self.sanitize(input) { _ in }
            #expect(CopySanitizing().leavesMessageUnchanged)
            let marks = parsed.header.all("X-Sekisho-Copy").map(\.valueString)
            #expect(marks == ["destination=internal; queue-id=ABC123; sanitized=none"])
            var unmarked = copy.message
            unmarked.header.remove("X-Sekisho-Copy")
            var original = input
            original.header.remove("X-Sekisho-Copy")
            #expect(try unmarked.serialized() == original.serialized())
        }

        // MARK: one option at a time

        @Test("htmlToText alone: the HTML alternative goes, the text alternative stays byte for byte")
        func htmlToTextDropsAlternative() throws {
            let input = try Self.message(Self.alternative)
            let (copy, parsed) = try Self.sanitize(input) { $0.htmlToText = true }
            #expect(copy.htmlPartsConverted == 1)
            let bodies = try Self.bodies(parsed)
            #expect(bodies.map(\.type) == ["text/plain"])
            #expect(try bodies[0].text == input.entity(at: [0])?.decodedText())
            #expect(parsed.header.text("X-Sekisho-Copy")?.contains("sanitized=html-to-text(1)") == true)
        }

        @Test("htmlToText alone: an HTML-only message becomes UTF-8 text; a related HTML body loses its images, not the user's PDF")
        func htmlToTextConverts() throws {
            let only = try Self.message("From: a@example.jp\nSubject: html\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n<p>請求書&amp;<b>ご確認</b></p><script>x()</script>\n")
            let (_, parsed) = try Self.sanitize(only) { $0.htmlToText = true }
            #expect(parsed.root.contentType.mimeType == "text/plain")
            #expect(parsed.root.contentType.charsetLabel == "utf-8")
            #expect(try parsed.root.decodedText().trimmingCharacters(in: .whitespacesAndNewlines) == "請求書&ご確認")
            #expect(parsed.subject == "html" && parsed.from.first?.address == "a@example.jp")

            let related = try Self.message(
                """
                From: a@example.jp
                Subject: related
                MIME-Version: 1.0
                Content-Type: multipart/mixed; boundary=m

                --m
                Content-Type: multipart/related; boundary=r

                --r
                Content-Type: text/html; charset=utf-8

                <p>logo: <img src="cid:logo@x"></p>
                --r
                Content-Type: image/png
                Content-ID: <logo@x>
                Content-Transfer-Encoding: base64

                iVBORw0KGgo=
                --r--
                --m
                Content-Type: application/pdf; name=quote.pdf
                Content-Disposition: attachment; filename=quote.pdf
                Content-Transfer-Encoding: base64

                JVBERi0xLjQK
                --m--

                """)
            let (_, converted) = try Self.sanitize(related) { $0.htmlToText = true }
            let structure = MessageStructure(converted)
            #expect(structure.bodyParts.map(\.contentType) == ["text/plain"])
            #expect(structure.attachments.map(\.contentType) == ["application/pdf"], "the orphaned inline image is gone")
        }

        @Test("stripActiveHTML alone: scripts, handlers, remote images and forms go; the link stays live; the text part is untouched")
        func stripActive() throws {
            let input = try Self.message(Self.alternative)
            let (copy, parsed) = try Self.sanitize(input) { $0.stripActiveHTML = true }
            let bodies = try Self.bodies(parsed)
            let html = try #require(bodies.first { $0.type == "text/html" }?.text).lowercased()
            for needle in ["<script", "onload", "tracker.example", "<form", "<input", "target="] {
                #expect(!html.contains(needle), "\(needle) survived")
            }
            #expect(html.contains("<a href=\"https://evil.example/x\">link</a>"))
            #expect(copy.activeContentRemoved == 5, "script, onload, form, input, remote image")
            #expect(try bodies[0].text == input.entity(at: [0])?.decodedText())
            #expect(parsed.header["List-Unsubscribe"] != nil, "only defanging removes it")
        }

        @Test("defangURLs alone: text and HTML are defanged (href, src, action), the lone dot line stays, List-Unsubscribe goes; scripts are not its business")
        func defangAlone() throws {
            let (copy, parsed) = try Self.sanitize(try Self.message(Self.alternative)) { $0.defangURLs = true }
            let bodies = try Self.bodies(parsed)
            #expect(bodies[0].text == "See hxxps://evil[.]example/x and www[.]example[.]com\r\n.\r\nend", "the line break before the delimiter is the delimiter's")
            let html = bodies[1].text
            #expect(html.contains("href=\"hxxps://evil[.]example/x\""))
            #expect(html.contains("src=\"hxxp://tracker[.]example/p.gif\""))
            #expect(html.contains("action=\"hxxps://evil[.]example/post\""))
            #expect(html.contains("<script>alert(1)</script>"), "stripping is a separate option")
            #expect(copy.urlsDefanged == 5)
            #expect(parsed.header["List-Unsubscribe"] == nil && parsed.header["List-Unsubscribe-Post"] == nil)
            #expect(copy.notes.contains("List-Unsubscribe removed"))
        }

        @Test("defanging keeps Japanese text and its charset: ISO-2022-JP 7bit, Shift_JIS 8bit, UTF-8 base64")
        func defangJapanese() throws {
            let text = "詳細は https://example.jp/案内 をご覧ください。「www.example.jp」①\r\n.\r\n"
            let cases: [(charset: String, encoding: String, body: [UInt8])] = [
                ("ISO-2022-JP", "7bit", try #require(TextEncoder.encode(text, charset: .iso2022JP))),
                ("Shift_JIS", "8bit", try #require(TextEncoder.encode(text, charset: MIMECharset(label: "shift_jis")))),
                ("UTF-8", "base64", Base64Encoder.encode(Array(text.utf8))),
            ]
            for (charset, encoding, body) in cases {
                let header = "From: a@example.jp\r\nSubject: jp\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=\(charset)\r\nContent-Transfer-Encoding: \(encoding)\r\n\r\n"
                let input = try MailMessage.parse(Array(header.utf8) + body + [13, 10])
                let (copy, parsed) = try Self.sanitize(input) { $0.defangURLs = true }
                #expect(copy.urlsDefanged == 2, "\(charset)")
                #expect(parsed.root.contentType.charsetLabel == charset.lowercased(), "\(charset) kept")
                #expect(parsed.root.transferEncoding.description == encoding, "\(charset): \(encoding) kept")
                let expected = try input.root.decodedText()
                    .replacingOccurrences(of: "https://example.jp", with: "hxxps://example[.]jp")
                    .replacingOccurrences(of: "www.example.jp", with: "www[.]example[.]jp")
                #expect(expected.contains("をご覧ください。「www[.]example[.]jp」①\r\n.\r\n"))
                let got = try parsed.root.decodedText()
                #expect(got == expected, "\(charset): \(got.unicodeScalars.map(\.value)) \(expected.unicodeScalars.map(\.value))")
            }
        }

        @Test("attachments .risky: the disguised program and the encrypted ZIP go, the PDF stays byte for byte; the list says what and why")
        func riskyAttachments() throws {
            let encrypted = try RiskyAttachmentTests.zip([("secret.txt", Array("x".utf8))], encryption: .zipCrypto)
            let input = try Self.mixed(files: [
                ("quote.pdf", "application/pdf", RiskyAttachmentTests.pdf),
                ("invoice.pdf", "application/pdf", RiskyAttachmentTests.pe),
                ("data.zip", "application/zip", encrypted),
            ])
            let (copy, parsed) = try Self.sanitize(input) { $0.attachments = .risky }
            #expect(copy.removed.map(\.name) == ["invoice.pdf", "data.zip"])
            #expect(copy.removed.map(\.reason) == [.risky([.executable]), .risky([.archive, .encrypted])])
            #expect(copy.removed[0].sha256 == RiskyAttachmentTests.sha256(RiskyAttachmentTests.pe))
            #expect(copy.removed[0].size == RiskyAttachmentTests.pe.count)
            #expect(Self.fileNames(parsed) == ["quote.pdf", CopySanitizer.removedListName])
            let structure = MessageStructure(parsed)
            let pdf = try #require(structure.attachments.first { $0.filename == "quote.pdf" })
            #expect(try parsed.entity(at: pdf.address)?.decodedContent() == RiskyAttachmentTests.pdf)
            let list = try #require(structure.attachments.first { $0.filename == CopySanitizer.removedListName })
            let listEntity = try #require(parsed.entity(at: list.address))
            #expect(listEntity.contentType.charsetLabel == "utf-8")
            let listText = try listEntity.decodedText()
            #expect(listText.hasPrefix("削除した添付ファイル / Removed attachments:"))
            #expect(listText.contains("invoice.pdf\tapplication/pdf\t\(RiskyAttachmentTests.pe.count) bytes\tsha256:\(copy.removed[0].sha256)\texecutable"))
            #expect(listText.contains("data.zip\tapplication/zip"))
        }

        @Test("riskyKinds [encrypted] alone takes only the encrypted archive")
        func onlyEncrypted() throws {
            let plain = try RiskyAttachmentTests.zip([("a.txt", Array("x".utf8))])
            let encrypted = try RiskyAttachmentTests.zip([("a.txt", Array("x".utf8))], encryption: .aes256)
            let input = try Self.mixed(files: [("plain.zip", "application/zip", plain), ("locked.zip", "application/zip", encrypted)])
            let (copy, parsed) = try Self.sanitize(input) {
                $0.attachments = .risky
                $0.riskyKinds = [.encrypted]
            }
            #expect(copy.removed.map(\.name) == ["locked.zip"])
            #expect(copy.removed.map(\.reason) == [.risky([.encrypted])])
            #expect(Self.fileNames(parsed) == ["plain.zip", CopySanitizer.removedListName])
        }

        @Test("a risky file inside a forwarded message takes the forwarded message with it")
        func forwarded() throws {
            let inner = "From: x@example.jp\r\nSubject: fwd\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\n--i\r\nContent-Type: text/plain\r\n\r\nhi\r\n--i\r\nContent-Type: application/octet-stream; name=\"evil.exe \"\r\nContent-Disposition: attachment; filename=\"evil.exe \"\r\n\r\nMZ\r\n--i--\r\n"
            let input = try Self.message(
                "From: a@example.jp\nSubject: fw\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: text/plain\n\nsee attached\n--o\nContent-Type: message/rfc822\n\n"
                    + inner.replacingOccurrences(of: "\r\n", with: "\n") + "--o--\n")
            let (copy, parsed) = try Self.sanitize(input) { $0.attachments = .risky }
            #expect(copy.removed.count == 1)
            #expect(copy.removed[0].contentType == "message/rfc822")
            #expect(copy.removed[0].matchedInside?.hasPrefix("evil.exe (sha256:") == true)
            #expect(!MessageStructure(parsed).attachments.contains { $0.role == .messageRFC822 })
        }

        @Test("a forwarded message that stays is disarmed too: its links defanged, its scripts gone")
        func forwardedKeptIsDisarmed() throws {
            let inner = "From: x@example.jp\nSubject: fwd\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=i\n\n--i\nContent-Type: text/plain\n\nsee https://evil.example/fwd\n--i\nContent-Type: text/html\n\n<p onclick=\"x()\"><script>alert(2)</script><a href=\"http://evil.example/h\">h</a></p>\n--i--\n"
            let input = try Self.message(
                "From: a@example.jp\nSubject: fw\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: text/plain\n\nsee attached\n--o\nContent-Type: message/rfc822\n\n" + inner + "--o--\n")
            let (copy, parsed) = try Self.sanitize(input) {
                $0.attachments = .risky
                $0.stripActiveHTML = true
                $0.defangURLs = true
            }
            #expect(copy.removed.isEmpty, "nothing risky: the forwarded message stays")
            let forwarded = try MessageStructure(parsed).bodyParts.filter { $0.insideMessage != nil }.map { try #require(parsed.entity(at: $0.address)).decodedText() }
            #expect(forwarded.count == 2)
            let text = forwarded.joined(separator: "\n").lowercased()
            #expect(text.contains("hxxps://evil[.]example/fwd") && text.contains("hxxp://evil[.]example/h"), "\(text)")
            #expect(!text.contains("http://") && !text.contains("https://") && !text.contains("<script") && !text.contains("onclick"), "\(text)")
        }

        @Test("a signed forwarded message is unwrapped and disarmed; entity-spelt and comment-hidden links are caught")
        func hiddenLinks() throws {
            let inner = "From: x@example.jp\nSubject: signed\nMIME-Version: 1.0\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=s\n\n--s\nContent-Type: text/html\n\n<script>alert(3)</script><a href=\"https&colon;&sol;&sol;evil.example/a\">a</a>\n--s\nContent-Type: application/pkcs7-signature; name=smime.p7s\n\nAAAA\n--s--\n"
            let input = try Self.message(
                "From: a@example.jp\nSubject: fw\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: text/html\n\n<p>hi</p><!--[if mso]><a href=\"https://evil.example/mso\">mso</a><![endif]-->\n--o\nContent-Type: message/rfc822\n\n" + inner + "--o--\n")
            let (_, parsed) = try Self.sanitize(input) {
                $0.attachments = .risky
                $0.stripActiveHTML = true
                $0.defangURLs = true
            }
            let text = try MessageStructure(parsed).bodyParts.map { try #require(parsed.entity(at: $0.address)).decodedText() }.joined(separator: "\n").lowercased()
            #expect(!text.contains("<script") && !text.contains("evil.example/mso") && !text.contains("https&colon;") && !text.contains("https://"), "\(text)")
            #expect(!MessageStructure(parsed).entities.contains { $0.entity.contentType.mimeType == "multipart/signed" })
        }

        @Test("attachments .all on a message whose whole body is a PDF: it goes, the header stays, the banner gets a text part of its own")
        func wholeBodyPDF() throws {
            let text = "From: fax@corp.example\nSubject: scan\nMIME-Version: 1.0\nContent-Type: application/pdf; name=scan.pdf\nContent-Disposition: attachment; filename=scan.pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n"
            let (kept, _) = try Self.sanitize(try Self.message(text)) { $0.attachments = .risky }
            #expect(kept.removed.isEmpty, "a PDF is not risky")
            let (copy, parsed) = try Self.sanitize(try Self.message(text)) {
                $0.attachments = .all
                $0.banner = "この複製は無害化されています。"
            }
            #expect(copy.removed.map(\.name) == ["scan.pdf"])
            #expect(copy.removed.map(\.reason) == [.all])
            #expect(parsed.subject == "scan" && parsed.from.first?.address == "fax@corp.example")
            #expect(Self.fileNames(parsed) == [CopySanitizer.removedListName])
            let bodies = try Self.bodies(parsed)
            #expect(bodies.count == 1)
            #expect(bodies[0].text.hasPrefix("この複製は無害化されています。\r\n\r\n削除した添付ファイル / Removed attachments:\r\n- scan.pdf (all)"))
            #expect(MessageStructure(parsed).bodyParts.first?.path == "1", "the banner comes first")
        }

        @Test("a signed message (corpus p36): any body change unwraps the signature; a subject prefix alone keeps it")
        func signed() throws {
            let input = try MailMessage.parse(Corpus.bytes("p36"))
            let text = try #require(input.entity(at: [0, 0])).decodedText()
            let (copy, parsed) = try Self.sanitize(input) { $0.attachments = .all }
            #expect(parsed.root.contentType.mimeType == "multipart/mixed")
            #expect(!MessageStructure(parsed).security.signed)
            #expect(copy.removed.map(\.name) == ["report.pdf"])
            #expect(Self.fileNames(parsed) == [CopySanitizer.removedListName], "the signature went with its wrapper")
            #expect(try Self.bodies(parsed).map(\.text) == [text])
            #expect(copy.notes.contains("signature removed (multipart/signed at top)"))
            #expect(parsed.subject == input.subject && parsed.header["MIME-Version"] != nil)

            let (_, prefixed) = try Self.sanitize(input) { $0.subjectPrefix = "[複製] " }
            #expect(prefixed.root.contentType.mimeType == "multipart/signed")
            #expect(prefixed.subject == "[複製] " + (input.subject ?? ""))

            // Defanging finds no URL and the PDF is not risky: the signed original goes.
            let (kept, intact) = try Self.sanitize(input) {
                $0.attachments = .risky
                $0.defangURLs = true
            }
            #expect(intact.root.contentType.mimeType == "multipart/signed")
            #expect(MessageStructure(intact).security.signed)
            #expect(kept.notes.contains("signature kept: nothing in the signed content needed changing"))
            var unmarked = kept.message
            unmarked.header.remove("X-Sekisho-Copy")
            #expect(try unmarked.serialized() == input.serialized())
        }

        @Test("an S/MIME encrypted body is replaced by a notice when encrypted content goes, and left with a note otherwise")
        func encryptedBody() throws {
            let text = "From: x@example.jp\nSubject: secret\nMIME-Version: 1.0\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\nContent-Disposition: attachment; filename=smime.p7m\nContent-Transfer-Encoding: base64\n\nMIAGCSqGSIb3DQEHA6CAMIACAQA=\n"
            let (copy, parsed) = try Self.sanitize(try Self.message(text)) { $0.attachments = .risky }
            #expect(copy.removed.map(\.name) == ["smime.p7m"])
            #expect(copy.removed.map(\.reason) == [.risky([.encrypted])])
            #expect(parsed.root.contentType.mimeType == "multipart/mixed")
            let bodies = try Self.bodies(parsed)
            #expect(bodies.count == 1 && bodies[0].text.contains("This part was encrypted and could not be inspected"))
            #expect(!MessageStructure(parsed).security.encrypted)

            let (left, untouched) = try Self.sanitize(try Self.message(text)) { $0.defangURLs = true }
            #expect(left.removed.isEmpty)
            #expect(untouched.root.contentType.mimeType == "application/pkcs7-mime")
            #expect(left.notes.contains { $0.hasPrefix("encrypted content left as it is") })
        }

        @Test("a Japanese subject prefix round-trips through RFC 2047; the banner goes into text and (escaped) into HTML")
        func markAndBanner() throws {
            let (copy, parsed) = try Self.sanitize(try Self.message(Self.alternative)) {
                $0.subjectPrefix = "[複製] "
                $0.banner = "外部からのメール <注意>"
            }
            #expect(parsed.subject == "[複製] テスト")
            let bodies = try Self.bodies(parsed)
            #expect(bodies[0].text.hasPrefix("外部からのメール <注意>\r\n\r\nSee https://evil.example/x"))
            #expect(bodies[1].text.contains("外部からのメール &lt;注意&gt;"))
            #expect(copy.removed.isEmpty)
            #expect(Self.fileNames(parsed).isEmpty, "no list without removals")
        }

        @Test("a plain ASCII message (no MIME) with a Japanese banner stays 7bit and line for line: lone dots and all; it gets MIME-Version")
        func asciiBodyWithJapaneseBanner() throws {
            let body = "first line\r\n.\r\n..\r\n.leading dot\r\n. \r\nlast line\r\n"
            let input = try MailMessage.parse(Array("From: <a@partner.example>\r\nTo: <b@corp.example>\r\nSubject: dots\r\n\r\n\(body)".utf8))
            let (copy, parsed) = try Self.sanitize(input) {
                $0.defangURLs = true
                $0.banner = "このメールは複製です。"
            }
            let raw = String(decoding: try copy.message.serialized(), as: UTF8.self)
            #expect(raw.hasSuffix("\r\n\r\n" + body), "the body's lines as they came, nothing after them")
            #expect(parsed.root.transferEncoding == .sevenBit)
            #expect(parsed.root.contentType.charsetLabel == "iso-2022-jp")
            #expect(parsed.header.text("MIME-Version") == "1.0")
            #expect(try parsed.root.decodedText() == "このメールは複製です。\r\n\r\n" + body)
        }

        // MARK: everything together

        @Test("every option at once on an alternative with a risky attachment")
        func everything() throws {
            var text = Self.alternative.replacingOccurrences(of: "Content-Type: multipart/alternative; boundary=alt\n\n", with: "Content-Type: multipart/mixed; boundary=mix\n\n--mix\nContent-Type: multipart/alternative; boundary=alt\n\n")
            text = text.replacingOccurrences(
                of: "--alt--\n",
                with: "--alt--\n--mix\nContent-Type: application/octet-stream; name=\"www.evil.example.exe\"\nContent-Disposition: attachment; filename=\"www.evil.example.exe\"\n\nMZ\n--mix\nContent-Type: text/plain; name=notes.txt\nContent-Disposition: attachment; filename=notes.txt\n\nplain notes https://example.jp\n--mix--\n")
            let (copy, parsed) = try Self.sanitize(try Self.message(text)) {
                $0.attachments = .risky
                $0.htmlToText = true
                $0.stripActiveHTML = true
                $0.defangURLs = true
                $0.subjectPrefix = "[複製] "
                $0.banner = "複製"
            }
            #expect(copy.removed.map(\.name) == ["www.evil.example.exe"])
            #expect(Self.fileNames(parsed) == ["notes.txt", CopySanitizer.removedListName])
            let notes = try #require(MessageStructure(parsed).attachments.first { $0.filename == "notes.txt" })
            #expect(try parsed.entity(at: notes.address)?.decodedText() == "plain notes https://example.jp", "attachments are not defanged")
            let bodies = try Self.bodies(parsed)
            #expect(bodies.map(\.type) == ["text/plain"])
            #expect(bodies[0].text.contains("- www[.]evil[.]example[.]exe (executable)"))
            #expect(bodies[0].text.contains("See hxxps://evil[.]example/x and www[.]example[.]com\r\n.\r\nend"))
            #expect(parsed.subject == "[複製] テスト")
            #expect(parsed.header.text("X-Sekisho-Copy") == "destination=internal; queue-id=ABC123; sanitized=attachments(1),html-to-text(1),urls(2)")
        }

        /// multipart/mixed with a text part and `files` (base64).
        static func mixed(files: [(name: String, type: String, content: [UInt8])]) throws -> MailMessage {
            var text = "From: a@example.jp\r\nSubject: files\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nfiles attached\r\n"
            for file in files {
                text += "--m\r\nContent-Type: \(file.type); name=\"\(file.name)\"\r\nContent-Disposition: attachment; filename=\"\(file.name)\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                text += String(decoding: Base64Encoder.encode(file.content), as: UTF8.self) + "\r\n"
            }
            return try MailMessage.parse(Array((text + "--m--\r\n").utf8))
        }
    }
}
