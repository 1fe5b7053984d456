import Foundation
import MailMessage
import Testing
import TestSupport

@testable import Daemon

extension SanitizerSuites {
    /// Every message of the shared corpus (hostile ones included) through the copy sanitizer with
    /// the options on: the copy re-parses, holds no attachment of a removed kind, no script and no
    /// live URL in its body text, and every attachment it keeps is the input's, byte for byte.
    /// Serialized, and the sanitizing off the cooperative pool (`offPool`): a hundred sweeps at once
    /// would take every thread of the pool, and the timing tests of other suites would starve.
    @Suite("Copy sanitizer: the corpus", .serialized)
    struct CopySanitizerCorpusTests {
        /// Every option, attachments `all`.
        static let allOn: CopySanitizing = {
            var settings = CopySanitizing()
            settings.attachments = .all
            settings.htmlToText = true
            settings.stripActiveHTML = true
            settings.defangURLs = true
            settings.subjectPrefix = "[複製] "
            settings.banner = "この複製は無害化されています。/ This copy was disarmed."
            return settings
        }()

        /// Risky attachments only, HTML kept but stripped and defanged.
        static let riskyStripped: CopySanitizing = {
            var settings = allOn
            settings.attachments = .risky
            settings.htmlToText = false
            return settings
        }()

        /// URLs defanged and nothing else: scripts stay, live links must not.
        static let defangOnly: CopySanitizing = {
            var settings = CopySanitizing()
            settings.defangURLs = true
            return settings
        }()

        @Test("every option on, attachments all", arguments: Corpus.storedIDs)
        func everything(_ id: String) async throws {
            try await Self.sweep(try await offPool { try MailMessage.parse(contentsOfFile: Corpus.path(id)) }, id, Self.allOn)
        }

        @Test("risky attachments, HTML stripped and defanged", arguments: Corpus.storedIDs)
        func keepingHTML(_ id: String) async throws {
            try await Self.sweep(try await offPool { try MailMessage.parse(contentsOfFile: Corpus.path(id)) }, id, Self.riskyStripped)
        }

