import Foundation
import MailMessage
import Testing

/// Checks on what the sinks received, independent of the sanitizer's own code: the original
/// unchanged, the copy disarmed.
enum DuplicateChecks {
    /// File name extensions of the removed kinds (executables, macro-enabled Office, archives).
    static let removedExtensions: Set<String> = [
        "exe", "com", "scr", "pif", "bat", "cmd", "vbs", "vbe", "js", "jse", "wsf", "wsh", "ps1", "msi", "dll", "jar", "lnk", "hta",
        "docm", "xlsm", "pptm", "dotm", "xltm", "xlam", "ppam", "zip", "7z", "rar", "lzh", "gz", "tgz", "bz2", "xz", "tar", "cab", "iso",
    ]

    /// Bare LFs as CRLF (smtp-sink writes LF line ends).
    static func crlf(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count + bytes.count / 20)
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == 0x0A, previous != 0x0D { out.append(0x0D) }
            out.append(byte)
            previous = byte
        }
        return out
    }

    /// The message smtp-sink stored: its dump starts with X-Client-…/X-Helo-Args/X-Mail-Args/
    /// X-Rcpt-Args lines, then two Received: fields — smtp-sink's own and the delivering
    /// Postfix's — each with its continuation lines; then the message as it arrived, and a blank
    /// line of its own at the end.
    static func storedMessage(_ sink: [UInt8]) -> [UInt8] {
        let text = crlf(sink)
        var index = 0
        var receivedLeft = 2
        var inReceived = false
        while index < text.count, let end = text[index...].firstIndex(of: 0x0A) {
            let line = String(decoding: text[index..<end], as: UTF8.self)
            if line.hasPrefix(" ") || line.hasPrefix("\t") {
                guard inReceived else { break }
            } else if line.hasPrefix("X-Client-") || line.hasPrefix("X-Helo-Args:") || line.hasPrefix("X-Mail-Args:") || line.hasPrefix("X-Rcpt-Args:") {
                inReceived = false
            } else if line.hasPrefix("Received:"), receivedLeft > 0 {
                receivedLeft -= 1
                inReceived = true
            } else {
                break
            }
            index = end + 1
        }
        // smtp-sink ends its dump with a blank line of its own.
        var stored = Array(text[index...])
        if stored.count >= 4, Array(stored.suffix(4)) == [13, 10, 13, 10] { stored.removeLast(2) }
        return stored
    }

    /// The original arrived as sent: every byte the client sent is in the sink's copy after
    /// the lines the sink and Postfix put in front.
    static func expectUnchanged(sent: [UInt8], sink: [UInt8], id: String) {
        let stored = storedMessage(sink)
        let expected = crlf(sent)
        let same = stored == expected
        #expect(same, "\(id): the original changed on its way (\(stored.count) bytes stored, \(expected.count) sent)")
    }

    /// The copy: marked, no attachment of a removed kind, no script, no live URL, and the banner.
    static func expectDisarmed(sink: [UInt8], id: String, banner: String) throws {
        let message = try MailMessage.parse(storedMessage(sink))
        #expect(message.header.text("X-Sekisho-Copy")?.contains("destination=internal") == true, "\(id): no copy mark")
        let structure = MessageStructure(message)
        var text = ""
        for located in structure.entities {
            let entity = located.entity
            guard case .leaf = entity.body else { continue }
            let content = (try? entity.decodedContent()) ?? []
            if let name = entity.filename {
                let safe = SafeFilename.make(name)
                let ext = (safe as NSString).pathExtension.lowercased()
                #expect(!removedExtensions.contains(ext), "\(id): \(safe) is still attached to the copy")
            }
            #expect(!looksRemovable(content), "\(id): an attachment with executable or archive content is still in the copy (\(entity.filename ?? entity.contentType.mimeType))")
            if entity.contentType.mimeType.hasPrefix("text/"), entity.filename == nil || entity.contentDisposition?.type != "attachment" {
                text += (try? entity.decodedText()) ?? ""
                text += "\n"
            }
        }
        let lowered = text.lowercased()
        #expect(!lowered.contains("<script"), "\(id): a script is left in the copy")
        for live in ["http://", "https://", "ftp://"] {
            #expect(!lowered.contains(live), "\(id): a live URL is left in the copy: \(excerpt(text, around: live))")
        }
        #expect(text.contains(banner), "\(id): the banner is missing")
    }

    /// Executable, archive or OLE-with-macro content, by its first bytes.
    static func looksRemovable(_ content: [UInt8]) -> Bool {
        let magic: [[UInt8]] = [
            Array("MZ".utf8), [0x7F, 0x45, 0x4C, 0x46], [0x50, 0x4B, 0x03, 0x04], Array("7z".utf8) + [0xBC, 0xAF], Array("Rar!".utf8), [0x1F, 0x8B],
        ]
        guard !magic.contains(where: { content.starts(with: $0) }) else {
            // A ZIP is fine only as an OOXML document without macros (docx, xlsx, pptx).
            if content.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
                let names = String(decoding: content, as: UTF8.self)
                return !names.contains("[Content_Types].xml") || names.contains("vbaProject.bin")
            }
            return true
        }
        return false
    }

    static func excerpt(_ text: String, around needle: String) -> String {
        guard let range = text.lowercased().range(of: needle) else { return "" }
        let start = text.index(range.lowerBound, offsetBy: -min(30, text.distance(from: text.startIndex, to: range.lowerBound)))
        let end = text.index(range.upperBound, offsetBy: min(50, text.distance(from: range.upperBound, to: text.endIndex)))
        return String(text[start..<end]).debugDescription
    }

    /// The queue id the sending Postfix gave each message whose subject starts with `prefix`
    /// (its `Received: … by rig.test (Postfix) with ESMTP id …` line).
    static func queueIDsBySubject(_ messages: [GatewayOnMTA.SinkMessage], prefix: String) -> [String: String] {
        var ids = [String: String]()
        for message in messages {
            let lines = message.text.split(separator: "\n")
            guard let subject = lines.first(where: { $0.hasPrefix("Subject: \(prefix)") }) else { continue }
            guard let line = lines.first(where: { $0.contains("by rig.test (Postfix) with ESMTP id ") }) else { continue }
            let id = line.components(separatedBy: "with ESMTP id ").last?.trimmingCharacters(in: CharacterSet(charactersIn: "; \r")) ?? ""
            ids[subject.dropFirst("Subject: ".count).trimmingCharacters(in: .whitespacesAndNewlines)] = id
        }
        return ids
    }

    /// How many sink messages carry each subject that starts with `prefix`.
    static func countBySubject(_ messages: [GatewayOnMTA.SinkMessage], prefix: String) -> [String: Int] {
        var counts = [String: Int]()
        for message in messages {
            for line in message.text.split(separator: "\n") where line.hasPrefix("Subject: \(prefix)") {
                counts[line.dropFirst("Subject: ".count).trimmingCharacters(in: .whitespacesAndNewlines), default: 0] += 1
                break
            }
        }
        return counts
    }
}
