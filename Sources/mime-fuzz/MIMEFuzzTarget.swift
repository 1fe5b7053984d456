import FuzzSupport
import MailMessage

/// Feeds arbitrary bytes through everything that reads a message: the streaming MIME parser
/// (fed in chunks whose sizes come from the input, with small line and spool limits so the
/// long-line and spool paths run), the byte-exact round trip (checked), the summary (every
/// header, parameter, charset, transfer encoding, attachment hash and the text extraction), the
/// header parsers on the raw input, and the rewrites. A crash, a round-trip mismatch, a hang or a
/// sanitizer report is a bug. See docs/fuzzing.md.
enum MIMEFuzzTarget {
    static func run(_ bytes: UnsafeRawBufferPointer) {
        let input = Array(bytes)
        var options = MIMEParserOptions()
        options.maxLineBuffer = 256
        options.spoolThreshold = 1 << 14
        options.memoryLimit = 1 << 15
        options.maxDepth = 24
        options.maxParts = 400
        options.maxHeaderBytes = 1 << 13
        let parser = MIMEStreamParser(options: options)
        let step = Int(input.first ?? 7) % 61 + 1
        var offset = 0
        do {
            while offset < input.count {
                let end = min(input.count, offset + step)
                try parser.feed(input[offset..<end])
                offset = end
            }
            let message = try parser.finish()
            let output = try message.serialized()
            if output != input {
                fatalError("round trip changed \(input.count) bytes into \(output.count)")
            }
            // The chunking must not change what is parsed.
            let whole = try MailMessage.parse(input, options: options)
            if shape(whole) != shape(message) {
                fatalError("chunks of \(step) parse differently from the whole input")
            }
            _ = try MessageSummary(message)
            rewrite(message)
        } catch {
            _ = "\(error)"
        }
        _ = EncodedWordDecoder.decode(input)
        _ = StructuredHeaderValue(input)
        _ = AddressListParser.parse(input)
        _ = DateParser.parse(String(decoding: input.prefix(200), as: UTF8.self))
        _ = SafeFilename.make(String(decoding: input.prefix(400), as: UTF8.self))
        _ = UUEncode.blocks(in: input)
        _ = HTMLText.plainText(String(decoding: input.prefix(4096), as: UTF8.self))
    }

    /// Paths, types, names and raw sizes of every entity.
    private static func shape(_ message: MailMessage) -> [String] {
        message.entities.map { located in
            var size = -1
            if case .leaf(let leaf) = located.entity.body { size = leaf.contentCount }
            return "\(located.path) \(located.entity.contentType.mimeType) \(located.entity.filename ?? "-") \(size)"
        }
    }

    /// Every rewrite on a copy; the result must parse again.
    private static func rewrite(_ message: MailMessage) {
        var copy = message
        _ = try? copy.insertBanner(Banner(text: "注意: banner ①"))
        if let path = MessageStructure(copy, scanUUEncode: false).attachments.first?.path {
            _ = try? copy.removePart(path: path)
        }
        _ = try? copy.addPart(.attachment(filename: "添付.txt", content: Array("x".utf8)))
        copy.setHeader("Subject", "件名 ①㈱", encoding: .iso2022JP)
        if let bytes = try? copy.serialized() {
            _ = try? MailMessage.parse(bytes)
        }
    }
}

/// The per-input callback libFuzzer calls.
@_cdecl("LLVMFuzzerTestOneInput")
public func mimeFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    MIMEFuzzTarget.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// The entry point (in this file: referring to a `@_cdecl` function from another file emits
/// its C symbol twice): libFuzzer's driver when built with `-DFUZZING`, else a replayer of input
/// files and directories (docs/fuzzing.md).
@main
struct MIMEFuzz {
    static func main() throws {
        try FuzzEntryPoint.main(name: "mime-fuzz", callback: mimeFuzzTestOneInput)
    }
}
