import Daemon
import Foundation
import Links
import TestSupport
import Testing

/// `sekisho links list|audit|revoke` against a store made with the policy file's `links:`.
@Suite("sekisho links")
struct LinksCommandTests {
    @Test("list shows the link without secrets, revoke by id works once, by token file too")
    func commands() async throws {
        let binary = try TestEnvironment.builtBinary("sekisho")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sekisho-links-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let policy = "\(directory)/policy.yaml"
        try "state_directory: \(directory)/state\nlinks:\n  base_url: https://files.example.co.jp\n".write(toFile: policy, atomically: true, encoding: .utf8)
        let missing = try await ProcessRunner.run(binary, ["links", "list", "--config", policy])
        #expect(missing.status != 0 && missing.error.contains("no link store"), "\(missing.error)")
        let configuration = try ConfigurationLoader.load(file: policy)
        let store = try await LinkStore.open(settings: Gateway.linkSettings(try #require(configuration.links), configuration: configuration))
        let first = try await store.create(NewLink(
            files: [(name: "見積書.xlsx", contentType: "application/octet-stream", content: NewLink.content(bytes: Array("data".utf8)))],
            expires: Date().addingTimeInterval(3600), sender: "taro@corp.example", recipients: ["a@partner.example"], subject: "見積"
        ))
        let second = try await store.create(NewLink(
            files: [(name: "b.pdf", contentType: "application/pdf", content: NewLink.content(bytes: Array("pdf".utf8)))],
            expires: Date().addingTimeInterval(3600), sender: "taro@corp.example", recipients: ["b@partner.example"], subject: "second"
        ))
        #expect(first.url.hasPrefix("https://files.example.co.jp/l/"))

        let list = try await ProcessRunner.run(binary, ["links", "list", "--config", policy])
        #expect(list.status == 0, "\(list.error)")
        #expect(list.output.contains("\(first.id)\tactive"))
        #expect(list.output.contains("見積"))
        #expect(!list.output.contains(first.token) && !list.output.contains(first.revokeToken))

        let revoke = try await ProcessRunner.run(binary, ["links", "revoke", "--config", policy, "\(first.id)"])
        #expect(revoke.status == 0 && revoke.output.contains("revoked"))
        let again = try await ProcessRunner.run(binary, ["links", "revoke", "--config", policy, "\(first.id)"])
        #expect(again.status != 0)

        let tokenFile = "\(directory)/token"
        try second.url.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let byToken = try await ProcessRunner.run(binary, ["links", "revoke", "--config", policy, "--token-file", tokenFile])
        #expect(byToken.status == 0, "\(byToken.output) \(byToken.error)")
        let listed = try await ProcessRunner.run(binary, ["links", "list", "--config", policy, "--all"])
        #expect(listed.output.contains("\(first.id)\trevoked") && listed.output.contains("\(second.id)\trevoked"), "\(listed.output)")
        let audit = try await ProcessRunner.run(binary, ["links", "audit", "--config", policy, "\(first.id)"])
        #expect(audit.status == 0)
    }
}
