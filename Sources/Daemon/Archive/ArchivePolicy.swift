import Foundation
import MailMessage
import Policy

/// Whether a message is archived, and for which addresses (folders per address): the save
/// policy picks the envelope side, the `addresses` table narrows it, a matching `skip_header`
/// pattern leaves the message out. Pure.
struct ArchivePolicy: Sendable {
    let savePolicy: ArchiveSavePolicy
    let addresses: AddressTable<Void>?
    let skip: [NSRegularExpression]

    init(settings: ArchiveGatewaySettings) {
        savePolicy = settings.savePolicy
        addresses = settings.addresses
        skip = settings.skipExpressions
    }

    /// The addresses to archive for; empty when the message is not archived.
    func addresses(sender: String, recipients: [String], header: MessageHeader) -> [String] {
        for field in header.fields where !field.name.isEmpty {
            let line = "\(field.name): \(field.decodedValue)"
            let range = NSRange(line.startIndex..., in: line)
            if skip.contains(where: { $0.firstMatch(in: line, range: range) != nil }) { return [] }
        }
        var candidates = [String]()
        switch savePolicy {
        case .both: candidates = [sender] + recipients
        case .sender: candidates = [sender]
        case .recipient: candidates = recipients
        }
        var seen = Set<String>()
        return candidates.filter { address in
            !address.isEmpty && seen.insert(address.lowercased()).inserted && (addresses?.contains(address) ?? true)
        }
    }
}
