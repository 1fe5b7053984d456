/// uuencoded blocks (`begin 644 name` … `end`) as old clients put them inside text bodies.
public enum UUEncode {
    /// One block found in a text.
    public struct Block: Hashable, Sendable {
        /// The octal mode from the `begin` line, as written.
        public var mode: String
        /// The file name from the `begin` line (raw bytes decoded as UTF-8, else CP932).
        public var filename: String
        /// The decoded content.
        public var content: [UInt8]
    }

    /// Finds every complete `begin … end` block in `text` (line ends CRLF or LF).
    public static func blocks(in text: some Collection<UInt8>) -> [Block] {
        let bytes = Array(text)
        guard containsBegin(bytes) else { return [] }
        var blocks = [Block]()
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { line -> ArraySlice<UInt8> in
            line.last == 0x0D ? line.dropLast() : line
        }[...]
        while let beginIndex = lines.firstIndex(where: isBeginLine) {
            let header = lines[beginIndex]
            let fields = header.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: true)
            guard fields.count == 3 else { lines = lines[(beginIndex + 1)...]; continue }
            var content = [UInt8]()
            var index = beginIndex + 1
            var ended = false
            while index < lines.endIndex {
                let line = lines[index]
                if line.elementsEqual("end".utf8) { ended = true; break }
                decodeLine(line, into: &content)
                index += 1
            }
            if ended {
                blocks.append(Block(mode: String(decoding: fields[1], as: UTF8.self), filename: TextDecoder.decodeRaw(fields[2]), content: content))
            }
            lines = lines[min(index + 1, lines.endIndex)...]
        }
        return blocks
    }

    private static func containsBegin(_ bytes: [UInt8]) -> Bool {
        let needle = Array("begin ".utf8)
        guard bytes.count >= needle.count else { return false }
        var index = 0
        while index + needle.count <= bytes.count {
            if (index == 0 || bytes[index - 1] == 0x0A) && bytes[index] == needle[0] && bytes[index..<(index + needle.count)].elementsEqual(needle) {
                return true
            }
            index += 1
        }
        return false
    }

    private static func isBeginLine(_ line: ArraySlice<UInt8>) -> Bool {
        guard line.starts(with: "begin ".utf8) else { return false }
        let fields = line.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: true)
        guard fields.count == 3, (3...4).contains(fields[1].count) else { return false }
        return fields[1].allSatisfy { (0x30...0x37).contains($0) }
    }

    private static func decodeLine(_ line: ArraySlice<UInt8>, into output: inout [UInt8]) {
        guard let first = line.first else { return }
        let length = Int((first &- 0x20) & 0x3F)
        guard length > 0 else { return }
        var values = line.dropFirst().map { ($0 &- 0x20) & 0x3F }
        while values.count % 4 != 0 { values.append(0) }
        var produced = 0
        var index = 0
        while index + 4 <= values.count && produced < length {
            let a = values[index], b = values[index + 1], c = values[index + 2], d = values[index + 3]
            let bytes = [a << 2 | b >> 4, b << 4 | c >> 2, c << 6 | d]
            for byte in bytes where produced < length {
                output.append(byte)
                produced += 1
            }
            index += 4
        }
    }
}
