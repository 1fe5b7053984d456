import Foundation

/// Deterministic, semi-compressible benchmark input for `sekisho bench zip`: text made of words
/// drawn from a fixed vocabulary, interleaved with runs of random bytes, all from a fixed-seed
/// PRNG — so every run and every machine gets the same bytes, which deflate to roughly half.
struct BenchZipInput {
    /// Changes whenever the content changes (file names carry it, so stale inputs are not reused).
    static let version = "v3"

    /// SplitMix64: small, fast, and fully determined by its seed.
    struct Generator: RandomNumberGenerator {
        var state: UInt64

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    private static let syllables = ["ka", "ki", "ku", "ke", "ko", "sa", "shi", "su", "se", "so", "ta", "chi", "tsu", "te", "to",
                                    "na", "ni", "nu", "ne", "no", "ha", "hi", "fu", "he", "ho", "ma", "mi", "mu", "me", "mo",
                                    "ya", "yu", "yo", "ra", "ri", "ru", "re", "ro", "wa", "n", "invoice", "order", "total"]

    /// Writes `size` bytes to `path` (1 MiB at a time) unless the file already has that size.
    static func write(size: Int, to path: String, seed: UInt64 = 0x5EC1_5110) throws {
        if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
           (attributes[.size] as? NSNumber)?.intValue == size {
            return
        }
        var generator = Generator(state: seed)
        // 4,096 words of 1–4 syllables: a vocabulary like a business text's.
        let vocabulary: [[UInt8]] = (0..<4096).map { _ in
            Array((0..<Int.random(in: 1...4, using: &generator)).map { _ in
                syllables[Int.random(in: 0..<syllables.count, using: &generator)]
            }.joined().utf8)
        }
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw BenchZipError("cannot create \(path)")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var chunk = [UInt8]()
        chunk.reserveCapacity(1 << 20 + 8192)
        var written = 0
        while written < size {
            chunk.removeAll(keepingCapacity: true)
            while chunk.count < min(1 << 20, size - written) {
                if generator.next() % 1000 < 20 {
                    // A run of random bytes (compressed data, images) ...
                    for _ in 0..<(256 + Int(generator.next() % 1024)) / 8 {
                        withUnsafeBytes(of: generator.next()) { chunk.append(contentsOf: $0) }
                    }
                } else {
                    // ... or a line of words.
                    for _ in 0..<(4 + generator.next() % 12) {
                        chunk.append(contentsOf: vocabulary[Int(generator.next() % UInt64(vocabulary.count))])
                        chunk.append(UInt8(ascii: " "))
                    }
                    chunk.append(UInt8(ascii: "\n"))
                }
            }
            let count = min(chunk.count, size - written)
            try handle.write(contentsOf: chunk[0..<count])
            written += count
        }
    }
}

/// A benchmark set-up or child-process failure.
struct BenchZipError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
