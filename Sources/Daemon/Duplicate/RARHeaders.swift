/// Whether a RAR archive says it is encrypted, read from the block headers at its start (RAR
/// 4.x and 5.0 formats): encrypted headers (a password before the file list can be read) or an
/// encrypted file among the first entries. Every length is checked against the bytes there are.
enum RARHeaders {
    /// `Rar!\x1A\x07\x00`: RAR 1.5–4.x.
    static let signature4: [UInt8] = [0x52, 0x61, 0x72, 0x21, 0x1A, 0x07, 0x00]
    /// `Rar!\x1A\x07\x01\x00`: RAR 5.0.
    static let signature5: [UInt8] = [0x52, 0x61, 0x72, 0x21, 0x1A, 0x07, 0x01, 0x00]
    /// Blocks walked at the most.
    private static let blockLimit = 256

    /// Whether the archive starting `head` (its first bytes, as many as were kept) is encrypted.
    static func isEncrypted(_ head: [UInt8]) -> Bool {
        if head.starts(with: signature5) { return rar5Encrypted(head) }
        if head.starts(with: signature4) { return rar4Encrypted(head) }
        return false
    }

    /// RAR 4: the main header's flag 0x0080 (encrypted headers) or a file header's flag 0x0004.
    private static func rar4Encrypted(_ bytes: [UInt8]) -> Bool {
        var position = signature4.count
        for _ in 0..<blockLimit {
            guard position + 7 <= bytes.count else { return false }
            let type = bytes[position + 2]
            let flags = uint16(bytes, position + 3)
            let headerSize = Int(uint16(bytes, position + 5))
            guard headerSize >= 7 else { return false }
            if type == 0x73, flags & 0x0080 != 0 { return true }
            if type == 0x74, flags & 0x0004 != 0 { return true }
            var dataSize = 0
            if flags & 0x8000 != 0 {
                guard position + 11 <= bytes.count else { return false }
                dataSize = Int(uint32(bytes, position + 7))
            }
            position += headerSize + dataSize
        }
        return false
    }

    /// RAR 5: an archive encryption header (type 4), or a file encryption record (type 1) in
    /// the extra area of a file or service header.
    private static func rar5Encrypted(_ bytes: [UInt8]) -> Bool {
        var position = signature5.count
        for _ in 0..<blockLimit {
            var cursor = position + 4  // header CRC32
            guard let headerSize = vint(bytes, &cursor) else { return false }
            let headerStart = cursor
            let headerEnd = headerStart + headerSize
            guard headerSize > 0, headerSize <= bytes.count, let type = vint(bytes, &cursor), let flags = vint(bytes, &cursor) else { return false }
            if type == 4 { return true }
            if type == 5 { return false }  // end of archive
            var extraSize = 0
            var dataSize = 0
            if flags & 0x01 != 0 { guard let size = vint(bytes, &cursor) else { return false }; extraSize = size }
            if flags & 0x02 != 0 { guard let size = vint(bytes, &cursor) else { return false }; dataSize = size }
            if (type == 2 || type == 3), extraSize > 0, headerEnd <= bytes.count, extraSize <= headerSize,
                hasEncryptionRecord(bytes, from: headerEnd - extraSize, to: headerEnd)
            {
                return true
            }
            guard dataSize <= Int.max / 2 - headerEnd else { return false }
            position = headerEnd + dataSize
        }
        return false
    }

    /// Whether the extra records in `from..<to` include a file encryption record (type 1).
    private static func hasEncryptionRecord(_ bytes: [UInt8], from start: Int, to end: Int) -> Bool {
        var cursor = start
        while cursor < end {
            guard let size = vint(bytes, &cursor), size > 0, size <= end - cursor else { return false }
            let next = cursor + size
            guard let type = vint(bytes, &cursor) else { return false }
            if type == 1 { return true }
            cursor = next
        }
        return false
    }

    /// A RAR 5 variable-length integer (7 bits a byte, low first), bounded to 9 bytes; `nil`
    /// when it runs past the bytes there are.
    private static func vint(_ bytes: [UInt8], _ cursor: inout Int) -> Int? {
        var value = 0
        for shift in stride(from: 0, to: 63, by: 7) {
            guard cursor >= 0, cursor < bytes.count else { return nil }
            let byte = bytes[cursor]
            cursor += 1
            value |= Int(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
        }
        return nil
    }

    private static func uint16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    private static func uint32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(uint16(bytes, offset)) | UInt32(uint16(bytes, offset + 2)) << 16
    }
}
