import Crypto
import Foundation
import MailMessage
import TestSupport
import Testing

@testable import Daemon

/// Attachment protection through a real Postfix: every corpus message with attachments leaves
/// with its attachments in an encrypted ZIP that 7-Zip (AES-256, UTF-8 names) or unzip, bsdtar and
/// Python's zipfile (ZipCrypto, CP932 names) open with the password from the notice that
/// arrived too; every file hash-equal to the original, every name exactly right.
@Suite("Attachment protection through Postfix", .serialized, .enabled(if: TestEnvironment.canRunPostfix || TestEnvironment.isCI))
struct EncryptEndToEndTests {
    static func policy(reinjectionPort: Int, linksPort: Int = FreePort.next()) -> String {
        """
        links:
          listen: 127.0.0.1:\(linksPort)
          base_url: http://127.0.0.1:\(linksPort)
          lifetime: 1d
        internal:
          domains: [corp.example]
          networks: [127.0.0.0/8]
        reinjection:
          relay: 127.0.0.1:\(reinjectionPort)
        rules:
          - name: zip-aes
            when: {direction: outbound, recipient: [aes.example]}
            actions:
              - encrypt: {zip_encryption: aes256, zip_names: utf8, notify: sender}
          - name: zip-legacy
            when: {direction: outbound, recipient: [legacy.example]}
            actions:
              - encrypt: {zip_encryption: zipcrypto, zip_names: cp932, notify: sender, zip_name: "Files.%Y%m%d.zip"}
          - name: strip
            when: {direction: outbound, recipient: [mobile.example]}
            actions: [strip]
          - name: link
            when: {direction: outbound, recipient: [link.example]}
            actions:
              - link: {notify: sender, maximum_downloads: 3}
        """
    }

    /// A corpus message and what the archive must hold: (name in the archive, sha256).
    struct Case {
        var id: String
        var bytes: [UInt8]
        var expected: [(name: String, sha256: String)]
    }

    static func cases() throws -> [Case] {
        return try Corpus.storedIDs.compactMap { id -> Case? in
            let bytes = try Corpus.bytes(id)
            let message = try MailMessage.parse(bytes)
            let structure = MessageStructure(message)
            if structure.security.signed || structure.security.encrypted { return nil }
            let selected = structure.attachments.filter { $0.isUserAttachment && $0.uuencoded == nil }
            guard !selected.isEmpty else { return nil }
            let names = AttachmentSelection.uniqueNames(selected.map { AttachmentSelection.displayName($0, message: message) })
            let hashes = try selected.map { attachment -> String in
                var hash = SHA256()
                try message.entity(at: attachment.address)?.forEachDecodedChunk { hash.update(bufferPointer: $0) }
                return hash.finalize().map { String(format: "%02x", $0) }.joined()
            }
            return Case(id: id, bytes: bytes, expected: Array(zip(names, hashes)))
        }
    }

