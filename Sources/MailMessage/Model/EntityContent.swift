/// What decoding a body noticed.
public struct ContentNotes: Sendable, Hashable {
    /// The base64 had characters outside the alphabet or bad padding.
    public var invalidBase64 = false
}

extension MIMEEntity {
    /// Streams the decoded content (transfer encoding undone) to `body`. For a message/rfc822
    /// part the content is the encapsulated message's bytes; a multipart has none.
    @discardableResult
    public func forEachDecodedChunk(_ body: (UnsafeRawBufferPointer) throws -> Void) throws -> ContentNotes {
        var notes = ContentNotes()
        switch self.body {
        case .leaf(let leaf):
            var decoder = TransferDecoder(transferEncoding)
            var output = [UInt8]()
            output.reserveCapacity(1 << 16)
            try leaf.raw.forEachChunk(limit: leaf.contentCount) { chunk in
                if transferEncoding.isIdentity {
                    try body(chunk)
                    return
                }
                decoder.decode(chunk, into: &output)
                if output.count >= 1 << 15 {
                    try output.withUnsafeBytes(body)
                    output.removeAll(keepingCapacity: true)
                }
            }
            decoder.finish(into: &output)
            if !output.isEmpty { try output.withUnsafeBytes(body) }
            notes.invalidBase64 = decoder.sawInvalidBase64
        case .message(let encapsulated):
            // The encapsulated bytes, without the line break that belongs to the next delimiter.
            var held = [UInt8]()
            let keep = encapsulated.delimiterLineBreak
            try MIMESerializer.write(encapsulated.entity) { piece in
                if keep == 0 { return try body(piece) }
                held.append(contentsOf: piece)
                if held.count > keep + (1 << 16) {
                    let emit = held.count - keep
                    try held.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<emit])) }
                    held.removeFirst(emit)
                }
            }
            if held.count > keep {
                try held.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<(held.count - keep)])) }
            }
        case .multipart:
            break
        }
        return notes
    }

    /// The decoded content in memory.
    public func decodedContent() throws -> [UInt8] {
        var output = [UInt8]()
        try forEachDecodedChunk { output.append(contentsOf: $0) }
        return output
    }

    /// The charset label in force (`nil` when absent).
    public var charset: MIMECharset? {
        contentType.charsetLabel.map { MIMECharset(label: $0) }
    }

    /// The decoded text of a text part: transfer decoding, then the charset (US-ASCII when
    /// absent; raw 8-bit text read as UTF-8, else CP932).
    public func decodedText(notes: inout TextDecoder.Notes) throws -> String {
        let bytes = try decodedContent()
        return TextDecoder.decode(bytes, charset: charset ?? MIMECharset(label: "us-ascii"), notes: &notes)
    }

    /// The decoded text of a text part.
    public func decodedText() throws -> String {
        var notes = TextDecoder.Notes()
        return try decodedText(notes: &notes)
    }
}
