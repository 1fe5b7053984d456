/// One mailbox from an address header: the decoded display name (`""` when none) and the
/// address (`local@domain`, as written; RFC 6532 UTF-8 kept).
public struct Mailbox: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Decoded display name, `""` when there is none.
    public var name: String
    /// The address (`local@domain`).
    public var address: String

    public init(name: String = "", address: String) {
        self.name = name
        self.address = address
    }

    public var description: String { name.isEmpty ? "<\(address)>" : "\(name) <\(address)>" }

    /// The domain part, lower-cased (`""` when there is no `@`).
    public var domain: String {
        guard let at = address.lastIndex(of: "@") else { return "" }
        return String(address[address.index(after: at)...]).lowercased()
    }

    /// The mailbox as header text: an encoded-word or quoted display name and the address.
    public func headerText(encoding: HeaderTextEncoding) -> String {
        guard !name.isEmpty else { return "<\(address)>" }
        if name.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 32 }) {
            let atomText = name.unicodeScalars.allSatisfy { CharacterSet.atext($0) || $0 == " " }
            if atomText { return "\(name) <\(address)>" }
            let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(escaped)\" <\(address)>"
        }
        let words = EncodedWordEncoder.encodedWords(name, encoding: encoding).map { String(decoding: $0, as: UTF8.self) }
        return words.joined(separator: " ") + " <\(address)>"
    }
}

/// RFC 5322 atext test (letters, digits and `!#$%&'*+-/=?^_`{|}~`).
enum CharacterSet {
    static func atext(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.isASCII else { return false }
        let value = UInt8(scalar.value)
        if (0x30...0x39).contains(value) || (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value) { return true }
        return "!#$%&'*+-/=?^_`{|}~".utf8.contains(value)
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        return self.split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
