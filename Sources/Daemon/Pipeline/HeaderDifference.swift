import MailMessage

/// The header changes that turn one header into another, as milter modifications: per field
/// name, occurrences that differ are changed, extra ones added, missing ones deleted (highest
/// occurrence first, so numbering stays valid). Values keep their folding (line breaks as LF, as
/// the milter protocol expects).
enum HeaderDifference {
    enum Change: Equatable {
        case add(name: String, value: String)
        case change(name: String, occurrence: Int, value: String)
        case delete(name: String, occurrence: Int)
    }

    static func changes(from original: MessageHeader, to updated: MessageHeader) -> [Change] {
        var names = [String]()
        var before = [String: [String]]()
        var after = [String: [String]]()
        func key(_ name: String) -> String { name.lowercased() }
        for field in original.fields where !field.name.isEmpty {
            if before[key(field.name)] == nil && after[key(field.name)] == nil { names.append(field.name) }
            before[key(field.name), default: []].append(value(field))
        }
        for field in updated.fields where !field.name.isEmpty {
            if before[key(field.name)] == nil && after[key(field.name)] == nil { names.append(field.name) }
            after[key(field.name), default: []].append(value(field))
        }
        var changes = [Change]()
        for name in names {
            let old = before[key(name)] ?? []
            let new = after[key(name)] ?? []
            for index in 0..<min(old.count, new.count) where old[index] != new[index] {
                changes.append(.change(name: name, occurrence: index + 1, value: new[index]))
            }
            if new.count > old.count {
                for value in new[old.count...] { changes.append(.add(name: name, value: value)) }
            } else if old.count > new.count {
                for occurrence in stride(from: old.count, to: new.count, by: -1) { changes.append(.delete(name: name, occurrence: occurrence)) }
            }
        }
        return changes
    }

    /// The value as a milter sends it: after the colon, leading whitespace removed, CRLF folds as LF.
    static func value(_ field: HeaderField) -> String {
        guard let colon = field.raw.firstIndex(of: UInt8(ascii: ":")) else { return "" }
        var bytes = Array(field.raw[(colon + 1)...])
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
        while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
        var output = [UInt8]()
        output.reserveCapacity(bytes.count)
        for byte in bytes where byte != 0x0D { output.append(byte) }
        return String(decoding: output, as: UTF8.self)
    }
}

