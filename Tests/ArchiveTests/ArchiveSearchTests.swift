import Archive
import Foundation
import Testing
import TestSupport

/// The whole stored corpus in one archive: every `body_text_contains` word of the manifest finds
/// its message (Japanese included), attachment names are found, scopes hold.
@Suite struct ArchiveSearchTests {
    static func corpusArchive() async throws -> (ArchiveFixture, [String: ArchivedMessage]) {
        let fixture = try ArchiveFixture()
        let store = fixture.store
        let byID = try await offPool { () throws -> [String: ArchivedMessage] in
            var byID = [String: ArchivedMessage]()
            for (offset, id) in Corpus.storedIDs.enumerated() {
                let domain = offset % 2 == 0 ? "example.co.jp" : "example.org"
                let envelope = ArchiveFixture.envelope(sender: "sender\(offset)@\(domain)", at: Date(timeIntervalSince1970: 1_780_000_000 + Double(offset) * 86_400))
                byID[id] = try store.save(try Corpus.bytes(id), envelope: envelope)
            }
            return byID
        }
        return (fixture, byID)
    }

    @Test func everyManifestWordFindsItsMessage() async throws {
        let (fixture, byID) = try await Self.corpusArchive()
        defer { fixture.remove() }
        var checked = 0
        for entry in Corpus.manifest {
            guard let id = entry["id"] as? String, let message = byID[id], let words = entry["body_text_contains"] as? [String] else { continue }
            for word in words where !word.trimmingCharacters(in: .whitespaces).isEmpty {
                let query = ArchiveQuery(clauses: [.match(.any, word)])
                let result = try fixture.store.index.search(query, scope: .everything, limit: 200)
                #expect(result.hits.contains { $0.message.id == message.id }, "\(id): '\(word)' not found")
                checked += 1
            }
        }
        #expect(checked > 40)
    }

    @Test func attachmentNamesAreFound() async throws {
        let (fixture, byID) = try await Self.corpusArchive()
        defer { fixture.remove() }
        var checked = 0
        for entry in Corpus.manifest {
            guard let id = entry["id"] as? String, let message = byID[id], let attachments = entry["attachments"] as? [[String: Any]] else { continue }
            for attachment in attachments where (attachment["role"] as? String) == "attachment" {
                guard let name = attachment["filename"] as? String, name.count >= 3 else { continue }
                let result = try fixture.store.index.search(ArchiveQuery(clauses: [.match(.attachment, name)]), scope: .everything, limit: 200)
                #expect(result.hits.contains { $0.message.id == message.id }, "\(id): attachment '\(name)' not found")
                checked += 1
            }
        }
        #expect(checked > 10)
    }

    @Test func japaneseInsideASentenceShortWordsAndSnippets() async throws {
        let fixture = try ArchiveFixture()
        defer { fixture.remove() }
        let mail = "From: a@example.co.jp\r\nTo: b@example.co.jp\r\nSubject: =?UTF-8?B?5LuK5pyI44Gu6KuL5rGC5pu4?=\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n先月分の請求書を送付いたしますのでご確認ください。\r\n"
        let other = "From: c@example.com\r\nTo: d@example.com\r\nSubject: lunch\r\n\r\nSee you at noon.\r\n"
        let saved = try await fixture.save(Array(mail.utf8), envelope: ArchiveFixture.envelope())
        _ = try await fixture.save(Array(other.utf8), envelope: ArchiveFixture.envelope(sender: "c@example.com"))
        let result = try fixture.store.index.search(try ArchiveQuery.parse("請求書"), scope: .everything)
        #expect(result.total == 1 && result.hits.first?.message.id == saved.id)
        #expect(result.hits.first?.snippet.contains("\(ArchiveSnippet.open)請求書\(ArchiveSnippet.close)") == true)
        #expect(saved.subject == "今月の請求書")
        // Two characters: below the trigram length, found through the bigram table; one by a scan.
        #expect(try fixture.store.index.search(try ArchiveQuery.parse("請求"), scope: .everything).total == 1)
        #expect(try fixture.store.index.search(try ArchiveQuery.parse("subject:請求"), scope: .everything).total == 1)
        #expect(try fixture.store.index.search(try ArchiveQuery.parse("body:今月"), scope: .everything).total == 0)
        #expect(try fixture.store.index.search(try ArchiveQuery.parse("-請求"), scope: .everything).total == 1)
        #expect(try fixture.store.index.search(try ArchiveQuery.parse("求"), scope: .everything).total == 1)
        #expect(try fixture.store.index.search(try ArchiveQuery.parse("no"), scope: .everything).total == 1)
        #expect(try fixture.store.index.search(try ArchiveQuery.parse("subject:請求書 -lunch"), scope: .everything).total == 1)
        #expect(try fixture.store.index.search(try ArchiveQuery.parse("noon OR 請求書"), scope: .everything).total == 2)
        #expect(try fixture.store.index.search(try ArchiveQuery.parse("NOON"), scope: .everything).total == 1)
    }

