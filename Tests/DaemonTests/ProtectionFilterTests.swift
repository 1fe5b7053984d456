import Foundation
import MailMessage
import Policy
import Testing

@testable import Daemon

/// The protection filters on crafted messages, in process: what they take, what they leave,
/// who is told what.
@Suite("Attachment protection: filters")
struct ProtectionFilterTests {
    static func work(_ text: String, sender: String = "taro@corp.example", recipients: [String] = ["a@partner.example", "b@partner.example"]) throws -> FilterWork {
        let message = try MailMessage.parse(Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8))
        let facts = MessageFacts(message: message, size: text.utf8.count, sender: sender, clientAddress: "10.0.0.1", authenticatedUser: nil, daemonName: nil)
        return FilterWork(message: message, facts: facts, recipients: recipients, queueID: "Q1")
    }

    static let spool = FileManager.default.temporaryDirectory.path

    static func attachmentNames(_ message: MailMessage) -> [String] {
        MessageStructure(message).attachments.compactMap(\.filename)
    }

    static let appleMailInlinePDF = """
        From: taro@corp.example
        Subject: quote
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary=b

        --b
        Content-Type: text/plain

        see the PDF
        --b
        Content-Type: application/pdf; name=quote.pdf
        Content-Disposition: inline; filename=quote.pdf
        Content-Transfer-Encoding: base64

        JVBERi0xLjQK
        --b--

        """

    @Test("an inline-disposition PDF in multipart/mixed (Apple Mail) is protected; an HTML body's cid image is not")
    func inlineFiles() async throws {
        let result = try await EncryptFilter(spoolDirectory: Self.spool).run(try Self.work(Self.appleMailInlinePDF), parameters: [:])
        #expect(Self.attachmentNames(result.message) == ["AttachFile.\(TimePattern("%Y%m%d").format(Date())).zip"])
        let related = """
            From: taro@corp.example
            Subject: html
            MIME-Version: 1.0
            Content-Type: multipart/related; boundary=r

            --r
            Content-Type: text/html

            <img src="cid:logo@x">
            --r
            Content-Type: image/png
            Content-ID: <logo@x>
            Content-Disposition: inline; filename=logo.png
            Content-Transfer-Encoding: base64

            iVBORw0KGgo=
            --r--

            """
        let untouched = try await EncryptFilter(spoolDirectory: Self.spool).run(try Self.work(related), parameters: [:])
        #expect(!untouched.changed)
        #expect(untouched.followUps.isEmpty)
    }

    @Test("notices to recipients name only that recipient (Bcc stays hidden)")
    func bccHidden() async throws {
        let result = try await EncryptFilter(spoolDirectory: Self.spool).run(try Self.work(Self.appleMailInlinePDF), parameters: ["notify": "both", "notice_language": "en"])
        #expect(result.followUps.count == 3)
        for mail in result.followUps where mail.recipients != ["taro@corp.example"] {
            let text = String(decoding: mail.message, as: UTF8.self)
            let other = mail.recipients == ["a@partner.example"] ? "b@partner.example" : "a@partner.example"
            #expect(!text.contains(other), "\(mail.recipients) learns about \(other)")
        }
    }

    @Test("a random password nobody would receive (null sender) fails the message instead")
    func nullSender() async throws {
        await #expect(throws: FilterError.self) {
            _ = try await EncryptFilter(spoolDirectory: Self.spool).run(try Self.work(Self.appleMailInlinePDF, sender: ""), parameters: [:])
        }
        // With the password going to the recipients it works.
        let result = try await EncryptFilter(spoolDirectory: Self.spool).run(try Self.work(Self.appleMailInlinePDF, sender: ""), parameters: ["notify": "recipients"])
        #expect(result.followUps.count == 2)
    }

    static let forwardedSigned = """
        From: taro@corp.example
        Subject: fw
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary=o

        --o
        Content-Type: text/plain

        body
        --o
        Content-Type: application/vnd.ms-excel; name=invoice.xls
        Content-Disposition: attachment; filename=invoice.xls
        Content-Transfer-Encoding: base64

        AAAA
        --o
        Content-Type: message/rfc822

        From: x@y
        Subject: signed inside
        MIME-Version: 1.0
        Content-Type: multipart/signed; protocol="application/pkcs7-signature"; boundary=s

        --s
        Content-Type: multipart/mixed; boundary=i

        --i
        Content-Type: text/plain

        hi
        --i
        Content-Type: application/octet-stream; name=evil.exe.
        Content-Disposition: attachment; filename="evil.exe."

        MZ
        --i--
        --s
        Content-Type: application/pkcs7-signature; name=smime.p7s

        AAAA
        --s--
        --o--

        """

    @Test("a signed message forwarded as an attachment does not stop protection of the others")
    func forwardedSignedDoesNotBlock() async throws {
        let result = try await EncryptFilter(spoolDirectory: Self.spool).run(try Self.work(Self.forwardedSigned), parameters: [:])
        #expect(result.changed)
        #expect(Self.attachmentNames(result.message).count == 1)
        #expect(Self.attachmentNames(result.message)[0].hasSuffix(".zip"))
    }

    @Test("strip: a file hidden in a forwarded message takes the forwarded message with it; 'evil.exe.' counts as .exe")
    func stripNested() async throws {
        let result = try await StripFilter().run(try Self.work(Self.forwardedSigned), parameters: ["extensions": "exe"])
        let structure = MessageStructure(result.message)
        #expect(!structure.attachments.contains { $0.role == .messageRFC822 })
        #expect(structure.attachments.compactMap(\.filename).contains("invoice.xls"))
        let list = try #require(structure.attachments.first { $0.filename?.hasPrefix("DeletedFiles.") == true })
        let text = try #require(try result.message.entity(at: list.address)?.decodedText())
        #expect(text.contains("contains evil.exe"))
    }

    @Test("strip leaves a message it removes nothing from exactly as it was (no wrapping)")
    func stripNothing() async throws {
        let single = "From: fax@corp.example\nSubject: scan\nMIME-Version: 1.0\nContent-Type: application/pdf; name=scan.pdf\nContent-Disposition: attachment; filename=scan.pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n"
        let result = try await StripFilter().run(try Self.work(single), parameters: ["extensions": "exe"])
        #expect(!result.changed)
        let removed = try await StripFilter().run(try Self.work(single), parameters: ["extensions": "pdf"])
        #expect(removed.changed)
        #expect(Self.attachmentNames(removed.message).allSatisfy { $0.hasPrefix("DeletedFiles.") })
    }

    @Test("strip on a signed message with files to remove fails (on_error) unless signed: skip")
    func stripSigned() async throws {
        let signed = """
            From: x@y
            Subject: signed
            MIME-Version: 1.0
            Content-Type: multipart/signed; protocol="application/pkcs7-signature"; boundary=s

            --s
            Content-Type: multipart/mixed; boundary=i

            --i
            Content-Type: text/plain

            hi
            --i
            Content-Type: application/octet-stream; name=evil.exe
            Content-Disposition: attachment; filename=evil.exe

            MZ
            --i--
            --s
            Content-Type: application/pkcs7-signature; name=smime.p7s

            AAAA
            --s--

            """
        await #expect(throws: FilterError.self) { _ = try await StripFilter().run(try Self.work(signed), parameters: ["extensions": "exe"]) }
        let skipped = try await StripFilter().run(try Self.work(signed), parameters: ["extensions": "exe", "signed": "skip"])
        #expect(!skipped.changed)
    }
}
