import ArgumentParser
import Foundation
import MailMessage

/// `sekisho inspect [--json] message.eml`: what the MIME parser sees in a message — decoded
/// headers, the part tree, body parts, attachments (decoded name, type, size, SHA-256), the
/// extracted text and every warning. The JSON uses the field names of shared/corpus/manifest.json.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what the MIME parser sees in a message (.eml)."
    )

    @Flag(help: "Print JSON (manifest field names) instead of text.")
    var json = false

    @Option(help: "Spool parts larger than this many bytes to temporary files.")
    var spoolThreshold = 1 << 20

    @Argument(help: "The message file (RFC 5322, as on the wire).")
    var file: String

    func run() throws {
        var options = MIMEParserOptions()
        options.spoolThreshold = max(1024, spoolThreshold)
        let message: MailMessage
        do {
            message = try MailMessage.parse(contentsOfFile: file, options: options)
        } catch {
            throw ValidationError("cannot read \(file): \(error)")
        }
        let summary = try MessageSummary(message)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(summary)
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print(Self.text(summary))
    }

    static func text(_ summary: MessageSummary) -> String {
        var lines = [String]()
        lines.append("Subject: \(summary.subject.map { visible($0) } ?? "(none)")")
        for (label, list) in [("From", summary.from), ("To", summary.to), ("Cc", summary.cc)] where !list.isEmpty {
            lines.append("\(label): " + list.map { visible($0.description) }.joined(separator: ", "))
        }
        if let date = summary.date {
            lines.append("Date: \(Date(timeIntervalSince1970: TimeInterval(date)))")
        }
        lines.append("")
        lines.append("MIME tree (\(summary.partCount) entities, depth \(summary.maxNestingDepth)):")
        for entry in summary.mimeTree.prefix(200) {
            let indent = String(repeating: "  ", count: entry.path.split(separator: ".").count)
            lines.append("  \(indent)\(entry.path.isEmpty ? "(root)" : entry.path)  \(entry.contentType)")
        }
        if summary.mimeTree.count > 200 { lines.append("  … \(summary.mimeTree.count - 200) more") }
        lines.append("")
        lines.append("Body parts:")
        for part in summary.bodyParts {
            lines.append("  \(part.path)  \(part.contentType)  charset=\(part.charset ?? "-")  \(part.transferEncoding)\(part.insideMessageRFC822.map { "  in \($0)" } ?? "")")
        }
        lines.append("")
        lines.append("Attachments (\(summary.attachmentCount); user \(summary.userAttachmentCount), inline \(summary.inlinePartCount)):")
        for attachment in summary.attachments.prefix(200) {
            var line = "  \(attachment.mimePath)  \(attachment.role.rawValue)  \(attachment.contentType)  \(attachment.size) bytes  \(attachment.filename.map { visible($0) } ?? "(no name)")"
            if !attachment.unsafeFilenameReasons.isEmpty {
                line += "  UNSAFE(\(attachment.unsafeFilenameReasons.joined(separator: ",")) → \(attachment.safeFilename))"
            }
            lines.append(line)
            lines.append("      sha256 \(attachment.sha256)")
        }
        if summary.attachments.count > 200 { lines.append("  … \(summary.attachments.count - 200) more") }
        if summary.security.signed || summary.security.encrypted {
            lines.append("")
            lines.append("Security: signed=\(summary.security.signed) encrypted=\(summary.security.encrypted)")
        }
        lines.append("")
        lines.append("Warnings:")
        if summary.warnings.isEmpty { lines.append("  none") }
        for warning in summary.warnings { lines.append("  \(warning)") }
        lines.append("")
        lines.append("Text (\(summary.bodyText.count) characters):")
        lines.append(visible(String(summary.bodyText.prefix(2000)), keepNewlines: true))
        return lines.joined(separator: "\n")
    }

    /// Control characters shown as escapes, so hostile names cannot move the terminal.
    static func visible(_ text: String, keepNewlines: Bool = false) -> String {
        var output = ""
        for scalar in text.unicodeScalars {
            if keepNewlines && scalar == "\n" {
                output.append("\n")
            } else if scalar.value < 32 || scalar.value == 127 || (0x80...0x9F).contains(scalar.value) || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value) {
                output += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                output.unicodeScalars.append(scalar)
            }
        }
        return output
    }
}