    @Test func fieldsDatesAndFlags() async throws {
        let (fixture, byID) = try await Self.corpusArchive()
        defer { fixture.remove() }
        let all = try fixture.store.index.search(ArchiveQuery(clauses: []), scope: .everything, order: .oldest, limit: 1000)
        #expect(all.total == byID.count)
        #expect(all.hits.first?.message.envelope.receivedAt == Date(timeIntervalSince1970: 1_780_000_000))
        let withFiles = try fixture.store.index.search(try ArchiveQuery.parse("has:attachment"), scope: .everything, limit: 1000)
        #expect(withFiles.total > 10 && withFiles.hits.allSatisfy { $0.message.hasAttachment })
        let sender = try fixture.store.index.search(try ArchiveQuery.parse("sender:sender3@"), scope: .everything)
        #expect(sender.total == 1)
        // after: is a day in the archive's zone (Tokyo): offset 0 (05-29 05:26) is before 2026-05-30.
        let after = try fixture.store.index.search(try ArchiveQuery.parse("after:2026-05-30"), scope: .everything, limit: 1000)
        #expect(after.total == byID.count - 1)
        let page = try fixture.store.index.search(ArchiveQuery(clauses: []), scope: .everything, order: .newest, limit: 10, offset: 10)
        #expect(page.hits.count == 10 && page.total == byID.count)
    }

    @Test func scopesLimitWhatAnAuditorSees() async throws {
        let (fixture, byID) = try await Self.corpusArchive()
        defer { fixture.remove() }
        let scope = ArchiveScope(domains: ["example.co.jp"])
        let seen = try fixture.store.index.search(ArchiveQuery(clauses: []), scope: scope, limit: 1000)
        // Every other message has an envelope sender in example.co.jp (recipients are example.net);
        // header addresses do not count.
        #expect(seen.total == (byID.count + 1) / 2)
        #expect(seen.hits.allSatisfy { $0.message.envelope.sender.hasSuffix("@example.co.jp") })
        let outside = byID.values.first { $0.envelope.sender.hasSuffix("@example.org") && !(try! fixture.store.index.message(id: $0.id, scope: scope) != nil) }
        #expect(outside != nil)
        #expect(try fixture.store.index.message(id: outside!.id, scope: ArchiveScope(domains: [])) == nil)
        #expect(try fixture.store.index.message(id: outside!.id, scope: .everything) != nil)
    }
}

/// Attachment text: PDF through pdftotext, Word through docx2txt (scripts/test installs both;
/// under CI their absence fails).
@Suite struct AttachmentTextTests {
    @Test func pdfAndDocxTextIsSearchable() async throws {
        for tool in ["/usr/bin/pdftotext", "/usr/bin/docx2txt"] where !FileManager.default.isExecutableFile(atPath: tool) {
            if TestEnvironment.isCI { Issue.record("\(tool) is missing (scripts/test installs it)") }
            return
        }
        let fixture = try ArchiveFixture()
        defer { fixture.remove() }
        let pdf = try await fixture.save(try Corpus.bytes("p11"), envelope: ArchiveFixture.envelope())
        let docx = try await fixture.save(try Corpus.bytes("p13"), envelope: ArchiveFixture.envelope())
        // "Seikyusho" is only inside 請求書_2024年3月分.pdf; 「出席者」 only inside 議事録_定例会議.docx.
        let inPDF = try fixture.store.index.search(try ArchiveQuery.parse("attachment:Seikyusho"), scope: .everything)
        #expect(inPDF.hits.map(\.message.id) == [pdf.id])
        let inWord = try fixture.store.index.search(try ArchiveQuery.parse("出席者"), scope: .everything)
        #expect(inWord.hits.map(\.message.id) == [docx.id])
        #expect(try fixture.store.index.search(try ArchiveQuery.parse("body:Seikyusho"), scope: .everything).total == 0)
    }
}
