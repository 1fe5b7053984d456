/// Parses address headers (`From`, `To`, `Cc`, …) per RFC 5322 and RFC 6532, leniently: display
/// names as phrases, quoted strings or encoded words; comments; groups (flattened into their
/// mailboxes); obsolete routes; `addr (Name)`; raw 8-bit names (UTF-8, else CP932).
public enum AddressListParser {
    private enum Token: Equatable {
        case word([UInt8])  // atom or dot-atom text
        case quoted([UInt8])
        case comment([UInt8])
        case special(UInt8)  // < > , : ; @
        case space
    }

    /// Parses an unfolded header value into mailboxes.
    public static func parse(_ value: some Collection<UInt8>) -> [Mailbox] {
        let tokens = tokenize(Array(value))
        var mailboxes = [Mailbox]()
        var current = [Token]()
        var angleDepth = 0
        for token in tokens {
            switch token {
            case .special(UInt8(ascii: "<")):
                angleDepth += 1
                current.append(token)
            case .special(UInt8(ascii: ">")):
                angleDepth = max(0, angleDepth - 1)
                current.append(token)
            case .special(UInt8(ascii: ",")) where angleDepth == 0, .special(UInt8(ascii: ";")) where angleDepth == 0:
                if let mailbox = mailbox(from: current) { mailboxes.append(mailbox) }
                current = []
            case .special(UInt8(ascii: ":")) where angleDepth == 0:
                // A group name ends here: drop the display name of the group.
                current = []
            default:
                current.append(token)
            }
        }
        if let mailbox = mailbox(from: current) { mailboxes.append(mailbox) }
        return mailboxes
    }

    private static func mailbox(from tokens: [Token]) -> Mailbox? {
        let meaningful = tokens.filter { $0 != .space }
        guard !meaningful.isEmpty else { return nil }
        if let open = tokens.firstIndex(of: .special(UInt8(ascii: "<"))) {
            let close = tokens[open...].firstIndex(of: .special(UInt8(ascii: ">"))) ?? tokens.endIndex
            var inner = Array(tokens[(open + 1)..<close])
            // Obsolete route: <@a,@b:user@host>
            if let colon = inner.lastIndex(of: .special(UInt8(ascii: ":"))) { inner = Array(inner[(colon + 1)...]) }
            let address = addressText(inner)
            var name = phraseText(Array(tokens[..<open]))
            if name.isEmpty, close < tokens.endIndex {
                name = commentText(Array(tokens[(close + 1)...]))
            }
            guard !address.isEmpty || !name.isEmpty else { return nil }
            return Mailbox(name: name, address: address)
        }
        let address = addressText(tokens)
        guard !address.isEmpty else { return nil }
        return Mailbox(name: commentText(tokens), address: address)
    }

    private static func addressText(_ tokens: [Token]) -> String {
        var bytes = [UInt8]()
        for token in tokens {
            switch token {
            case .word(let word): bytes += word
            case .quoted(let quoted): bytes += [UInt8(ascii: "\"")] + quoted + [UInt8(ascii: "\"")]
            case .special(let special) where special == UInt8(ascii: "@"): bytes.append(special)
            default: continue
            }
        }
        return TextDecoder.decodeRaw(bytes)
    }

    private static func commentText(_ tokens: [Token]) -> String {
        for token in tokens {
            if case .comment(let text) = token { return EncodedWordDecoder.decode(text).trimmingASCIIWhitespace() }
        }
        return ""
    }

    /// A display-name phrase: words joined by single spaces, encoded words decoded (adjacent ones
    /// joined), quoted strings unquoted (encoded words inside them decoded too, as clients do).
    private static func phraseText(_ tokens: [Token]) -> String {
        var raw = [UInt8]()
        var pendingSpace = false
        for token in tokens {
            switch token {
            case .word(let word), .quoted(let word):
                if pendingSpace && !raw.isEmpty { raw.append(0x20) }
                raw += word
                pendingSpace = false
            case .space:
                pendingSpace = true
            case .special(let byte) where byte == UInt8(ascii: "."):
                raw.append(byte)
            case .special(let byte) where byte == UInt8(ascii: "@"):
                raw.append(byte)
            default:
                continue
            }
        }
        return EncodedWordDecoder.decode(raw).trimmingASCIIWhitespace()
    }

    private static func tokenize(_ bytes: [UInt8]) -> [Token] {
        var tokens = [Token]()
        var index = 0
        let specials: Set<UInt8> = Set("<>,:;@".utf8)
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case 0x20, 0x09, 0x0D, 0x0A:
                if tokens.last != .space { tokens.append(.space) }
                index += 1
            case UInt8(ascii: "\""):
                var content = [UInt8]()
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count { index += 1 }
                    content.append(bytes[index])
                    index += 1
                }
                index += 1
                tokens.append(.quoted(content))
            case UInt8(ascii: "("):
                var depth = 1
                var content = [UInt8]()
                index += 1
                while index < bytes.count, depth > 0 {
                    let c = bytes[index]
                    if c == UInt8(ascii: "\\"), index + 1 < bytes.count {
                        content.append(bytes[index + 1])
                        index += 2
                        continue
                    }
                    if c == UInt8(ascii: "(") { depth += 1 }
                    if c == UInt8(ascii: ")") {
                        depth -= 1
                        if depth == 0 { index += 1; break }
                    }
                    content.append(c)
                    index += 1
                }
                tokens.append(.comment(content))
            case _ where specials.contains(byte):
                tokens.append(.special(byte))
                index += 1
            default:
                var word = [UInt8]()
                while index < bytes.count {
                    let c = bytes[index]
                    if c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A || c == UInt8(ascii: "\"") || c == UInt8(ascii: "(") || specials.contains(c) {
                        break
                    }
                    word.append(c)
                    index += 1
                }
                tokens.append(.word(word))
            }
        }
        return tokens
    }
}
