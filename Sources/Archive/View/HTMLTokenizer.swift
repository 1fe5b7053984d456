/// A tolerant HTML tokenizer for the sanitizer (after the WHATWG tokenizer's states, simplified):
/// it never fails and never crashes on broken input. Text and attribute values come out with
/// character references decoded; comments, doctypes and processing instructions come out as
/// ``Token/comment``; the content of raw-text elements (`script`, `style`, `textarea`, `title`,
/// `iframe`, `xmp`, `noembed`, `noframes`, `noscript`, `plaintext`) is one text token up to the
/// matching end tag, as a browser reads it. NUL characters become U+FFFD.
struct HTMLTokenizer {
    /// One piece of the document.
    enum Token: Equatable {
        case text(String)
        /// Name lowercased; attributes in document order, names lowercased, values decoded;
        /// a repeated attribute keeps its first value, as browsers do.
        case start(name: String, attributes: [(name: String, value: String)], selfClosing: Bool)
        case end(name: String)
        case comment

        static func == (lhs: Token, rhs: Token) -> Bool {
            switch (lhs, rhs) {
            case (.text(let a), .text(let b)): a == b
            case (.end(let a), .end(let b)): a == b
            case (.comment, .comment): true
            case (.start(let a, let x, let s), .start(let b, let y, let t)):
                a == b && s == t && x.map(\.name) == y.map(\.name) && x.map(\.value) == y.map(\.value)
            default: false
            }
        }
    }

    /// Elements whose content is text up to their end tag.
    static let rawTextElements: Set<String> = [
        "script", "style", "textarea", "title", "iframe", "xmp", "noembed", "noframes", "noscript", "plaintext",
    ]

    /// Splits `html` into tokens.
    static func tokens(_ html: String) -> [Token] {
        var scalars = Array(html.unicodeScalars)
        for index in scalars.indices where scalars[index] == "\0" { scalars[index] = "\u{FFFD}" }
        var tokenizer = HTMLTokenizer(scalars: scalars)
        return tokenizer.run()
    }

    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var output = [Token]()
    private var text = String.UnicodeScalarView()

    private init(scalars: [Unicode.Scalar]) {
        self.scalars = scalars
    }

    private mutating func run() -> [Token] {
        while index < scalars.count {
            let scalar = scalars[index]
            guard scalar == "<", index + 1 < scalars.count else {
                text.append(scalar)
                index += 1
                continue
            }
            let next = scalars[index + 1]
            if next == "!" || next == "?" {
                flushText()
                skipCommentOrDeclaration()
            } else if next == "/" {
                if index + 2 < scalars.count, Self.isLetter(scalars[index + 2]) {
                    flushText()
                    index += 2
                    let (name, _, _) = readTag()
                    output.append(.end(name: name))
                } else if index + 2 < scalars.count, scalars[index + 2] == ">" {
                    index += 3  // "</>" is dropped
                } else {
                    flushText()
                    index += 2
                    skipUntilGreaterThan()  // "</ ...>" is a bogus comment
                }
            } else if Self.isLetter(next) {
                flushText()
                index += 1
                let (name, attributes, selfClosing) = readTag()
                output.append(.start(name: name, attributes: attributes, selfClosing: selfClosing))
                // Browsers ignore "/>" on these: the raw text starts all the same.
                if Self.rawTextElements.contains(name) { readRawText(until: name) }
            } else {
                text.append(scalar)
                index += 1
            }
        }
        flushText()
        return output
    }

    private mutating func flushText() {
        guard !text.isEmpty else { return }
        output.append(.text(HTMLCharacterReference.decode(String(text))))
        text.removeAll()
    }

    /// `<!-- … -->` (also `--!>`, and `<!-->`), `<!DOCTYPE …>`, `<![CDATA[…]]>` and `<?…>` (bogus
    /// comments, up to the next `>`). An unterminated comment swallows the rest.
    private mutating func skipCommentOrDeclaration() {
        if matches("<!--", at: index) {
            var position = index + 4
            if position < scalars.count && scalars[position] == ">" {
                index = position + 1
            } else if matches("->", at: position) {
                index = position + 2
            } else {
                while position < scalars.count {
                    if matches("-->", at: position) { index = position + 3; break }
                    if matches("--!>", at: position) { index = position + 4; break }
                    position += 1
                }
                if position >= scalars.count { index = scalars.count }
            }
            output.append(.comment)
            return
        }
        index += 2
        skipUntilGreaterThan()
        output.append(.comment)
    }

