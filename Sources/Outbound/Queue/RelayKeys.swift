import Foundation
import Synchronization

/// The relays queue entries name, as stored in the `relay` column (sorted-key JSON, so equal
/// relays compare equal in SQL), both ways. Remembered, so the JSON coders do not run for every
/// copy and every attempt: a gateway has a handful of relays (more than ``capacity`` and the
/// memory starts over).
final class RelayKeys: Sendable {
    private struct Memory {
        var keys: [SMTPRelay: String] = [:]
        var relays: [String: SMTPRelay] = [:]
    }
    private let memory = Mutex(Memory())
    /// The most relays remembered.
    static let capacity = 64

    /// The stored form of `relay` (`nil` for the default relay).
    func key(for relay: SMTPRelay?) -> String? {
        guard let relay else { return nil }
        if let key = memory.withLock({ $0.keys[relay] }) { return key }
        guard let key = EntryRecord.encode(relay) else { return nil }
        remember(relay, key)
        return key
    }

    /// The relay a stored key names, or `nil` when it cannot be read.
    func relay(for key: String) -> SMTPRelay? {
        if let relay = memory.withLock({ $0.relays[key] }) { return relay }
        guard let relay = try? JSONDecoder().decode(SMTPRelay.self, from: Data(key.utf8)) else { return nil }
        remember(relay, key)
        return relay
    }

    private func remember(_ relay: SMTPRelay, _ key: String) {
        memory.withLock { memory in
            if memory.keys.count >= Self.capacity || memory.relays.count >= Self.capacity { memory = Memory() }
            memory.keys[relay] = key
            memory.relays[key] = relay
        }
    }
}
