/// A Content-Transfer-Encoding value (RFC 2045 §6).
public enum TransferEncoding: Hashable, Sendable, CustomStringConvertible {
    case sevenBit
    case eightBit
    case binary
    case base64
    case quotedPrintable
    /// `x-uuencode` and friends.
    case uuencode
    /// A token nobody defines; the content is passed through as is.
    case other(String)

    /// Parses a header value (case-insensitive, spaces and quotes ignored). `nil` input means
    /// the header is absent: 7bit.
    public init(headerValue: String?) {
        let token = (headerValue ?? "7bit").trimmingASCIIWhitespace().trimmingQuotes().lowercased()
        switch token {
        case "7bit", "": self = .sevenBit
        case "8bit": self = .eightBit
        case "binary": self = .binary
        case "base64": self = .base64
        case "quoted-printable": self = .quotedPrintable
        case "x-uuencode", "x-uue", "uuencode", "x-uu": self = .uuencode
        default: self = .other(token)
        }
    }

    public var description: String {
        switch self {
        case .sevenBit: "7bit"
        case .eightBit: "8bit"
        case .binary: "binary"
        case .base64: "base64"
        case .quotedPrintable: "quoted-printable"
        case .uuencode: "x-uuencode"
        case .other(let token): token
        }
    }

    /// Whether the body is stored as is (no decoding step).
    public var isIdentity: Bool {
        switch self {
        case .sevenBit, .eightBit, .binary, .other: true
        case .base64, .quotedPrintable, .uuencode: false
        }
    }
}

/// An incremental decoder for one transfer encoding. Memory is bounded by the chunk size:
/// base64 and uuencode keep a few bytes between chunks, quoted-printable one unfinished line.
public struct TransferDecoder: Sendable {
    private enum State: Sendable {
        case identity
        case base64(Base64Decoder)
        case quotedPrintable(QuotedPrintableDecoder)
        case uuencode(UUEncode.Decoder, partialLine: [UInt8], sawBlock: Bool)
    }

    private var state: State
    /// Whether base64 input had bad characters or padding.
    public private(set) var sawInvalidBase64 = false

    public init(_ encoding: TransferEncoding) {
        switch encoding {
        case .base64: state = .base64(Base64Decoder())
        case .quotedPrintable: state = .quotedPrintable(QuotedPrintableDecoder())
        case .uuencode: state = .uuencode(UUEncode.Decoder(), partialLine: [], sawBlock: false)
        default: state = .identity
        }
    }

    /// Decodes the next piece of input.
    public mutating func decode(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) {
        // Each case takes its state out first, so the buffers inside are mutated in place
        // rather than copied for every chunk.
        switch state {
        case .identity:
            output.append(contentsOf: input)
        case .base64(var decoder):
            state = .identity
            decoder.decode(input, into: &output)
            state = .base64(decoder)
        case .quotedPrintable(var decoder):
            state = .identity
            decoder.decode(input, into: &output)
            state = .quotedPrintable(decoder)
        case .uuencode(var decoder, var partial, var sawBlock):
            state = .identity
            partial.append(contentsOf: input)
            var lineStart = 0
            while let newline = partial[lineStart...].firstIndex(of: 0x0A) {
                var end = newline
                if end > lineStart, partial[end - 1] == 0x0D { end -= 1 }
                if let block = decoder.line(partial[lineStart..<end]) {
                    output.append(contentsOf: block.content)
                    sawBlock = true
                }
                lineStart = newline + 1
            }
            partial.removeFirst(lineStart)
            if partial.count > 1 << 16 { partial.removeAll() }  // no uuencoded line is that long
            state = .uuencode(decoder, partialLine: partial, sawBlock: sawBlock)
        }
    }

    /// Ends the input.
    public mutating func finish(into output: inout [UInt8]) {
        switch state {
        case .identity:
            break
        case .base64(var decoder):
            decoder.finish(into: &output)
            sawInvalidBase64 = decoder.wasInvalid
            state = .base64(decoder)
        case .quotedPrintable(var decoder):
            state = .identity
            decoder.finish(into: &output)
            state = .quotedPrintable(decoder)
        case .uuencode(var decoder, let partial, _):
            if !partial.isEmpty, let block = decoder.line(partial[...]) { output.append(contentsOf: block.content) }
            state = .uuencode(decoder, partialLine: [], sawBlock: true)
        }
    }
}