        @Test("a message full of tricks the corpus lacks (hidden, split and obfuscated URLs, scripts, disguised files)", arguments: [allOn, riskyStripped, defangOnly])
        func hostile(_ settings: CopySanitizing) async throws {
            let copy = try await Self.sweep(try HostileMessage.message(), "hostile", settings)
            let output = try MailMessage.parse(try copy.message.serialized())
            for part in MessageStructure(output).bodyParts where part.insideMessage == nil {
                let text = HTMLText.decodeEntities(try #require(output.entity(at: part.address)).decodedText()).lowercased()
                #expect(!text.contains("evil.example"), "a live host in \(part.path): \(text)")
            }
            #expect(copy.urlsDefanged > 0)
            #expect(output.header["List-Unsubscribe"] == nil)
        }

        @Test("damaged corpus messages (bytes flipped, cut, repeated) never crash it", arguments: ["p06", "p30", "p31", "p34", "p35", "p36", "p39", "p52", "p53"])
        func damaged(_ id: String) async throws {
            let original = try Corpus.bytes(id)
            let (allOn, riskyStripped) = (Self.allOn, Self.riskyStripped)
            // On a thread of its own (40 rounds of parsing and sanitizing), the failures brought back.
            let unparsable = try await offPool { () -> [String] in
                var failures = [String]()
                for round in 0..<40 {
                    // Damage spread over the message by fixed strides (primes), the same on every run.
                    var bytes = original
                    for step in 0..<(1 + round % 8) {
                        let position = (round * 7_919 + step * 104_729) % bytes.count
                        switch (round + step) % 3 {
                        case 0: bytes[position] = UInt8(truncatingIfNeeded: round * 31 + step * 7)
                        case 1: bytes.removeSubrange(position..<min(bytes.count, position + (round * 13 + step) % 64))
                        default: bytes.insert(contentsOf: bytes[position..<min(bytes.count, position + 40)], at: position)
                        }
                        if bytes.isEmpty { bytes = original }
                    }
                    guard let message = try? MailMessage.parse(bytes) else { continue }
                    for settings in [allOn, riskyStripped] {
                        if let copy = try? CopySanitizer(settings).sanitize(message, mark: CopyMark(destination: "internal")),
                            (try? MailMessage.parse(try copy.message.serialized())) == nil
                        {
                            failures.append("\(id) round \(round)")
                        }
                    }
                }
                return failures
            }
            #expect(unparsable.isEmpty, "copies that do not parse again: \(unparsable)")
        }

        @discardableResult
        static func sweep(_ input: MailMessage, _ id: String, _ settings: CopySanitizing) async throws -> SanitizedCopy {
            // The sanitizing on a thread of its own: a hundred sweeps must not hold the cooperative pool.
            let (copy, output) = try await offPool { () -> (SanitizedCopy, MailMessage) in
                let copy = try CopySanitizer(settings).sanitize(input, mark: CopyMark(destination: "internal", queueID: id))
                return (copy, try MailMessage.parse(try copy.message.serialized()))
            }
            let structure = MessageStructure(output)
            let removedKinds: Set<RiskyKind> =
                switch settings.attachments {
                case .keep: []
                case .all: Set(RiskyKind.allCases)
                case .risky: settings.riskyKinds
                }
            #expect(output.header.text("X-Sekisho-Copy")?.hasPrefix("destination=internal; queue-id=\(id); sanitized=") == true, "\(id)")

            // No attachment of a removed kind, anywhere (forwarded messages included).
            let list = structure.attachments.filter { $0.filename == CopySanitizer.removedListName && $0.insideMessage == nil }
            #expect(list.count == (copy.removed.isEmpty ? 0 : 1), "\(id)")
            for attachment in structure.attachments where attachment.uuencoded == nil && !list.contains(where: { $0.address == attachment.address }) {
                let entity = try #require(output.entity(at: attachment.address))
                let kinds = try RiskyAttachment(entity).kinds
                #expect(kinds.isDisjoint(with: removedKinds), "\(id): \(attachment.path) \(attachment.safeFilename) is \(kinds)")
                if settings.attachments == .all {
                    #expect(!attachment.isUserAttachment, "\(id): \(attachment.path) \(attachment.safeFilename) survived 'all'")
                }
            }

            // No script and no live URL in the body text, decoded or (not base64) raw.
            for part in structure.bodyParts where part.insideMessage == nil {
                let entity = try #require(output.entity(at: part.address))
                var texts = [try entity.decodedText().lowercased()]
                if entity.transferEncoding != .base64, case .leaf(let leaf) = entity.body {
                    texts.append(String(decoding: try leaf.raw.bytes(), as: UTF8.self).lowercased())
                }
                if part.contentType == "text/html" { texts += texts.map(HTMLText.decodeEntities) }
                for text in texts {
                    if settings.stripActiveHTML || settings.htmlToText { #expect(!text.contains("<script"), "\(id): \(part.path) has a script") }
                    #expect(!text.contains("http://") && !text.contains("https://") && !text.contains("ftp://"), "\(id): \(part.path) has a live URL")
                }
                if settings.htmlToText { #expect(part.contentType == "text/plain", "\(id): \(part.path) is still HTML") }
            }

            // What stays is the input's, byte for byte: the user's files exactly less those removed,
            // any other part (inline images) one of the input's.
            let before = try digests(input)
            let after = try digests(output, skipping: list.map(\.address))
            var expectedFiles = before.files
            for removed in copy.removed {
                if let index = expectedFiles.firstIndex(of: removed.sha256) { expectedFiles.remove(at: index) }
            }
            #expect(after.files.sorted() == expectedFiles.sorted(), "\(id): kept files differ from the input's")
            #expect(Set(after.others).isSubset(of: Set(before.others)), "\(id): a kept inline part differs from the input's")
            return copy
        }

        /// SHA-256 of the top-level user files and of the other top-level attachments.
        static func digests(_ message: MailMessage, skipping: [[Int]] = []) throws -> (files: [String], others: [String]) {
            var files = [String]()
            var others = [String]()
            for attachment in MessageStructure(message).attachments where attachment.insideMessage == nil && attachment.uuencoded == nil && !skipping.contains(attachment.address) {
                let digest = try ContentDigest(of: try #require(message.entity(at: attachment.address))).sha256
                if attachment.isUserAttachment { files.append(digest) } else { others.append(digest) }
            }
            return (files, others)
        }
    }
}
