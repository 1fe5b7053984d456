import Foundation
import MailMessage

/// Subject keywords that ask for protection (`[secure]`, `【暗号化】`): a rule matches them with
/// `subject_contains`, and the filter takes them out of the Subject so recipients never see
/// them. The Subject is re-encoded in the charset it came in (ISO-2022-JP stays ISO-2022-JP).
enum SubjectKeywords {
    /// Removes each keyword (first occurrence, any case) from the Subject; returns the decoded
    /// Subject as it now reads.
    @discardableResult
    static func remove(_ keywords: [String], from message: inout MailMessage) -> String {
        let original = message.subject ?? ""
        var subject = original
        for keyword in keywords where !keyword.isEmpty {
            if let range = subject.range(of: keyword, options: .caseInsensitive) {
                subject.removeSubrange(range)
            }
        }
        guard subject != original else { return original }
        subject = subject.trimmingCharacters(in: .whitespaces)
        while subject.contains("  ") { subject = subject.replacingOccurrences(of: "  ", with: " ") }
        let raw = String(decoding: message.header["Subject"]?.value ?? [], as: UTF8.self).lowercased()
        message.setHeader("Subject", subject, encoding: raw.contains("iso-2022-jp") ? .iso2022JP : .utf8)
        return subject
    }
}
