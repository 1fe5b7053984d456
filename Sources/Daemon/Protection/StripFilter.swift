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
    /// A signed or encrypted message with files to remove: fail (the filter's on_error) or
    /// leave it unchanged.
    public var signedMessages = SignedHandling.fail

    /// What to do when removing would break a signature.
    public enum SignedHandling: String, Sendable, CaseIterable {
        case fail, skip
    }

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
        signedMessages = try reader.choice("signed", default: .fail)
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
            // The name as Windows would save it: "evil.exe." and "evil.exe " are evil.exe.
            let ext = (SafeFilename.make(filename) as NSString).pathExtension.lowercased()
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
        work.takeHeaderChanges(from: message)
        let structure = MessageStructure(message)
        let related = AttachmentSelection.relatedResources(structure)
        let forwarded = structure.attachments.filter { $0.role == .messageRFC822 && $0.insideMessage == nil }

        // What goes: matching files; a match inside a forwarded message takes the whole
        // forwarded message with it (its parts cannot be edited separately, and a file hidden
        // one message deeper must not slip through).
        var removals = [(address: [Int], name: String, type: String, size: Int, digest: String, reason: String?)]()
        var taken = Set<[Int]>()
        for attachment in structure.attachments where attachment.uuencoded == nil {
            let nested = attachment.insideMessage != nil && attachment.role != .messageRFC822
            guard nested || AttachmentSelection.isFile(attachment, relatedResources: related, includeInline: settings.includeInline) else { continue }
            guard let entity = message.entity(at: attachment.address) else { continue }
            var hash = SHA256()
            var size = 0
            try entity.forEachDecodedChunk { chunk in
                hash.update(bufferPointer: chunk)
                size += chunk.count
            }
            guard settings.matches(contentType: attachment.contentType, filename: attachment.filename, size: size) else { continue }
            let digest = hash.finalize().map { String(format: "%02x", $0) }.joined()
            if nested {
                guard let outer = forwarded.first(where: { attachment.address.starts(with: $0.address) }), taken.insert(outer.address).inserted else { continue }
                let outerSize = message.entity(at: outer.address).map(AttachmentSelection.rawSize) ?? 0
                removals.append((outer.address, outer.safeFilename, outer.contentType, outerSize, "-", "contains \(attachment.safeFilename) (sha256:\(digest))"))
            } else if taken.insert(attachment.address).inserted {
                removals.append((attachment.address, attachment.safeFilename, attachment.contentType, size, digest, nil))
            }
        }
        guard !removals.isEmpty else { return work }
        if AttachmentSelection.isSignedOrEncrypted(message) {
            guard settings.signedMessages == .skip else {
                throw FilterError(filter: name, reason: "a signed or encrypted message has attachments to remove (signed: fail)")
            }
            work.notes.append("signed message: attachments left in place (signed: skip)")
            return work
        }
        var addresses = removals.map(\.address)
        if addresses.contains([]) {
            // The whole body is the file: give it a multipart/mixed to leave from.
            message.wrapInMixed()
            addresses = [[0]]
        }
        try message.removeParts(at: addresses)
        if settings.attachList {
            var lines = ["削除した添付ファイル / Removed attachments:", ""]
            for removal in removals {
                let size = removal.digest == "-" ? "\(removal.size) bytes (encoded)" : "\(removal.size) bytes"
                let digest = removal.digest == "-" ? "" : "\tsha256:\(removal.digest)"
                lines.append("\(removal.name)\t\(removal.type)\t\(size)\(digest)\(removal.reason.map { "\t\($0)" } ?? "")")
            }
            let list = lines.joined(separator: "\n") + "\n"
            var part = MIMEEntity.attachment(filename: settings.listName.format(Date(), timeZone: settings.timeZone), contentType: "text/plain", content: Array(list.utf8))
            part.setContentTypeParameter("charset", "UTF-8")
            try message.addPart(part)
        }
        work.message = message
        work.changed = true
        work.notes.append("\(removals.count) attachment(s) removed")
        return work
    }
}
