import Foundation

/// Finds fixed byte patterns in content that arrives in chunks (a sliding window: a pattern
/// split between two chunks is found), reporting each hit once with its absolute offset and the
/// bytes from the hit on — as many as the pattern asked for (a header's fields), fewer only at
/// the very end of the content. Memory is one chunk plus the longest request.
struct PatternScanner {
    /// A pattern, and how many bytes from its start the caller wants to see at a hit.
    struct Pattern {
        var bytes: [UInt8]
        var wanted: Int

        init(_ bytes: [UInt8], wanted: Int? = nil) {
            self.bytes = bytes
            self.wanted = max(bytes.count, wanted ?? bytes.count)
        }
    }

    /// Called with the pattern's index, the bytes from the hit on, and the hit's offset.
    typealias Hit = (_ pattern: Int, _ bytes: UnsafeRawBufferPointer, _ offset: Int) -> Void

    let patterns: [Pattern]
    /// The end of the previous window: everything a later hit may still need.
    private var carry: [UInt8] = []
    /// The offset of `carry[0]` in the content.
    private var carryOffset = 0
    private let carryLimit: Int

    init(_ patterns: [Pattern]) {
        self.patterns = patterns.filter { !$0.bytes.isEmpty }
        carryLimit = max(0, (self.patterns.map(\.wanted).max() ?? 1) - 1)
    }

    /// Scans the next chunk: a hit is reported once all the bytes it wants have arrived.
    mutating func consume(_ chunk: UnsafeRawBufferPointer, hit: Hit) {
        guard !chunk.isEmpty else { return }
        var window = carry
        window.append(contentsOf: chunk)
        let seen = carry.count
        window.withUnsafeBytes { buffer in
            let fits = { (position: Int, wanted: Int) in position + wanted <= buffer.count && position + wanted > seen }
            search(buffer, offset: carryOffset, report: fits, hit: hit)
        }
        let kept = min(carryLimit, window.count)
        carryOffset += window.count - kept
        carry = Array(window.suffix(kept))
    }

    /// Ends the content: reports the hits too close to the end to get all the bytes they wanted.
    mutating func finish(hit: Hit) {
        let window = carry
        window.withUnsafeBytes { buffer in
            let cutShort = { (position: Int, wanted: Int) in position + wanted > buffer.count }
            search(buffer, offset: carryOffset, report: cutShort, hit: hit)
        }
        carry = []
    }

    private func search(_ buffer: UnsafeRawBufferPointer, offset: Int, report: (_ position: Int, _ wanted: Int) -> Bool, hit: Hit) {
        guard buffer.baseAddress != nil else { return }
        for (index, pattern) in patterns.enumerated() {
            var start = 0
            while start + pattern.bytes.count <= buffer.count {
                guard let position = Self.firstIndex(of: pattern.bytes, in: buffer, from: start) else { break }
                start = position + 1
                guard report(position, pattern.wanted) else { continue }
                let end = min(buffer.count, position + pattern.wanted)
                hit(index, UnsafeRawBufferPointer(rebasing: buffer[position..<end]), offset + position)
            }
        }
    }

    /// Where `needle` first occurs in `buffer` at or after `start` (`memchr` for its first byte,
    /// then `memcmp`: fast where the first byte is rare, as in magic numbers).
    private static func firstIndex(of needle: [UInt8], in buffer: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = buffer.baseAddress, let first = needle.first else { return nil }
        var position = start
        while position + needle.count <= buffer.count {
            guard let hit = memchr(base + position, Int32(first), buffer.count - needle.count + 1 - position) else { return nil }
            position = base.distance(to: UnsafeRawPointer(hit))
            let equal = needle.withUnsafeBytes { memcmp(base + position, $0.baseAddress!, needle.count) == 0 }
            if equal { return position }
            position += 1
        }
        return nil
    }
}
