/// Writes an entity tree back out: unchanged pieces byte for byte, generated pieces with CRLF.
public enum MIMESerializer {
    /// Calls `write` with consecutive pieces of the serialised entity (no full copy is made, so
    /// spooled parts stream).
    public static func write(_ entity: MIMEEntity, to write: (UnsafeRawBufferPointer) throws -> Void) throws {
        let tracker = LastByte()
        try emit(entity, tracker) { piece in
            guard !piece.isEmpty else { return }
            tracker.value = piece[piece.count - 1]
            try write(piece)
        }
    }

    private final class LastByte {
        var value: UInt8?
    }

    private static func emit(_ entity: MIMEEntity, _ lastByte: LastByte, _ write: (UnsafeRawBufferPointer) throws -> Void) throws {
        for field in entity.header.fields { try field.raw.withUnsafeBytes(write) }
        try entity.headerTerminator.withUnsafeBytes(write)
        switch entity.body {
        case .leaf(let leaf):
            try leaf.raw.forEachChunk(write)
        case .multipart(let multipart):
            try multipart.preamble.forEachChunk(write)
            var pendingBreak = false
            for part in multipart.parts {
                try lineBreakBeforeDelimiter(pendingBreak, lastByte, write)
                try part.delimiterLine.withUnsafeBytes(write)
                // A delimiter parsed at the very end of input has no line break; a part put after
                // it by a rewrite needs one.
                if part.delimiterLine.last != 0x0A && !isEmpty(part.entity) { try [UInt8]([13, 10]).withUnsafeBytes(write) }
                try emit(part.entity, lastByte, write)
                pendingBreak = contentRunsToEnd(part.entity)
            }
            if multipart.epilogue.count > 0 {
                try lineBreakBeforeDelimiter(pendingBreak, lastByte, write)
                try multipart.epilogue.forEachChunk(write)
            }
        case .message(let encapsulated):
            try emit(encapsulated.entity, lastByte, write)
        }
    }

    /// A delimiter starts a line, and the line break before it belongs to the delimiter (RFC 2046):
    /// a part whose content runs to its very end (a generated part, or a body moved from the top
    /// level) needs one written, or its last line break would be read as the delimiter's.
    private static func lineBreakBeforeDelimiter(_ pending: Bool, _ lastByte: LastByte, _ write: (UnsafeRawBufferPointer) throws -> Void) throws {
        if pending || (lastByte.value != nil && lastByte.value != 0x0A) {
            try [UInt8]([13, 10]).withUnsafeBytes(write)
        }
    }

    /// Whether the entity's content has no delimiter line break of its own at the end.
    private static func contentRunsToEnd(_ entity: MIMEEntity) -> Bool {
        switch entity.body {
        case .leaf(let leaf): leaf.delimiterLineBreak == 0 && leaf.raw.count > 0
        case .message(let encapsulated): encapsulated.delimiterLineBreak == 0
        case .multipart(let multipart):
            // An unclosed multipart ends with its last part's content.
            multipart.epilogue.count == 0 && (multipart.parts.last.map { contentRunsToEnd($0.entity) } ?? false)
        }
    }

    /// Whether the entity serialises to nothing at all.
    private static func isEmpty(_ entity: MIMEEntity) -> Bool {
        guard entity.header.fields.isEmpty, entity.headerTerminator.isEmpty else { return false }
        switch entity.body {
        case .leaf(let leaf): return leaf.raw.count == 0
        case .multipart(let multipart): return multipart.preamble.count == 0 && multipart.parts.isEmpty && multipart.epilogue.count == 0
        case .message(let encapsulated): return isEmpty(encapsulated.entity)
        }
    }

    /// The serialised bytes in memory.
    public static func bytes(_ entity: MIMEEntity) throws -> [UInt8] {
        var output = [UInt8]()
        try write(entity) { output.append(contentsOf: $0) }
        return output
    }
}

extension MailMessage {
    /// The message bytes (CRLF for generated pieces; untouched pieces as received).
    public func serialized() throws -> [UInt8] {
        try MIMESerializer.bytes(root)
    }

    /// Streams the message bytes to `write`.
    public func write(to write: (UnsafeRawBufferPointer) throws -> Void) throws {
        try MIMESerializer.write(root, to: write)
    }
}
