/// The header of a message or a MIME part: fields in order, duplicates kept.
public struct MessageHeader: Sendable, Hashable, Sequence {
    /// The fields in the order written.
    public private(set) var fields: [HeaderField]

    /// A header with `fields`.
    public init(_ fields: [HeaderField] = []) {
        self.fields = fields
    }

    /// Parses a raw header block (without the blank line that ends it). Lines that start with
    /// whitespace continue the previous field; a leading continuation line becomes a field of its
    /// own (nameless), so the raw bytes are always kept.
    public init(parsing block: some Collection<UInt8>) {
        let bytes = Array(block)
        var fields = [HeaderField]()
        var start = 0
        var index = 0
        while index < bytes.count {
            guard let newline = bytes[index...].firstIndex(of: 0x0A) else {
                index = bytes.count
                break
            }
            let next = newline + 1
            if next < bytes.count, bytes[next] == 0x20 || bytes[next] == 0x09 {
                index = next
                continue
            }
            fields.append(HeaderField(raw: Array(bytes[start..<next])))
            start = next
            index = next
        }
        if start < bytes.count { fields.append(HeaderField(raw: Array(bytes[start...]))) }
        self.fields = fields
    }

    public func makeIterator() -> IndexingIterator<[HeaderField]> { fields.makeIterator() }

    /// The first field named `name`.
    public subscript(name: String) -> HeaderField? {
        fields.first { $0.hasName(name) }
    }

    /// Every field named `name`, in order.
    public func all(_ name: String) -> [HeaderField] {
        fields.filter { $0.hasName(name) }
    }

    /// The raw bytes of every field.
    public var raw: [UInt8] {
        var result = [UInt8]()
        for field in fields { result += field.raw }
        return result
    }

    /// Appends a field at the end.
    public mutating func append(_ field: HeaderField) {
        terminateLastField()
        fields.append(field)
    }

    /// Inserts a field at the top (trace fields, marks) — after any leading nameless lines (an
    /// mbox `From ` line or a stray continuation), so it cannot become part of them.
    public mutating func prepend(_ field: HeaderField) {
        let position = fields.firstIndex { !$0.name.isEmpty && $0.raw.first != 0x20 && $0.raw.first != 0x09 && !$0.raw.starts(with: "From ".utf8) } ?? fields.count
        if position > 0 { terminate(at: position - 1) }
        fields.insert(field, at: position)
    }

    /// Makes sure the last field ends with a line break (needed before a blank line is written
    /// after a header that ended at the end of input).
    mutating func ensureTerminated() {
        terminateLastField()
    }

    /// A header that ended at the end of input has no line break after its last field: add one
    /// before anything is written after it.
    private mutating func terminateLastField() {
        if !fields.isEmpty { terminate(at: fields.count - 1) }
    }

    private mutating func terminate(at index: Int) {
        guard fields[index].raw.last != 0x0A else { return }
        fields[index] = HeaderField(raw: fields[index].raw + [13, 10])
    }

    /// Removes every field named `name`; returns how many were removed.
    @discardableResult
    public mutating func remove(_ name: String) -> Int {
        let before = fields.count
        fields.removeAll { $0.hasName(name) }
        return before - fields.count
    }

    /// Replaces the first field named like `field` (removing the others of that name) or appends
    /// it when there is none; the position of the first one is kept.
    public mutating func set(_ field: HeaderField) {
        if let first = fields.firstIndex(where: { $0.hasName(field.name) }) {
            fields[first] = field
            var index = fields.count - 1
            while index > first {
                if fields[index].hasName(field.name) { fields.remove(at: index) }
                index -= 1
            }
            // The replaced field may have been the last one, written without a line break.
            if first < fields.count - 1 || field.raw.last == 0x0A { return }
            terminateLastField()
        } else {
            append(field)
        }
    }

    /// The decoded text of the first field named `name`.
    public func text(_ name: String) -> String? {
        self[name]?.decodedValue
    }
}
