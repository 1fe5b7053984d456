import Foundation
import MailMessage
import Policy
import ZipArchive
import TestSupport
import Testing

@testable import Daemon

/// The pure pieces of attachment protection: time patterns, passwords, templates, notices,
/// settings validation, names, subject keywords.
@Suite("Attachment protection: parts")
struct ProtectionPartsTests {
    static let tokyo = TimeZone(identifier: "Asia/Tokyo")!
    /// 2026-03-04 05:06:07 UTC = 14:06:07 in Tokyo.
    static let date = Date(timeIntervalSince1970: 1_772_600_767)

    @Test("strftime fields: SaMMA's AttachFile.%Y%m%d.zip and secret%Y%m")
    func timePattern() {
        #expect(TimePattern("AttachFile.%Y%m%d.zip").format(Self.date, timeZone: Self.tokyo) == "AttachFile.20260304.zip")
        #expect(TimePattern("secret%Y%m").format(Self.date, timeZone: Self.tokyo) == "secret202603")
        #expect(TimePattern("%H:%M:%S %y %j %% %q").format(Self.date, timeZone: Self.tokyo) == "14:06:07 26 063 % %q")
        #expect(TimePattern("trailing %").format(Self.date, timeZone: Self.tokyo) == "trailing %")
    }

    @Test("random passwords: length, alphabet without look-alikes, never repeated")
    func randomPasswords() {
        let source = PasswordSource.random(length: 12, alphabet: PasswordSource.defaultAlphabet)
        var seen = Set<String>()
        for _ in 0..<2000 {
            let password = source.password(at: Self.date, timeZone: Self.tokyo).value
            #expect(password.count == 12)
            #expect(password.allSatisfy { PasswordSource.defaultAlphabet.contains($0) })
            seen.insert(password)
        }
        #expect(seen.count == 2000)
        for lookAlike in "0Oo1lIk" { #expect(!PasswordSource.defaultAlphabet.contains(lookAlike)) }
        // Every character of the alphabet turns up (no modulo bias hiding some).
        let used = Set(seen.joined())
        #expect(used == Set(PasswordSource.defaultAlphabet))
        #expect(PasswordSource.fixed(TimePattern("pw%Y")).password(at: Self.date, timeZone: Self.tokyo).value == "pw2026")
    }

    @Test("secrets never print and compare in constant time")
    func secrets() {
        let secret = Secret("hunter2")
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
        #expect(secret.matches("hunter2"))
        #expect(!secret.matches("hunter3"))
        #expect(!secret.matches("hunter22"))
        #expect(!secret.matches(""))
    }

    @Test("templates: {{fields}}, SaMMA's <@@TAGS@@>, unknown fields refused; built-ins equal etc/templates")
    func templates() throws {
        let samma = try NoticeTemplate(text: "Subject: PW <@@SUBJECT@@>\n\nPassword: <@@PASSWORD@@>\nTo: <@@RCPTLIST@@>\n")
        #expect(samma.subject == "PW {{subject}}")
        #expect(NoticeTemplate.fill(samma.body, ["password": "abc", "recipients": "a@x"]) == "Password: abc\nTo: a@x\n")
        #expect(throws: NoticeTemplateError.self) { try NoticeTemplate(text: "{{pasword}}") }
        #expect(throws: NoticeTemplateError.self) { try NoticeTemplate(text: "{{password") }
        let root = TestEnvironment.packageRoot
        for kind in NoticeKind.allCases {
            for japanese in [true, false] {
                let builtIn = NoticeTemplate.builtIn(kind, japanese: japanese)
                let file = "\(kind.rawValue).\(japanese ? "ja" : "en").txt"
                let onDisk = try NoticeTemplate(contentsOfFile: root.appendingPathComponent("etc/templates/\(file)").path)
                #expect(onDisk.subject == builtIn.subject, "\(file)")
                #expect(onDisk.subject != nil, "\(file)")
                #expect(onDisk.body.trimmingCharacters(in: .newlines) == builtIn.body.trimmingCharacters(in: .newlines), "\(file)")
            }
        }
    }

    @Test("the notice: ISO-2022-JP subject and body that decode, threaded, one recipient, null sender")
    func notice() throws {
        let facts = NoticeComposer.PasswordFacts(
            envelopeSender: "taro@corp.example", recipients: ["a@partner.example", "b@partner.example"], subject: "見積書の送付",
            date: Self.date, messageID: "orig-1@corp.example", archiveNames: ["AttachFile.20260304.zip"], fileNames: ["見積書.xlsx", "仕様.pdf"],
            password: "Abc234xyz"
        )
        let mail = try NoticeComposer(settings: NoticeSettings(), timeZone: Self.tokyo).passwordNotice(facts, to: ["taro@corp.example"], now: Self.date)
        #expect(mail.sender == "")
        #expect(mail.recipients == ["taro@corp.example"])
        let raw = String(decoding: mail.message, as: UTF8.self)
        #expect(raw.contains("Subject: =?ISO-2022-JP?B?"))
        #expect(raw.contains("Content-Type: text/plain; charset=ISO-2022-JP"))
        #expect(raw.contains("In-Reply-To: <orig-1@corp.example>\r\nReferences: <orig-1@corp.example>\r\n"))
        #expect(raw.contains("Auto-Submitted: auto-generated"))
        #expect(!raw.utf8.contains { $0 >= 0x80 })
        let parsed = try MailMessage.parse(mail.message)
        #expect(parsed.subject == "パスワードのお知らせ: 見積書の送付")
        let text = try MessageStructure(parsed).bodyParts.first.flatMap { parsed.entity(path: $0.path)?.entity }?.decodedText() ?? ""
        #expect(text.contains("パスワード: Abc234xyz"))
        #expect(text.contains("Password: Abc234xyz"))
        #expect(text.contains("2026/03/04 14:06:07 (+0900)"))
        #expect(text.contains("  見積書.xlsx\n  仕様.pdf") || text.contains("  見積書.xlsx\r\n  仕様.pdf"))
        #expect(text.contains("  a@partner.example"))

        let toRecipient = try NoticeComposer(settings: NoticeSettings(), timeZone: Self.tokyo).passwordNotice(facts, to: ["a@partner.example"], now: Self.date)
        #expect(toRecipient.sender == "taro@corp.example")
    }

    @Test("settings: good values read into types; a bad value names its key")
    func settings() throws {
        let settings = try EncryptSettings([
            "zip_encryption": "zipcrypto", "zip_names": "cp932", "password": "secret%Y%m", "notify": "both", "zip_extension": "zi_",
            "strip_subject": "[secure],【暗号化】", "time_zone": "Asia/Tokyo", "banner": "ja",
        ])
        #expect(settings.encryption == .zipCrypto)
        #expect(settings.nameEncoding == .cp932)
        #expect(settings.password == .fixed(TimePattern("secret%Y%m")))
        #expect(settings.subjectKeywords == ["[secure]", "【暗号化】"])
        #expect(settings.archiveName(at: Self.date) == "AttachFile.20260304.zi_")
        #expect(settings.banner == .ja)
        let bad: [([String: String], String)] = [
            (["zip_encryption": "des"], "zip_encryption must be one of none, aes256, zipcrypto"),
            (["password_length": "3"], "password_length must be a whole number from 6 to 128"),
            (["notify": "boss"], "notify must be one of sender, recipients, both, none"),
            (["pasword": "x"], "pasword is not a parameter of encrypt"),
            (["time_zone": "Mars/Olympus"], "time_zone unknown time zone"),
            (["notice_template_ja": "/nonexistent/t.txt"], "notice_template_ja cannot read"),
            (["password_alphabet": "ab"], "password_alphabet needs at least 10"),
        ]
        for (parameters, words) in bad {
            do {
                _ = try EncryptSettings(parameters)
                Issue.record("\(parameters) accepted")
            } catch {
                #expect(error.reason.contains(words), "\(error.reason)")
            }
        }
    }

    @Test("check-config refuses a bad encrypt parameter and notices with nowhere to go")
    func configuration() throws {
        let bad = "rules:\n  - name: r\n    actions:\n      - encrypt: {zip_names: latin1}\n"
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.parse(bad) }
        do {
            _ = try ConfigurationLoader.parse("rules:\n  - name: r\n    actions: [encrypt]\n")
            Issue.record("accepted without reinjection")
        } catch {
            #expect(error.line == 2)
            #expect(error.message.contains("reinjection.relay"))
        }
        _ = try ConfigurationLoader.parse("rules:\n  - name: r\n    actions:\n      - encrypt: {notify: none, password: \"pw%Y\"}\n")
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.parse("rules:\n  - name: r\n    actions:\n      - encrypt: {notify: none}\n") }
        let filterLevel = "filters:\n  encrypt:\n    zip_encryption: rot13\n"
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.parse(filterLevel) }
        let list = try ConfigurationLoader.parse("reinjection: {relay: 127.0.0.1:10027}\nrules:\n  - name: r\n    actions:\n      - encrypt: {strip_subject: [\"[secure]\", \"【暗号化】\"]}\n")
        #expect(list.rules[0].actions[0].parameters["strip_subject"] == "[secure],【暗号化】")
    }

    @Test("link settings: typed, validated; the link action needs links: and, for notices, reinjection")
    func linkSettings() throws {
        let settings = try LinkFilterSettings(["lifetime": "3d", "maximum_downloads": "5", "password": "random", "notify": "both", "notify_first_download": "yes"])
        #expect(settings.lifetime == .seconds(3 * 86_400))
        #expect(settings.maximumDownloads == 5)
        #expect(settings.password?.isRandom == true)
        #expect(settings.notifyFirstDownload)
        for (parameters, words) in [
            (["lifetime": "10s"], "at least a minute"), (["lifetime": "forever"], "must be a duration"), (["maximum_downloads": "0"], "maximum_downloads"),
            (["notify": "boss"], "notify must be one of"), (["expiry": "1d"], "expiry is not a parameter of link"),
        ] {
            do {
                _ = try LinkFilterSettings(parameters)
                Issue.record("\(parameters) accepted")
            } catch {
                #expect(error.reason.contains(words), "\(error.reason)")
            }
        }
        do {
            _ = try ConfigurationLoader.parse("rules:\n  - name: r\n    actions: [link]\n")
            Issue.record("link accepted without links:")
        } catch {
            #expect(error.message.contains("links: section"))
        }
        do {
            _ = try ConfigurationLoader.parse("links: {base_url: https://f.example}\nrules:\n  - name: r\n    actions: [link]\n")
            Issue.record("link notices accepted without reinjection")
        } catch {
            #expect(error.message.contains("reinjection.relay"))
        }
        let good = try ConfigurationLoader.parse("links: {base_url: \"https://f.example/\", lifetime: 2d, maximum_downloads: 3}\nrules:\n  - name: r\n    actions:\n      - link: {notify: none}\n")
        #expect(good.links?.baseURL == "https://f.example")
        #expect(good.links?.lifetime == .seconds(2 * 86_400))
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.parse("links: {base_url: ftp://x}\n") }
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.parse("links: {base_url: https://x, tls_key: /nonexistent}\n") }
    }

    @Test("archive entry names: safe, unique (case-insensitively), CP932 when it can")
    func names() {
        #expect(AttachmentSelection.uniqueNames(["a.pdf", "A.pdf", "a.pdf", "../../etc/passwd", "noext", "noext"]) == ["a.pdf", "A (2).pdf", "a (3).pdf", "passwd", "noext", "noext (2)"])
        let cp932 = AttachmentArchiver.entryName("見積書.xlsx", .cp932)
        #expect(!cp932.isUTF8)
        #expect(cp932.bytes == [0x8C, 0xA9, 0x90, 0xCF, 0x8F, 0x91, 0x2E, 0x78, 0x6C, 0x73, 0x78])
        let emoji = AttachmentArchiver.entryName("report😀.pdf", .cp932)
        #expect(emoji.isUTF8)
    }

    @Test("subject keywords come out; the charset stays")
    func subjectKeywords() throws {
        var message = try MailMessage.parse(Array("Subject: =?ISO-2022-JP?B?GyRCMEU5ZjI9GyhC?= [secure] report\r\n\r\nbody\r\n".utf8))
        let before = message.subject ?? ""
        let after = SubjectKeywords.remove(["【暗号化】", "[SECURE]"], from: &message)
        #expect(before.contains("[secure]"))
        #expect(!after.contains("[secure]"))
        #expect(message.subject == after)
        let rawSubject = String(decoding: message.header["Subject"]?.value ?? [], as: UTF8.self)
        #expect(rawSubject.contains("ISO-2022-JP"))
        var untouched = try MailMessage.parse(Array("Subject: plain\r\n\r\nbody\r\n".utf8))
        #expect(SubjectKeywords.remove(["[secure]"], from: &untouched) == "plain")
    }
}
