// INTERIM: replaced by the sanitizer branch at merge (same API).
import MailMessage

public struct CopySanitizing: Sendable, Equatable {
    public enum AttachmentRemoval: String, Sendable, CaseIterable { case keep, all, risky }
    public var attachments: AttachmentRemoval = .keep
    public var riskyKinds: Set<RiskyKind> = Set(RiskyKind.allCases)
    public var htmlToText = false
    public var stripActiveHTML = false
    public var defangURLs = false
    public var markHeader: String? = "X-Sekisho-Copy"
    public var subjectPrefix: String? = nil
    public var banner: String? = nil
    public init() {}
}
public enum RiskyKind: String, Sendable, CaseIterable, Codable { case executable, macro, archive, encrypted }
public struct CopyMark: Sendable {
    public var destination: String
    public var queueID: String?
    public init(destination: String, queueID: String?) {
        self.destination = destination
        self.queueID = queueID
    }
}
public struct RemovedAttachment: Sendable {
    public var name: String
}
public struct SanitizedCopy: Sendable {
    public var message: MailMessage
    public var removed: [RemovedAttachment] = []
    public var htmlPartsConverted = 0
    public var activeContentRemoved = 0
    public var urlsDefanged = 0
    public var notes: [String] = []
}
public struct CopySanitizer: Sendable {
    let settings: CopySanitizing
    public init(_ settings: CopySanitizing) { self.settings = settings }
    public func sanitize(_ message: MailMessage, mark: CopyMark) throws -> SanitizedCopy {
        var copy = message
        if let name = settings.markHeader { copy.setHeader(name, "destination=\(mark.destination)") }
        return SanitizedCopy(message: copy)
    }
}
