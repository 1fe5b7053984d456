import Archive
import ArchiveWeb
import Foundation
import TestSupport
import Testing

@testable import Daemon

/// The archive through a real Postfix: every stored corpus message sent through Sekisho is in
/// the Maildir byte for byte as the MTA passed it (Postfix's smtpd does not show milters its own
/// Received: line, so that is exactly what the client sent), with its
/// envelope; every `body_text_contains` word of the manifest (Japanese included) and every
/// attachment name finds it through `sekisho archive search`.
@Suite("Archive through Postfix", .serialized, .enabled(if: TestEnvironment.canRunPostfix || TestEnvironment.isCI))
struct ArchiveEndToEndTests {
    static func policy(archive: String, webPort: Int) -> String {
        """
        internal:
          domains: [corp.example]
          networks: [127.0.0.0/8]
        archive:
          directory: \(archive)
          folder: ".%y.%m.%d"
          time_zone: Asia/Tokyo
          web:
            listen: 127.0.0.1:\(webPort)
        rules:
          - name: archive-all
            actions: [archive]
        """
    }

    @Test func everyCorpusMessageIsArchivedExactlyAndFound() async throws {
        let root = "/tmp/sekisho-archive-e2e-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        var sent = [String: [UInt8]]()
        let webPort = FreePort.next()
        var webHits = 0
        try await GatewayOnMTA.run(policy: { _ in Self.policy(archive: root, webPort: webPort) }) { rig in
            for id in Corpus.storedIDs {
                let bytes = try Corpus.bytes(id)
                let reply = try await SMTPTestClient.send(port: rig.smtpPort, from: "\(id)@corp.example", to: ["auditor-\(id)@partner.example"], message: bytes)
                #expect(reply == 250, "\(id): \(reply)")
                if reply == 250 { sent[id] = bytes }
            }
            // The index follows in batches.
            let database = try ArchiveDatabase(path: "\(root)/sekisho/index.sqlite")
            let index = ArchiveIndex(database: database)
            let deadline = ContinuousClock.now + .seconds(60)
            while try index.count() < sent.count, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
            #expect(try index.count() == sent.count)
            webHits = try await Self.searchThroughTheWebUI(port: webPort, database: database, root: root)
        }
        #expect(webHits > 40)
        let sekisho = try TestEnvironment.builtBinary("sekisho")
        let store = try Gateway.openArchive(ArchiveGatewaySettings(directory: root))
        var byID = [String: ArchivedMessage]()
        for (id, original) in sent {
            let result = try store.index.search(try ArchiveQuery.parse("sender:\(id)@corp.example"), scope: .everything)
            #expect(result.total == 1, "\(id)")
            guard let message = result.hits.first?.message else { continue }
            byID[id] = message
            let stored = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(root)/\(message.path)")))
            // What the MTA passed: the client's bytes (bare LF lines arrive as CRLF).
            let expected = id == "p56" ? Self.crlf(original) : original
            #expect(stored == expected, "\(id): archived copy differs from what was sent")
            #expect(message.envelope.sender == "\(id)@corp.example")
            #expect(message.envelope.recipients == ["auditor-\(id)@partner.example"])
            #expect(message.envelope.clientAddress == "127.0.0.1")
            #expect((message.envelope.queueID ?? "").count >= 5, "\(id): queue id")
            #expect(message.envelope.direction == "outbound")
            #expect(message.path.hasPrefix(".2"), "\(id): dated folder")
        }
        // Every manifest word, through the CLI.
        func search(_ words: String) async throws -> Set<Int64> {
            let result = try await Tool.run(sekisho, ["archive", "search", "--directory", root, "--limit", "500", "--format", "json", words])
            guard result.status == 0, let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any],
                  let hits = object["hits"] as? [[String: Any]]
            else {
                Issue.record("search \(words) failed: \(result.error)")
                return []
            }
            return Set(hits.compactMap { ($0["id"] as? NSNumber)?.int64Value })
        }
        var words = 0
        var names = 0
        for entry in Corpus.manifest {
            guard let id = entry["id"] as? String, let message = byID[id] else { continue }
            for word in (entry["body_text_contains"] as? [String]) ?? [] where !word.contains("\"") && !word.trimmingCharacters(in: .whitespaces).isEmpty {
                #expect(try await search("\"\(word)\"").contains(message.id), "\(id): '\(word)'")
                words += 1
            }
            for attachment in (entry["attachments"] as? [[String: Any]]) ?? [] where (attachment["role"] as? String) == "attachment" {
                guard let name = attachment["filename"] as? String, name.count >= 3, name.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0 != "\"" }) else { continue }
                #expect(try await search("attachment:\"\(name)\"").contains(message.id), "\(id): attachment '\(name)'")
                names += 1
            }
        }
        #expect(words > 40 && names > 10)
    }

    /// Signs in to the archive web UI (curl, a cookie jar) and searches every manifest word;
    /// each result page must link the message. Returns how many words were checked.
    static func searchThroughTheWebUI(port: Int, database: ArchiveDatabase, root: String) async throws -> Int {
        _ = try await ArchiveAccounts(database: database).create(name: "auditor-admin", password: "correct horse battery", role: .admin)
        let store = try Gateway.openArchive(ArchiveGatewaySettings(directory: root))
        let base = "http://127.0.0.1:\(port)"
        let jar = "\(root)/cookies.txt"
        let login = try await Tool.run(
            "curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-c", jar, "-H", "Origin: \(base)", "--data-urlencode", "name=auditor-admin", "--data-urlencode", "password=correct horse battery", "\(base)/login"]
        )
        #expect(login.output == "303" || login.output == "302", "sign-in: \(login.output) \(login.error)")
        var checked = 0
        for entry in Corpus.manifest {
            guard let id = entry["id"] as? String,
                  let message = try store.index.search(try ArchiveQuery.parse("sender:\(id)@corp.example"), scope: .everything).hits.first?.message
            else { continue }
            for word in (entry["body_text_contains"] as? [String]) ?? [] where !word.contains("\"") && !word.trimmingCharacters(in: .whitespaces).isEmpty {
                let page = try await Tool.run("curl", ["-s", "-b", jar, "-G", "--data-urlencode", "q=\"\(word)\"", "--data-urlencode", "order=newest", "\(base)/search"])
                #expect(page.output.contains("href=\"/message/\(message.id)\""), "web UI: \(id) '\(word)' not in the results")
                checked += 1
            }
        }
        return checked
    }

    static func crlf(_ bytes: [UInt8]) -> [UInt8] {
        var output = [UInt8]()
        for (index, byte) in bytes.enumerated() {
            if byte == 0x0A, index == 0 || bytes[index - 1] != 0x0D { output.append(0x0D) }
            output.append(byte)
        }
        return output
    }
}
