/// An IPv4 or IPv6 network in CIDR notation (`192.0.2.0/24`, `2001:db8::/32`, or one address).
public struct NetworkRange: Sendable, Hashable, CustomStringConvertible {
    /// The network address bytes (4 or 16).
    public let bytes: [UInt8]
    /// The prefix length in bits.
    public let prefixLength: Int

    /// Parses `address[/prefix]`.
    public init(parsing text: String) throws(NetworkRangeError) {
        let parts = text.trimmingCharacters().split(separator: "/", maxSplits: 1).map(String.init)
        guard let first = parts.first, let address = IPAddressBytes.parse(first) else { throw NetworkRangeError(text: text) }
        let maximum = address.count * 8
        var length = maximum
        if parts.count == 2 {
            guard let value = Int(parts[1]), (0...maximum).contains(value) else { throw NetworkRangeError(text: text) }
            length = value
        }
        bytes = Self.masked(address, length)
        prefixLength = length
    }

    /// Whether `address` (text) is inside this network. IPv4-mapped IPv6 addresses match IPv4
    /// networks.
    public func contains(_ address: String) -> Bool {
        guard var candidate = IPAddressBytes.parse(address) else { return false }
        if candidate.count == 16, bytes.count == 4, candidate.prefix(12) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] {
            candidate = Array(candidate.suffix(4))
        }
        guard candidate.count == bytes.count else { return false }
        return Self.masked(candidate, prefixLength) == bytes
    }

    public var description: String {
        let address = bytes.count == 4 ? bytes.map(String.init).joined(separator: ".") : IPAddressBytes.format6(bytes)
        return "\(address)/\(prefixLength)"
    }

    private static func masked(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let bits = max(0, min(8, length - index * 8))
            return bits == 8 ? byte : byte & UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
        }
    }
}

/// A network that does not parse.
public struct NetworkRangeError: Error, Hashable, Sendable, CustomStringConvertible {
    public var text: String
    public var description: String { "\"\(text)\" is not an IP address or CIDR network" }
}

/// IP address text to bytes (IPv4 dotted quad, IPv6 with `::` and an embedded IPv4 tail; the
/// `IPv6:` prefix Sendmail writes is accepted).
enum IPAddressBytes {
    static func parse(_ raw: String) -> [UInt8]? {
        var text = raw.trimmingCharacters()
        if text.lowercased().hasPrefix("ipv6:") { text.removeFirst(5) }
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if let percent = text.firstIndex(of: "%") { text = String(text[..<percent]) }
        if !text.contains(":") { return parse4(text) }
        return parse6(text)
    }

    static func parse4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes = [UInt8]()
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let value = UInt8(part) else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    static func parse6(_ text: String) -> [UInt8]? {
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt8]? {
            guard !part.isEmpty else { return [] }
            var bytes = [UInt8]()
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains(".") {
                    guard let tail = parse4(String(piece)) else { return nil }
                    bytes += tail
                    continue
                }
                guard (1...4).contains(piece.count), let value = UInt16(piece, radix: 16) else { return nil }
                bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
            }
            return bytes
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 16 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count < 16 else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }

    static func format6(_ bytes: [UInt8]) -> String {
        stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":")
    }
}

extension String {
    func components(separatedBy separator: String) -> [String] {
        var result = [String]()
        var rest = Substring(self)
        while let range = rest.firstRange(of: separator) {
            result.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        result.append(String(rest))
        return result
    }
}
