#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension ZipEntryName {
    /// A legacy (non-UTF-8) name: `name` converted by the C library's `iconv` to `charset`
    /// (for example `"CP932"`, what Japanese Windows Explorer expects). Bit 11 stays clear.
    ///
    /// - Throws: ``ZipError`` `.invalidArgument` when iconv does not know `charset` or a
    ///   character of `name` has no representation in it (nothing is dropped or replaced).
    public init(_ name: String, charset: String) throws {
        self.init(bytes: try Self.convert(name, to: charset), isUTF8: false)
    }

    /// Strict UTF-8 → `charset` conversion through iconv.
    static func convert(_ name: String, to charset: String) throws -> [UInt8] {
        let descriptor = iconv_open(charset, "UTF-8")
        if Int(bitPattern: descriptor) == -1 {
            throw ZipError(.invalidArgument, "iconv does not know the charset \(charset)")
        }
        defer { iconv_close(descriptor) }
        var input = Array(name.utf8)
        // Legacy charsets used for names take at most 4 bytes per character; UTF-8 takes ≥ 1.
        var output = [UInt8](repeating: 0, count: input.count * 4 + 16)
        let inputCount = input.count
        let outputCount = output.count
        let (status, written) = input.withUnsafeMutableBytes { inBuffer in
            output.withUnsafeMutableBytes { outBuffer in
                var inPointer = inBuffer.baseAddress?.assumingMemoryBound(to: CChar.self)
                var outPointer = outBuffer.baseAddress?.assumingMemoryBound(to: CChar.self)
                var inLeft = inputCount
                var outLeft = outputCount
                var status = iconv(descriptor, &inPointer, &inLeft, &outPointer, &outLeft)
                if status != -1 {
                    // Flush any shift state (stateful charsets such as ISO-2022-JP).
                    status = iconv(descriptor, nil, nil, &outPointer, &outLeft)
                }
                return (status, outputCount - outLeft)
            }
        }
        guard status != -1 else {
            throw ZipError(.invalidArgument, "the name \(name) is not representable in \(charset)")
        }
        // glibc counts characters it replaced (//TRANSLIT, //IGNORE) in the return value.
        guard status == 0 else {
            throw ZipError(.invalidArgument, "the name \(name) is not exactly representable in \(charset)")
        }
        return Array(output[0..<written])
    }
}
