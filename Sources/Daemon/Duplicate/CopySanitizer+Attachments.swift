import MailMessage

/// Step 1: attachments. With `all`, every file the user sent goes (forwarded messages
/// included); with `risky`, the parts ``RiskyAttachment`` classifies as one of the kinds asked
/// for. Either way a risky part goes wherever it sits — an HTML body's inline image, a file
/// inside a forwarded message (which takes the forwarded message with it). Signatures and
/// encrypted bodies were dealt with before.
extension CopySanitizer {
    func removeAttachments(_ copy: inout SanitizedCopy) throws(CopySanitizerError) {
        let removeEveryFile = settings.attachments == .all
        let kinds = removeEveryFile ? Set(RiskyKind.allCases) : settings.riskyKinds
        var files = Set<[Int]>()
        let parts = try attempt(.attachments) {
            try RemovalPlan.choose(in: copy.message) { attachment, related in
                if AttachmentSelection.isFile(attachment, relatedResources: related, includeInline: false) { files.insert(attachment.address) }
                return attachment.role != .smimeSignature && attachment.role != .smimeEnveloped
            } judge: { attachment, entity in
                if removeEveryFile && files.contains(attachment.address) {
                    return RemovalPlan.Match(reason: RemovedAttachment.Reason.all.description, digest: try ContentDigest(of: entity))
                }
                // A forwarded message is judged by its parts.
                guard attachment.role != .messageRFC822 else { return nil }
                let risky = try RiskyAttachment(entity)
                let found = RiskyKind.allCases.filter { risky.kinds.contains($0) && kinds.contains($0) }
                return found.isEmpty ? nil : RemovalPlan.Match(reason: RemovedAttachment.Reason.risky(found).description, digest: risky.digest)
            }
        }
        if MessageStructure(copy.message).attachments.contains(where: { $0.uuencoded != nil && $0.insideMessage == nil }) {
            copy.notes.append("a uuencoded file in the text body was left in place")
        }
        guard !parts.isEmpty else { return }
        try attempt(.attachments) { try RemovalPlan.remove(parts, from: &copy.message) }
        copy.removed += parts.map { part in
            RemovedAttachment(
                name: part.name, contentType: part.contentType, size: part.digest.size, sha256: part.digest.sha256,
                reason: RemovedAttachment.Reason(part.reason ?? "") ?? .all, matchedInside: part.matchedInside)
        }
        copy.notes.append("\(parts.count) attachment(s) removed")
    }
}

extension RemovedAttachment.Reason {
    /// The reason from its ``description`` (`all`, `archive+encrypted`).
    init?(_ description: String) {
        if description == "all" {
            self = .all
            return
        }
        let kinds = description.split(separator: "+").compactMap { RiskyKind(rawValue: String($0)) }
        guard !kinds.isEmpty else { return nil }
        self = .risky(kinds)
    }
}
