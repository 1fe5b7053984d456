/// uuencoded blocks (`begin 644 name` … `end`) as old clients put them inside text bodies, and
/// the `x-uuencode` transfer encoding.
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

    /// Finds every complete `begin … end` block in `text` (line ends CRLF or LF). One pass over
    /// the lines; nothing but the decoded content is allocated.
    public static func blocks(in text: some Collection<UInt8>) -> [Block] {
        let bytes = Array(text)
        var blocks = [Block]()
        var decoder = Decoder()
        var lineStart = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count, bytes[lineEnd] != 0x0A { lineEnd += 1 }
            var contentEnd = lineEnd
            if contentEnd > lineStart, bytes[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            if let block = decoder.line(bytes[lineStart..<contentEnd]) { blocks.append(block) }
            lineStart = lineEnd + 1
        }
        return blocks
    }

    /// A line-by-line decoder: waits for a `begin` line, decodes until `end`.
    struct Decoder: Sendable {
        private var header: (mode: String, name: String)?
        private var content: [UInt8] = []

        /// Feeds one line (without its line break); returns a block when its `end` line arrives.
        mutating func line(_ line: ArraySlice<UInt8>) -> Block? {
            guard let current = header else {
                if let begin = UUEncode.beginLine(line) { header = begin }
                return nil
            }
            if line.elementsEqual("end".utf8) {
                header = nil
                defer { content = [] }
                return Block(mode: current.mode, filename: current.name, content: content)
            }
            UUEncode.decodeLine(line, into: &content)
            return nil
        }
    }

    /// `begin MODE NAME` with a 3- or 4-digit octal mode.
    static func beginLine(_ line: ArraySlice<UInt8>) -> (mode: String, name: String)? {
        guard line.starts(with: "begin ".utf8) else { return nil }
        let fields = line.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: true)
        guard fields.count == 3, (3...4).contains(fields[1].count), fields[1].allSatisfy({ (0x30...0x37).contains($0) }) else { return nil }
        return (String(decoding: fields[1], as: UTF8.self), TextDecoder.decodeRaw(fields[2]))
    }

    static func decodeLine(_ line: ArraySlice<UInt8>, into output: inout [UInt8]) {
        guard let first = line.first else { return }
        let length = Int((first &- 0x20) & 0x3F)
        guard length > 0 else { return }
        var produced = 0
        var index = line.startIndex + 1
        while produced < length {
            var group: [UInt8] = [0, 0, 0, 0]
            for offset in 0..<4 where index + offset < line.endIndex {
                group[offset] = (line[index + offset] &- 0x20) & 0x3F
            }
            let decoded = [group[0] << 2 | group[1] >> 4, group[1] << 4 | group[2] >> 2, group[2] << 6 | group[3]]
            for byte in decoded where produced < length {
                output.append(byte)
                produced += 1
            }
            index += 4
            if index >= line.endIndex && produced < length {
                // A short line: the rest of the declared length is missing; stop.
                break
            }
        }
    }
}