    @Test("every corpus message with attachments: AES-256 opened by 7z, ZipCrypto by unzip, bsdtar (CP932 names) and Python, with the notified password")
    func corpus() async throws {
        let sevenZip = try Tool.require("/usr/bin/7z")
        let unzip = try Tool.require("/usr/bin/unzip")
        let bsdtar = try Tool.require("/usr/bin/bsdtar")
        let python = try Tool.require("/usr/bin/python3")
        let cases = try Self.cases()
        #expect(cases.count >= 20, "corpus messages with attachments: \(cases.count)")
        try await GatewayOnMTA.run(policy: { Self.policy(reinjectionPort: $0) }) { rig in
            // Four clients at a time, as a busy MTA would send.
            let jobs = cases.flatMap { item in ["aes.example", "legacy.example"].map { (item, $0) } }
            try await withThrowingTaskGroup(of: (String, Int).self) { group in
                var next = 0
                func submit() {
                    guard next < jobs.count else { return }
                    let (item, domain) = jobs[next]
                    next += 1
                    group.addTask {
                        let reply = try await SMTPTestClient.send(
                            port: rig.smtpPort, from: "s-\(item.id)-\(domain)@corp.example", to: ["r-\(item.id)@\(domain)"], message: item.bytes
                        )
                        return ("\(item.id) \(domain)", reply)
                    }
                }
                for _ in 0..<4 { submit() }
                while let (label, reply) = try await group.next() {
                    #expect(reply == 250, "\(label): \(reply)")
                    submit()
                }
            }
            let wanted = cases.count * 4  // protected message + notice, twice
            let messages = try await GatewayOnMTA.waitForSink(rig) { $0.count >= wanted }
            #expect(messages.count == wanted)
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("sekisho-zip-e2e-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: work) }
            for item in cases {
                for domain in ["aes.example", "legacy.example"] {
                    let label = "\(item.id) \(domain)"
                    guard let delivered = messages.first(where: { $0.recipients == ["r-\(item.id)@\(domain)"] }),
                        let notice = messages.first(where: { $0.recipients == ["s-\(item.id)-\(domain)@corp.example"] })
                    else {
                        Issue.record("\(label): protected message or notice missing")
                        continue
                    }
                    #expect(notice.sender == "", "\(label): notices to the sender use the null sender")
                    let password = try Self.password(in: notice.bytes)
                    #expect(password.count == 12, "\(label)")
                    let archives = try Self.zipParts(of: delivered.bytes)
                    #expect(archives.count == 1, "\(label): \(archives.count) archives")
                    guard let archive = archives.first else { continue }
                    let directory = work.appendingPathComponent("\(item.id)-\(domain)")
                    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                    let zipPath = directory.appendingPathComponent("archive.zip").path
                    try Data(archive.content).write(to: URL(fileURLWithPath: zipPath))
                    let out = directory.appendingPathComponent("out").path
                    if domain == "aes.example" {
                        #expect(archive.name.hasPrefix("AttachFile.") && archive.name.hasSuffix(".zip"), "\(label): \(archive.name)")
                        let listing = try await Tool.run(sevenZip, ["l", "-slt", "-p\(password)", zipPath])
                        #expect(listing.output.contains("AES-256"), "\(label): \(listing.output)")
                        let result = try await Tool.run(sevenZip, ["x", "-y", "-p\(password)", "-o\(out)", zipPath])
                        #expect(result.status == 0, "\(label): \(result.output) \(result.error)")
                        #expect(try Self.extracted(out) == Self.sorted(item.expected), "\(label)")
                        let wrong = try await Tool.run(sevenZip, ["t", "-pwrong-password", zipPath])
                        #expect(wrong.status != 0, "\(label): a wrong password opened the archive")
                    } else {
                        #expect(archive.name.hasPrefix("Files."), "\(label): \(archive.name)")
                        // Debian's unzip has no -O (it reads CP932 names as CP850): it checks
                        // the ZipCrypto data; libarchive's bsdtar, told the names are CP932,
                        // extracts and checks the names.
                        let tested = try await Tool.run(unzip, ["-t", "-P", password, zipPath])
                        #expect(tested.status == 0, "\(label): \(tested.output) \(tested.error)")
                        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
                        let result = try await Tool.run(bsdtar, ["-x", "-C", out, "--options", "hdrcharset=CP932", "--passphrase", password, "-f", zipPath])
                        #expect(result.status == 0, "\(label): \(result.output) \(result.error)")
                        #expect(try Self.extracted(out) == Self.sorted(item.expected), "\(label)")
                        let script = """
                            import hashlib, sys, zipfile
                            with zipfile.ZipFile(sys.argv[1]) as z:
                                z.setpassword(sys.argv[2].encode())
                                for info in z.infolist():
                                    name = info.filename if info.flag_bits & 0x800 else info.filename.encode('cp437').decode('cp932')
                                    print(name + '\\t' + hashlib.sha256(z.read(info)).hexdigest())
                            """
                        let read = try await Tool.run(python, ["-c", script, zipPath, password])
                        #expect(read.status == 0, "\(label): \(read.error)")
                        let pairs = read.output.split(separator: "\n").map { line -> String in String(line) }
                        #expect(pairs.sorted() == Self.sorted(item.expected).map { "\($0.name)\t\($0.sha256)" }, "\(label)")
                    }
                }
            }
        }
    }

    @Test("mixed recipients: the ZIP, the download link, the stripped message and the original each reach the right recipient once")
    func mixedRecipients() async throws {
        let curl = try Tool.require("/usr/bin/curl")
        let bytes = try Corpus.bytes("p12")
        let original = try MailMessage.parse(bytes)
        let originalFile = try #require(MessageStructure(original).attachments.first { $0.isUserAttachment })
        let originalContent = try #require(try original.entity(at: originalFile.address)?.decodedContent())
        let linksPort = FreePort.next()
        try await GatewayOnMTA.run(policy: { Self.policy(reinjectionPort: $0, linksPort: linksPort) }) { rig in
            let recipients = ["a@aes.example", "b@mobile.example", "c@plain.example", "l@link.example"]
            let reply = try await SMTPTestClient.send(port: rig.smtpPort, from: "taro@corp.example", to: recipients, message: bytes)
            #expect(reply == 250)
            // Four messages, a password notice and a link notice.
            _ = try await GatewayOnMTA.waitForSink(rig) { $0.count >= 6 }
            try await Task.sleep(for: .seconds(2))
            let all = GatewayOnMTA.sinkMessages(rig)
            #expect(all.count == 6, "\(all.map(\.recipients))")
            #expect(all.flatMap(\.recipients).sorted() == (recipients + ["taro@corp.example", "taro@corp.example"]).sorted())

            let zipped = try #require(all.first { $0.recipients == ["a@aes.example"] })
            #expect(try Self.zipParts(of: zipped.bytes).count == 1)
            let stripped = try #require(all.first { $0.recipients == ["b@mobile.example"] })
            let names = MessageStructure(try MailMessage.parse(stripped.bytes)).attachments.compactMap(\.filename)
            #expect(names.count == 1 && names[0].hasPrefix("DeletedFiles."), "\(names)")
            let plain = try #require(all.first { $0.recipients == ["c@plain.example"] })
            #expect(MessageStructure(try MailMessage.parse(plain.bytes)).attachments.map(\.filename) == MessageStructure(original).attachments.map(\.filename))

            // The link recipient: no attachment, a link in the text that downloads the file.
            let linked = try MailMessage.parse(try #require(all.first { $0.recipients == ["l@link.example"] }).bytes)
            #expect(MessageStructure(linked).attachments.filter(\.isUserAttachment).isEmpty)
            let text = try #require(try MessageStructure(linked).bodyParts.first.flatMap { linked.entity(at: $0.address) }?.decodedText())
            let url = try #require(text.split(whereSeparator: \.isWhitespace).map(String.init).first { $0.hasPrefix("http://127.0.0.1:\(linksPort)/l/") })
            let page = try await Tool.run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", url])
            #expect(page.output == "200")
            let target = FileManager.default.temporaryDirectory.appendingPathComponent("sekisho-link-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: target) }
            let download = try await Tool.run(curl, ["-s", "-o", target, "-w", "%{http_code}", "\(url)/0"])
            #expect(download.output == "200")
            #expect(FileManager.default.contents(atPath: target).map { [UInt8]($0) } == originalContent)

            // The sender's notices: one with the password of the ZIP, one with the link and its revoke page.
            let notices = all.filter { $0.recipients == ["taro@corp.example"] }.map { String(decoding: $0.bytes, as: UTF8.self) }
            #expect(notices.count == 2)
            let linkNotice = try #require(try all.filter { $0.recipients == ["taro@corp.example"] }.map { try MailMessage.parse($0.bytes) }.first {
                ($0.subject ?? "").contains("ダウンロードリンク")
            })
            let noticeText = try #require(try MessageStructure(linkNotice).bodyParts.first.flatMap { linkNotice.entity(at: $0.address) }?.decodedText())
            #expect(noticeText.contains(url))
            let revoke = try #require(noticeText.split(whereSeparator: \.isWhitespace).map(String.init).first { $0.contains("/r/") })
            let revoked = try await Tool.run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", revoke])
            #expect(revoked.output == "200")
            let after = try await Tool.run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "\(url)/0"])
            #expect(after.output == "410")
        }
    }

    @Test("the password notice survives its SMTP server being down for a minute")
    func noticeSurvivesOutage() async throws {
        let bytes = try Corpus.bytes("p10")
        // The notices' relay is a port where nothing listens yet; after a minute an smtp-sink
        // starts there and the queued notice must arrive (once).
        let noticePort = FreePort.next()
        let dump = "/tmp/sekisho-notice-sink-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dump, withIntermediateDirectories: true)
        _ = try await ProcessRunner.run("/bin/chown", ["nobody", dump])
        defer { try? FileManager.default.removeItem(atPath: dump) }
        try await GatewayOnMTA.run(policy: { _ in Self.policy(reinjectionPort: noticePort) }) { rig in
            let reply = try await SMTPTestClient.send(port: rig.smtpPort, from: "taro@corp.example", to: ["a@aes.example"], message: bytes)
            #expect(reply == 250)
            let first = try await GatewayOnMTA.waitForSink(rig) { $0.contains { $0.recipients == ["a@aes.example"] } }
            #expect(first.contains { $0.recipients == ["a@aes.example"] })
            try await Task.sleep(for: .seconds(60))
            let sink = try ProcessRunner.start(
                "/usr/sbin/smtp-sink", ["-u", "nobody", "-d", "\(dump)/%Y%m%d%H%M%S.", "127.0.0.1:\(noticePort)", "16"], log: "\(dump).log"
            )
            defer { Task { await sink.stop(grace: 1) } }
            let deadline = ContinuousClock.now + .seconds(120)
            var notices = [String]()
            while ContinuousClock.now < deadline {
                notices = (try? FileManager.default.contentsOfDirectory(atPath: dump)) ?? []
                if !notices.isEmpty { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            try await Task.sleep(for: .seconds(1))
            notices = (try? FileManager.default.contentsOfDirectory(atPath: dump)) ?? []
            #expect(notices.count == 1, "\(notices)")
            let notice = try #require(notices.first.flatMap { FileManager.default.contents(atPath: "\(dump)/\($0)") })
            #expect(try Self.password(in: [UInt8](notice)).count == 12)
            await sink.stop(grace: 1)
        }
    }

    // MARK: - Helpers

    static func sorted(_ pairs: [(name: String, sha256: String)]) -> [(name: String, sha256: String)] {
        pairs.sorted { $0.name < $1.name }
    }

    /// The password line of a notice (`パスワード: …` / `Password: …`).
    static func password(in bytes: [UInt8]) throws -> String {
        let message = try MailMessage.parse(bytes)
        let text = try MessageStructure(message).bodyParts.first.flatMap { message.entity(path: $0.path)?.entity }?.decodedText() ?? ""
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("Password:") {
            return line.dropFirst("Password:".count).trimmingCharacters(in: .whitespaces)
        }
        throw SMTPTestError("no password in the notice:\n\(text)")
    }

    /// The ZIP attachments of a delivered message: (file name, decoded content).
    static func zipParts(of bytes: [UInt8]) throws -> [(name: String, content: [UInt8])] {
        let message = try MailMessage.parse(bytes)
        return try MessageStructure(message).attachments.filter { $0.contentType == "application/zip" }.map { attachment in
            (attachment.filename ?? "", try message.entity(at: attachment.address)?.decodedContent() ?? [])
        }
    }

    /// Files under `directory` (recursively): (relative name, sha256), sorted.
    static func extracted(_ directory: String) throws -> [(name: String, sha256: String)] {
        var result = [(name: String, sha256: String)]()
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let relative = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let path = "\(directory)/\(relative)"
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            result.append((relative, SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()))
        }
        return sorted(result)
    }
}

extension Array where Element == (name: String, sha256: String) {
    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { $0.name == $1.name && $0.sha256 == $1.sha256 }
    }
}
