#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte conversion between charsets through the C library's `iconv` (glibc on Linux: CP932,
/// EUC-JP-MS, ISO-2022-JP-2/-3, GBK, BIG5-HKSCS, CP949, ISO-8859-x, …). Tables are the C
/// library's; nothing here hand-writes a mapping.
enum Iconv {
    /// The outcome of a lenient conversion.
    struct Result {
        var bytes: [UInt8]
        /// Input sequences that could not be converted (each replaced by U+FFFD when the target is
        /// UTF-8).
        var invalidSequences: Int
    }

    /// Whether the C library knows the charset name.
    static func supports(_ name: String) -> Bool {
        guard let descriptor = open(from: name, to: "UTF-8") else { return false }
        iconv_close(descriptor)
        return true
    }

    /// Converts `input` from `source` to UTF-8, replacing each invalid or truncated sequence with
    /// U+FFFD and carrying on. Returns `nil` only when `source` is unknown to iconv.
    static func decodeToUTF8(_ input: some Collection<UInt8>, from source: String) -> Result? {
        guard let descriptor = open(from: source, to: "UTF-8") else { return nil }
        defer { iconv_close(descriptor) }
        let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]
        return run(descriptor, Array(input), onInvalid: { output in
            output.append(contentsOf: replacement)
            return true
        })
    }

    /// Converts UTF-8 `input` to `target`. Returns `nil` when the charset is unknown or any
    /// character has no representation in it (strict: nothing is dropped silently).
    static func encodeFromUTF8(_ input: some Collection<UInt8>, to target: String) -> [UInt8]? {
        guard let descriptor = open(from: "UTF-8", to: target) else { return nil }
        defer { iconv_close(descriptor) }
        let result = run(descriptor, Array(input), onInvalid: { _ in false })
        guard let result, result.invalidSequences == 0 else { return nil }
        return result.bytes
    }

    private static func open(from source: String, to target: String) -> iconv_t? {
        let descriptor = iconv_open(target, source)
        if Int(bitPattern: descriptor) == -1 { return nil }
        return descriptor
    }

    /// Runs the conversion; `onInvalid` appends a replacement and returns whether to continue
    /// (skipping one input byte).
    private static func run(
        _ descriptor: iconv_t,
        _ input: [UInt8],
        onInvalid: (inout [UInt8]) -> Bool
    ) -> Result? {
        var output = [UInt8]()
        output.reserveCapacity(input.count * 2 + 16)
        var invalid = 0
        var chunk = [UInt8](repeating: 0, count: max(256, min(input.count * 3 + 16, 1 << 20)))
        var inputCopy = input
        let ok: Bool = inputCopy.withUnsafeMutableBufferPointer { inputBuffer in
            chunk.withUnsafeMutableBufferPointer { chunkBuffer in
                var inPointer: UnsafeMutablePointer<CChar>? = inputBuffer.baseAddress.map {
                    UnsafeMutableRawPointer($0).assumingMemoryBound(to: CChar.self)
                }
                var inLeft = inputBuffer.count
                while true {
                    var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(chunkBuffer.baseAddress!)
                        .assumingMemoryBound(to: CChar.self)
                    var outLeft = chunkBuffer.count
                    let finished = inLeft == 0
                    let status: Int
                    if finished {
                        // Flush the shift state (ISO-2022 encoders end with ESC ( B).
                        status = iconv(descriptor, nil, nil, &outPointer, &outLeft)
                    } else {
                        status = iconv(descriptor, &inPointer, &inLeft, &outPointer, &outLeft)
                    }
                    let failure = status == -1 ? errno : 0
                    let produced = chunkBuffer.count - outLeft
                    output.append(contentsOf: UnsafeBufferPointer(start: chunkBuffer.baseAddress, count: produced))
                    if status != -1 {
                        if finished { return true }
                        continue
                    }
                    switch failure {
                    case E2BIG:
                        continue
                    case EILSEQ, EINVAL:
                        invalid += 1
                        guard onInvalid(&output) else { return false }
                        if inLeft > 0 {
                            inPointer = inPointer.map { $0 + 1 }
                            inLeft -= 1
                        }
                        // Reset the conversion state after a bad sequence.
                        iconv(descriptor, nil, nil, nil, nil)
                    default:
                        return false
                    }
                }
            }
        }
        if !ok && invalid == 0 { return nil }
        return Result(bytes: output, invalidSequences: invalid)
    }
}
