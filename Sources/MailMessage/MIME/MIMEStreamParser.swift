#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An incremental MIME parser: feed it the message in chunks of any size (the milter's body
/// chunks, a file read in blocks), then ``finish()`` returns the ``MailMessage``.
///
/// It never fails on bad input — every malformation is recovered and reported as a
/// ``MessageWarning`` — and only throws ``SpoolError`` when a spool file cannot be written. Work is
/// linear in the input; large parts go to spool files so memory does not grow with message size.
public final class MIMEStreamParser {
    private let options: MIMEParserOptions
    private var budget: MemoryBudget
    private var stack: [OpenEntity] = []
    private var root: MIMEEntity?
    private var pending: [UInt8] = []
    private var longLine = LongLine.none
    private var longLineLength = 0
    private var previousLineBreak = 0
    private var openBoundaries = 0
    private var partCount = 1
    private var crlfLines = 0
    private var lfLines = 0
    private var longestBodyLine = 0
    private var nulParts = 0
    private var warnings = Warnings()

    /// A parser for one message.
    public init(options: MIMEParserOptions = MIMEParserOptions()) {
        var options = options
        // The first piece of a long line must hold `--`, a whole boundary and `--`.
        options.maxLineBuffer = max(options.maxLineBuffer, MIMEDelimiter.maximumBoundaryLength + 56)
        self.options = options
        budget = MemoryBudget(partThreshold: options.spoolThreshold, messageLimit: options.memoryLimit, spool: MessageSpool(directory: options.spoolDirectory))
        stack.append(OpenEntity(depth: 0, defaultContentType: .plainText))
    }

