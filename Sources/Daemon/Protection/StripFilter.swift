import Crypto
import Foundation
import MailMessage

/// The `strip` action's parameters. With no criteria every attachment goes; `types`,
/// `extensions` and `larger_than` narrow it (a part goes when it meets any of them).
public struct StripSettings: Sendable {
    /// Content types (`application/x-msdownload`, `image/*`).
    public var types: [String] = []
    /// File name extensions, without the dot, any case.
    public var extensions: [String] = []
    /// Decoded size above which a part goes.
    public var largerThan: Int?
    public var includeInline = false
    /// Attach a text list of what was removed (SaMMA's `AttachDeleteList`).
    public var attachList = true
    public var listName = TimePattern("DeletedFiles.%Y%m%d.txt")
    public var timeZone = TimeZone.current
    public var subjectKeywords: [String] = []

    public init() {}

    public init(_ parameters: [String: String], filter: String = "strip") throws(FilterError) {
        var reader = ParameterReader(parameters, filter: filter)
        types = reader.list("types").map { $0.lowercased() }
        extensions = reader.list("extensions").map { $0.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ".")) }
        largerThan = try reader.size("larger_than")
        includeInline = try reader.bool("include_inline", default: false)
        attachList = try reader.bool("attach_list", default: true)
        listName = TimePattern(reader.string("list_name") ?? listName.pattern)
        if let zone = reader.string("time_zone") {
            guard let parsed = TimeZone(identifier: zone) else { throw reader.error("time_zone", "unknown time zone \(zone)") }
            timeZone = parsed
        }
        subjectKeywords = reader.list("strip_subject")
        try reader.finish()
    }

    /// Whether a part with these facts goes.
    func matches(contentType: String, filename: String?, size: Int) -> Bool {
        if types.isEmpty && extensions.isEmpty && largerThan == nil { return true }
        for type in types {
            if type == contentType { return true }
            if type.hasSuffix("/*"), contentType.hasPrefix(String(type.dropLast())) { return true }
        }
        if let filename, !extensions.isEmpty {
            let ext = (filename as NSString).pathExtension.lowercased()
            if extensions.contains(ext) { return true }
        }
        if let largerThan, size > largerThan { return true }
        return false
    }
}

/// `strip`: removes attachments (all, or by type, extension or size) and attaches a list of
/// what was removed, with sizes and SHA-256 so the sender can tell which file it was.
public struct StripFilter: MessageFilter {
    public let name = "strip"
    public let stage = FilterStage.transform

    public init() {}

    public func run(_ work: FilterWork, parameters: [String: String]) async throws -> FilterWork {
        let settings = try StripSettings(parameters, filter: name)
        var work = work
        var message = work.message
        SubjectKeywords.remove(settings.subjectKeywords, from: &message)
        var structure = MessageStructure(message)
        if structure.attachments.contains(where: { $0.address.isEmpty && $0.isUserAttachment }) {
            message.wrapInMixed()
            structure = MessageStructure(message)
        }
        var removed = [(Attachment, Int, String)]()
        for attachment in structure.attachments where attachment.uuencoded == nil {
            guard attachment.isUserAttachment || (settings.includeInline && attachment.role == .inline && attachment.insideMessage == nil) else { continue }
            guard let entity = message.entity(at: attachment.address) else { continue }
            var hash = SHA256()
            var size = 0
            try entity.forEachDecodedChunk { chunk in
                hash.update(bufferPointer: chunk)
                size += chunk.count
            }
            guard settings.matches(contentType: attachment.contentType, filename: attachment.filename, size: size) else { continue }
            removed.append((attachment, size, hash.finalize().map { String(format: "%02x", $0) }.joined()))
        }
        if message.header.raw != work.message.header.raw { work.changed = true }
        guard !removed.isEmpty else {
            work.message = message
            return work
        }
        if structure.security.signed {
            work.notes.append("signed message: attachments left in place (a change would break the signature)")
            return work
        }
        try message.removeParts(at: removed.map(\.0.address))
        if settings.attachList {
            var lines = ["削除した添付ファイル / Removed attachments:", ""]
            for (attachment, size, digest) in removed {
                lines.append("\(attachment.safeFilename)\t\(attachment.contentType)\t\(size) bytes\tsha256:\(digest)")
            }
            let list = lines.joined(separator: "\n") + "\n"
            var part = MIMEEntity.attachment(filename: settings.listName.format(Date(), timeZone: settings.timeZone), contentType: "text/plain", content: Array(list.utf8))
            part.setContentTypeParameter("charset", "UTF-8")
            try message.addPart(part)
        }
        work.message = message
        work.changed = true
        work.notes.append("\(removed.count) attachment(s) removed")
        return work
    }
}