    private mutating func skipUntilGreaterThan() {
        while index < scalars.count && scalars[index] != ">" { index += 1 }
        index = min(index + 1, scalars.count)
    }

    /// Reads a tag from its name to `>`; `index` is on the name's first character. A tag cut
    /// off by the end of input is returned as it is (the sanitizer treats it as any other).
    private mutating func readTag() -> (String, [(name: String, value: String)], Bool) {
        var name = String.UnicodeScalarView()
        while index < scalars.count, !Self.isSpace(scalars[index]), scalars[index] != "/", scalars[index] != ">" {
            name.append(scalars[index])
            index += 1
        }
        var attributes = [(name: String, value: String)]()
        var selfClosing = false
        while index < scalars.count {
            let scalar = scalars[index]
            if Self.isSpace(scalar) { index += 1; continue }
            if scalar == ">" { index += 1; break }
            if scalar == "/" {
                index += 1
                selfClosing = index < scalars.count && scalars[index] == ">"
                continue
            }
            selfClosing = false
            let attribute = readAttribute()
            if !attributes.contains(where: { $0.name == attribute.name }) { attributes.append(attribute) }
        }
        return (String(name).lowercased(), attributes, selfClosing)
    }

    private mutating func readAttribute() -> (name: String, value: String) {
        var name = String.UnicodeScalarView()
        // The first character may be "=" (it is then part of the name, per the spec).
        repeat {
            name.append(scalars[index])
            index += 1
        } while index < scalars.count && !Self.isSpace(scalars[index]) && !"/>=".unicodeScalars.contains(scalars[index])
        while index < scalars.count && Self.isSpace(scalars[index]) { index += 1 }
        guard index < scalars.count, scalars[index] == "=" else { return (String(name).lowercased(), "") }
        index += 1
        while index < scalars.count && Self.isSpace(scalars[index]) { index += 1 }
        var value = String.UnicodeScalarView()
        if index < scalars.count, scalars[index] == "\"" || scalars[index] == "'" {
            let quote = scalars[index]
            index += 1
            while index < scalars.count && scalars[index] != quote {
                value.append(scalars[index])
                index += 1
            }
            index = min(index + 1, scalars.count)
        } else {
            while index < scalars.count && !Self.isSpace(scalars[index]) && scalars[index] != ">" {
                value.append(scalars[index])
                index += 1
            }
        }
        return (String(name).lowercased(), HTMLCharacterReference.decode(String(value)))
    }

    /// The content of a raw-text element, up to `</name` followed by a space, `/` or `>`
    /// (compared case-insensitively); to the end for `plaintext` or a missing end tag.
    private mutating func readRawText(until name: String) {
        let start = index
        var position = index
        let closer = Array(("</" + name).unicodeScalars)
        while name != "plaintext" && position + closer.count <= scalars.count {
            if scalars[position] == "<" && scalars[position + 1] == "/" {
                let candidate = scalars[position..<(position + closer.count)].map { Self.lowercased($0) }
                let after = position + closer.count
                if candidate == closer && (after == scalars.count || Self.isSpace(scalars[after]) || scalars[after] == "/" || scalars[after] == ">") {
                    var raw = String.UnicodeScalarView()
                    raw.append(contentsOf: scalars[start..<position])
                    let content = String(raw)
                    output.append(.text(["textarea", "title"].contains(name) ? HTMLCharacterReference.decode(content) : content))
                    index = position + 2
                    _ = readTag()
                    output.append(.end(name: name))
                    return
                }
            }
            position += 1
        }
        var raw = String.UnicodeScalarView()
        raw.append(contentsOf: scalars[start...])
        output.append(.text(String(raw)))
        index = scalars.count
    }

    private func matches(_ literal: String, at position: Int) -> Bool {
        var cursor = position
        for scalar in literal.unicodeScalars {
            guard cursor < scalars.count, Self.lowercased(scalars[cursor]) == Self.lowercased(scalar) else { return false }
            cursor += 1
        }
        return true
    }

    static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z")
    }

    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" || scalar == "\u{0C}"
    }

    static func lowercased(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        scalar >= "A" && scalar <= "Z" ? Unicode.Scalar(scalar.value + 32)! : scalar
    }
}