    /// Feeds the next bytes.
    public func feed(_ chunk: UnsafeRawBufferPointer) throws {
        guard let base = chunk.baseAddress else { return }
        var offset = 0
        while offset < chunk.count {
            guard let found = memchr(base + offset, 0x0A, chunk.count - offset) else {
                pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[offset...]))
                if pending.count > options.maxLineBuffer { try flushLongLine() }
                return
            }
            let end = UnsafeRawPointer(found) - base + 1
            if pending.count + (end - offset) > options.maxLineBuffer {
                // A long line goes through the long-line path whether it arrived whole or in
                // pieces, so chunking never changes the result.
                var cursor = offset
                while pending.count + (end - cursor) > options.maxLineBuffer {
                    let take = options.maxLineBuffer + 1 - pending.count
                    pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[cursor..<(cursor + take)]))
                    cursor += take
                    try flushLongLine()
                }
                pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[cursor..<end]))
                let line = pending
                pending.removeAll(keepingCapacity: true)
                try line.withUnsafeBytes { raw in try processLine(raw, complete: true) }
            } else if pending.isEmpty {
                try processLine(UnsafeRawBufferPointer(rebasing: chunk[offset..<end]), complete: true)
            } else {
                pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[offset..<end]))
                let line = pending
                pending.removeAll(keepingCapacity: true)
                try line.withUnsafeBytes { raw in try processLine(raw, complete: true) }
            }
            offset = end
        }
    }

    /// Feeds the next bytes.
    public func feed(_ bytes: some Collection<UInt8>) throws {
        let array = Array(bytes)
        try array.withUnsafeBytes { raw in try feed(raw) }
    }

    /// Ends the input and returns the message.
    public func finish() throws -> MailMessage {
        if !pending.isEmpty || longLine.isActive {
            let line = pending
            pending = []
            try line.withUnsafeBytes { raw in try processLine(raw, complete: false) }
        }
        previousLineBreak = 0
        while !stack.isEmpty { try finishTop(byDelimiter: false) }
        try budget.spool.flush()
        if lfLines > 0 && crlfLines == 0 { warnings.add(.bareLFLineEndings, .info, "every line ends in LF") }
        if longestBodyLine > 998 { warnings.add(.bodyLineTooLong, .warning, "max line \(longestBodyLine) octets") }
        if nulParts > 0 { warnings.add(.nulInBody, .warning, "\(nulParts) text part\(nulParts == 1 ? "" : "s")") }
        guard let root else { preconditionFailure("the root entity is always finished last") }
        return MailMessage(root: root, parseWarnings: warnings.list, spooledParts: budget.spooledParts)
    }

    // MARK: - Lines

    /// A line longer than `maxLineBuffer` is passed on in pieces. The first piece is judged
    /// the way the whole line would be — a delimiter (boundary plus any amount of whitespace,
    /// decided at the line's end), a header line, or content — so the result never depends on
    /// how the input was chunked.
    private enum LongLine {
        case none
        /// Header or body content: later pieces follow the first.
        case content
        /// `--boundary[--]` followed so far only by spaces and tabs.
        case delimiterCandidate(multipartAt: Int, isClose: Bool, bytes: [UInt8])

        var isActive: Bool {
            if case .none = self { return false }
            return true
        }
    }

    private func flushLongLine() throws {
        var fragment = pending
        pending.removeAll(keepingCapacity: true)
        // A CR at the end may belong to the CRLF that ends the line: keep it for the next piece.
        if fragment.last == 0x0D {
            fragment.removeLast()
            pending.append(0x0D)
        }
        longLineLength += fragment.count
        try fragment.withUnsafeBytes { raw in
            switch longLine {
            case .none:
                // As for a whole line: a line that is not a header line ends the header first
                // (the multipart whose header ends may own the delimiter this line is).
                let judged = UnsafeRawBufferPointer(rebasing: raw[0..<min(raw.count, options.maxLineBuffer)])
                while let top = stack.last, top.inHeader, !isHeaderLine(judged, first: top.headerBytes.isEmpty) {
                    try endHeader(top)
                }
                if let (index, isClose) = delimiterPrefix(raw) {
                    longLine = .delimiterCandidate(multipartAt: index, isClose: isClose, bytes: fragment)
                } else {
                    longLine = .content
                    try route(raw, countsAsLine: false)
                }
            case .content:
                try append(raw)
            case .delimiterCandidate(let index, let isClose, var bytes):
                if raw.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) && bytes.count + raw.count <= options.maxHeaderBytes {
                    longLine = .none  // release the buffer before growing it
                    bytes.append(contentsOf: raw)
                    longLine = .delimiterCandidate(multipartAt: index, isClose: isClose, bytes: bytes)
                } else {
                    longLine = .content
                    try bytes.withUnsafeBytes { start in try route(start, countsAsLine: false) }
                    try append(raw)
                }
            }
        }
    }

    /// The innermost open multipart whose boundary starts `fragment` followed only by `--`,
    /// spaces and tabs (the first piece of a long line).
    private func delimiterPrefix(_ fragment: UnsafeRawBufferPointer) -> (Int, Bool)? {
        guard openBoundaries > 0, fragment.count >= 2, fragment[0] == 0x2D, fragment[1] == 0x2D else { return nil }
        return matchDelimiter(fragment)
    }

    private func processLine(_ line: UnsafeRawBufferPointer, complete: Bool) throws {
        var lineBreak = 0
        if complete {
            if line.count >= 2 && line[line.count - 2] == 0x0D {
                lineBreak = 2
                crlfLines += 1
            } else {
                lineBreak = 1
                lfLines += 1
            }
        }
        switch longLine {
        case .none:
            try route(line, countsAsLine: true)
        case .content:
            longLine = .none
            longLineLength += line.count - lineBreak
            if let top = stack.last, !top.inHeader { longestBodyLine = max(longestBodyLine, longLineLength) }
            try append(line)
        case .delimiterCandidate(let index, let isClose, var bytes):
            longLine = .none
            let whole = bytes.count + line.count <= options.maxHeaderBytes
            if whole && line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }) {
                bytes.append(contentsOf: line)
                try bytes.withUnsafeBytes { raw in try handleDelimiter(raw, multipartAt: index, isClose: isClose) }
            } else {
                longLineLength += line.count - lineBreak
                try bytes.withUnsafeBytes { raw in try route(raw, countsAsLine: false) }
                try append(line)
                if let top = stack.last, !top.inHeader { longestBodyLine = max(longestBodyLine, longLineLength) }
            }
        }
        longLineLength = 0
        previousLineBreak = lineBreak
    }

    /// Decides what a line is: a delimiter, a header line, or body content.
    private func route(_ line: UnsafeRawBufferPointer, countsAsLine: Bool) throws {
        if countsAsLine, line.count >= 2, line[0] == 0x2D, line[1] == 0x2D {
            if openBoundaries > 0, let (index, isClose) = matchDelimiter(line) {
                try handleDelimiter(line, multipartAt: index, isClose: isClose)
                return
            }
            if let top = stack.last, !top.inHeader, let multipart = top.multipart, multipart.boundary == nil,
                multipart.parts.isEmpty, let sniffed = MIMEDelimiter.sniffBoundary(line)
            {
                multipart.boundary = sniffed
                openBoundaries += 1
                warnings.add(.missingBoundaryParameter, .warning, "recovered delimiter '--\(String(decoding: sniffed, as: UTF8.self))' by sniffing")
                try handleDelimiter(line, multipartAt: stack.count - 1, isClose: false)
                return
            }
        }
        guard let top = stack.last else { return }
        if top.inHeader {
            if isBlank(line) {
                top.terminator = Array(line)
                try endHeader(top)
                return
            }
            if top.headerBytes.count + line.count > options.maxHeaderBytes {
                warnings.add(.headerTooLarge, .warning, "header block over \(options.maxHeaderBytes) bytes")
                try endHeader(top)
                try append(line)
                return
            }
            // Judge a line by its first maxLineBuffer bytes, whole or the first piece of a long one.
            let judged = UnsafeRawBufferPointer(rebasing: line[0..<min(line.count, options.maxLineBuffer)])
            if isHeaderLine(judged, first: top.headerBytes.isEmpty) {
                top.headerBytes.append(contentsOf: line)
                return
            }
            // Not a header line: the header ends here and the line is read again as body (it
            // may be a delimiter of the multipart whose header just ended).
            try endHeader(top)
            try route(line, countsAsLine: countsAsLine)
            return
        }
        if countsAsLine {
            var length = line.count
            if length > 0 && line[length - 1] == 0x0A { length -= 1 }
            if length > 0 && line[length - 1] == 0x0D { length -= 1 }
            longestBodyLine = max(longestBodyLine, length)
        }
        try append(line)
    }

    /// Appends body content to the innermost open entity.
    private func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard let top = stack.last else { return }
        if top.inHeader {
            guard top.headerBytes.count + bytes.count > options.maxHeaderBytes else {
                top.headerBytes.append(contentsOf: bytes)
                return
            }
            // A header line that never ends: the header stops at the limit, the rest is body.
            warnings.add(.headerTooLarge, .warning, "header block over \(options.maxHeaderBytes) bytes")
            let room = max(0, options.maxHeaderBytes - top.headerBytes.count)
            top.headerBytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<room]))
            try endHeader(top)
            try append(UnsafeRawBufferPointer(rebasing: bytes[room...]))
            return
        }
        switch top.kind {
        case .leaf(let accumulator):
            if top.isText && !top.sawNUL && memchr(bytes.baseAddress!, 0, bytes.count) != nil {
                top.sawNUL = true
                nulParts += 1
            }
            try accumulator.append(bytes, budget: &budget)
        case .multipart(let multipart):
            if multipart.isClosed {
                try multipart.epilogue.append(bytes, budget: &budget)
            } else {
                try multipart.preamble.append(bytes, budget: &budget)
            }
        case .message, .pending:
            break
        }
    }

    private func isBlank(_ line: UnsafeRawBufferPointer) -> Bool {
        (line.count == 1 && line[0] == 0x0A) || (line.count == 2 && line[0] == 0x0D && line[1] == 0x0A) || line.isEmpty
    }

    /// A field line (`name:`), a continuation line, or — at the very top — an mbox `From ` line.
    private func isHeaderLine(_ line: UnsafeRawBufferPointer, first: Bool) -> Bool {
        guard let byte = line.first else { return false }
        if byte == 0x20 || byte == 0x09 { return !first || stack.count == 1 }
        if first && stack.count == 1 && line.starts(with: "From ".utf8) { return true }
        var sawSpace = false
        for (index, c) in line.enumerated() {
            if c == UInt8(ascii: ":") { return index > 0 }
            if c == 0x20 || c == 0x09 {
                // Obsolete syntax allows whitespace between the name and the colon.
                if index == 0 { return false }
                sawSpace = true
                continue
            }
            if c < 0x20 || c >= 0x7F || sawSpace { return false }
        }
        return false
    }

    // MARK: - Delimiters

    private func matchDelimiter(_ line: UnsafeRawBufferPointer) -> (Int, Bool)? {
        var index = stack.count - 1
        while index >= 0 {
            if let multipart = stack[index].multipart, !multipart.isClosed, let boundary = multipart.boundary,
                let isClose = MIMEDelimiter.match(line, boundary: boundary)
            {
                return (index, isClose)
            }
            index -= 1
        }
        return nil
    }

    private func handleDelimiter(_ line: UnsafeRawBufferPointer, multipartAt index: Int, isClose: Bool) throws {
        if !isClose && partCount >= options.maxParts {
            if !warnings.has(.manyParts) { warnings.add(.manyParts, .warning, "more than \(options.maxParts) parts; the rest is kept unsplit") }
            try append(line)
            return
        }
        while stack.count - 1 > index { try finishTop(byDelimiter: true) }
        guard let container = stack.last, let multipart = container.multipart else { return }
        if isClose {
            multipart.isClosed = true
            openBoundaries -= 1
            try multipart.epilogue.append(line, budget: &budget)
            return
        }
        multipart.currentDelimiter = Array(line)
        let isDigest = container.contentType.subtype == "digest"
        stack.append(OpenEntity(depth: container.depth + 1, defaultContentType: isDigest ? .messageRFC822 : .plainText))
        partCount += 1
    }

    // MARK: - Entities

    private func endHeader(_ entity: OpenEntity) throws {
        entity.inHeader = false
        let header = MessageHeader(parsing: entity.headerBytes)
        entity.header = header
        entity.headerBytes = []
        for name in ["Content-Type", "Content-Transfer-Encoding", "Content-Disposition"] {
            let count = header.all(name).count
            if count > 1 { warnings.add(.duplicateHeader, .warning, "\(name) appears \(count) times\(stack.count == 1 ? " at top level" : "")") }
        }
        for field in header.fields {
            let longest = field.longestLine
            if longest > 998 { warnings.add(.headerLineTooLong, .warning, "\(field.name) line \(longest) octets") }
        }
        let contentType = MIMEEntity.effectiveContentType(header, default: entity.defaultContentType)
        entity.contentType = contentType
        let canNest = entity.depth < options.maxDepth
        if contentType.isMultipart {
            if canNest {
                // RFC 2046 allows 70 characters; anything much longer is no boundary (and could
                // not be matched the same way in every chunking of a long line).
                var boundary = contentType.boundary
                if let value = boundary, value.count > MIMEDelimiter.maximumBoundaryLength {
                    boundary = nil
                    warnings.add(.missingBoundaryParameter, .warning, "boundary of \(value.count) bytes ignored")
                }
                entity.kind = .multipart(MultipartBuilder(boundary: boundary))
                if boundary != nil { openBoundaries += 1 }
                return
            }
            flagDeepNesting()
        } else if contentType.type == "message" && (contentType.subtype == "rfc822" || contentType.subtype == "global") {
            let encoding = TransferEncoding(headerValue: header["Content-Transfer-Encoding"].map { $0.valueString })
            if encoding.isIdentity {
                if canNest {
                    entity.kind = .message
                    stack.append(OpenEntity(depth: entity.depth + 1, defaultContentType: .plainText))
                    partCount += 1
                    return
                }
                flagDeepNesting()
            }
        }
        entity.kind = .leaf(BodyAccumulator())
        entity.isText = contentType.type == "text"
    }

    private func flagDeepNesting() {
        if !warnings.has(.deepNesting) {
            warnings.add(.deepNesting, .warning, "more than \(options.maxDepth) nesting levels; deeper parts are kept opaque")
        }
    }

    /// Closes the innermost open entity and attaches it to its parent.
    private func finishTop(byDelimiter: Bool) throws {
        guard let entity = stack.last else { return }
        if entity.inHeader {
            try endHeader(entity)
            // A message/rfc822 whose header just ended pushed its (empty) encapsulated message.
            if stack.last !== entity { try finishTop(byDelimiter: byDelimiter) }
        }
        stack.removeLast()
        let lineBreak = byDelimiter ? previousLineBreak : 0
        let body: MIMEBody
        switch entity.kind {
        case .leaf(let accumulator):
            let raw = accumulator.finish(spool: budget.spool)
            body = .leaf(LeafBody(raw: raw, delimiterLineBreak: raw.count >= lineBreak ? lineBreak : 0))
        case .multipart(let multipart):
            if multipart.boundary != nil && !multipart.isClosed {
                openBoundaries -= 1
                warnings.add(.missingFinalBoundary, .warning, "no --boundary-- before end of input")
            }
            if multipart.boundary == nil && !warnings.has(.missingBoundaryParameter) {
                warnings.add(.missingBoundaryParameter, .warning, "multipart without boundary; no delimiter found")
            }
            body = .multipart(
                MultipartBody(
                    boundary: multipart.boundary ?? [],
                    preamble: multipart.preamble.finish(spool: budget.spool),
                    parts: multipart.parts,
                    epilogue: multipart.epilogue.finish(spool: budget.spool),
                    isClosed: multipart.isClosed
                )
            )
        case .message:
            guard let encapsulated = entity.encapsulated else { preconditionFailure("message without its encapsulated entity") }
            body = .message(EncapsulatedMessage(entity: encapsulated, delimiterLineBreak: lineBreak))
        case .pending:
            body = .leaf(LeafBody(raw: .empty))
        }
        let finished = MIMEEntity(
            header: entity.header, headerTerminator: entity.terminator, body: body,
            defaultContentType: entity.defaultContentType, contentType: entity.contentType
        )
        guard let parent = stack.last else {
            root = finished
            return
        }
        switch parent.kind {
        case .multipart(let multipart):
            multipart.parts.append(DelimitedPart(delimiterLine: multipart.currentDelimiter, entity: finished))
        case .message:
            parent.encapsulated = finished
        default:
            break
        }
    }
}
