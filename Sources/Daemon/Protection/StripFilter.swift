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
        let removals = try RemovalPlan.choose(
            in: message, candidates: { AttachmentSelection.isFile($0, relatedResources: $1, includeInline: settings.includeInline) }
        ) { attachment, entity in
            let digest = try ContentDigest(of: entity)
            let matches = settings.matches(contentType: attachment.contentType, filename: attachment.filename, size: digest.size)
            return matches ? RemovalPlan.Match(reason: nil, digest: digest) : nil
        }
        guard !removals.isEmpty else { return work }
        if AttachmentSelection.isSignedOrEncrypted(message) {
            guard settings.signedMessages == .skip else {
                throw FilterError(filter: name, reason: "a signed or encrypted message has attachments to remove (signed: fail)")
            }
            work.notes.append("signed message: attachments left in place (signed: skip)")
            return work
        }
        try RemovalPlan.remove(removals, from: &message)
        if settings.attachList {
            try message.addPart(RemovalPlan.listPart(removals, filename: settings.listName.format(Date(), timeZone: settings.timeZone)))
        }
        work.message = message
        work.changed = true
        work.notes.append("\(removals.count) attachment(s) removed")
        return work
    }
}
