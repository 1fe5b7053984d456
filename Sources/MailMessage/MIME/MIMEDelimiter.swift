/// Delimiter lines (RFC 2046 §5.1.1), pure: a delimiter is a whole line — `--`, the boundary,
/// optionally `--` (the close delimiter), then only spaces or tabs before the line break.
enum MIMEDelimiter {
    /// `--boundary[--][whitespace]` and a line break: `nil` when it is not that delimiter, else
    /// whether it is the close delimiter.
    static func match(_ line: UnsafeRawBufferPointer, boundary: [UInt8]) -> Bool? {
        let count = boundary.count
        guard line.count >= count + 2 else { return nil }
        for index in 0..<count where line[index + 2] != boundary[index] { return nil }
        var position = count + 2
        var isClose = false
        if position + 1 < line.count, line[position] == 0x2D, line[position + 1] == 0x2D {
            isClose = true
            position += 2
        }
        while position < line.count {
            let byte = line[position]
            guard byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A else { return nil }
            position += 1
        }
        return isClose
    }

    /// Boundaries longer than this are ignored (RFC 2046: at most 70).
    static let maximumBoundaryLength = 200

    static func sniffBoundary(_ line: UnsafeRawBufferPointer) -> [UInt8]? {
        var end = line.count
        while end > 2, [0x20, 0x09, 0x0D, 0x0A].contains(line[end - 1]) { end -= 1 }
        guard end > 2, end - 2 <= maximumBoundaryLength else { return nil }
        var candidate = Array(line[2..<end])
        if candidate.count > 2, candidate.suffix(2) == [0x2D, 0x2D] { candidate.removeLast(2) }
        return candidate.isEmpty ? nil : candidate
    }
}
