import Crypto
import Foundation

/// Marks mail Sekisho reinjects (split copies, released approvals) so it is not processed twice —
/// with a header an outside sender cannot forge: an HMAC-SHA256, under a secret only the gateway
/// holds, over the Message-ID, the envelope recipients and a timestamp. (SaMMA's plain
/// `X-SaMMA-Enc: YES` can be written by anyone.)
///
/// `X-Sekisho-Loop: v=1; t=1764400000; mac=<hex>`
public struct LoopGuard: Sendable {
    /// The header field name.
    public static let headerName = "X-Sekisho-Loop"

    private let key: SymmetricKey
    /// How long a stamp stays valid (reinjection normally takes seconds; the queue may retry).
    public let maximumAge: Int64

    /// A guard with `key` (at least 32 bytes).
    public init(key: SymmetricKey, maximumAge: Int64 = 7 * 86_400) {
        self.key = key
        self.maximumAge = maximumAge
    }

    /// A new random key (CSPRNG).
    public static func makeKey() -> SymmetricKey {
        SymmetricKey(size: .bits256)
    }

    /// The header value for a message reinjected now to `recipients`.
    public func stamp(messageID: String, recipients: [String], now: Int64) -> String {
        "v=1; t=\(now); mac=\(Self.hex(mac(messageID: messageID, recipients: recipients, time: now)))"
    }

    /// Whether `value` is a valid, fresh stamp for this message and these recipients. Anything
    /// else — missing, malformed, forged, replayed onto other recipients, too old — is not.
    /// The comparison is constant-time.
    public func verify(_ value: String, messageID: String, recipients: [String], now: Int64) -> Bool {
        var fields = [String: String]()
        for part in value.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2 { fields[pair[0]] = pair[1] }
        }
        guard fields["v"] == "1", let timeText = fields["t"], let time = Int64(timeText), let macText = fields["mac"], let given = Self.bytes(hex: macText) else { return false }
        guard time <= now + 300, now - time <= maximumAge else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: Self.input(messageID: messageID, recipients: recipients, time: time), using: key)
    }

    private func mac(messageID: String, recipients: [String], time: Int64) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Self.input(messageID: messageID, recipients: recipients, time: time), using: key))
    }

    /// What is authenticated: version, time, Message-ID and the sorted, lower-cased recipients.
    private static func input(messageID: String, recipients: [String], time: Int64) -> [UInt8] {
        let list = recipients.map { $0.lowercased() }.sorted().joined(separator: ",")
        return Array("sekisho-loop-v1\n\(time)\n\(messageID)\n\(list)".utf8)
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func bytes(hex: String) -> [UInt8]? {
        guard hex.count == 64 else { return nil }
        var result = [UInt8]()
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            result.append(byte)
            index = next
        }
        return result
    }
}

extension LoopGuard {
    /// The key kept in `path` (created with a new random key, mode 0600, when missing). Refuses a
    /// file others can read or one shorter than 32 bytes.
    public static func loadOrCreateKey(at path: String) throws -> SymmetricKey {
        let manager = FileManager.default
        if !manager.fileExists(atPath: path) {
            let key = makeKey()
            let data = key.withUnsafeBytes { Data($0) }
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty { try manager.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            guard manager.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw LoopGuardKeyError(path: path, reason: "cannot create the key file")
            }
            return key
        }
        let attributes = try manager.attributesOfItem(atPath: path)
        if let permissions = attributes[.posixPermissions] as? Int, permissions & 0o077 != 0 {
            throw LoopGuardKeyError(path: path, reason: "the key file is readable by others (chmod 600)")
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard data.count >= 32 else { throw LoopGuardKeyError(path: path, reason: "the key file holds fewer than 32 bytes") }
        return SymmetricKey(data: data)
    }
}

/// A loop-guard key that cannot be used.
public struct LoopGuardKeyError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}
