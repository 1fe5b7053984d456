/// HTML reduced to plain text for search indexes and text views: tags removed, `script`,
/// `style`, `head` and comments dropped with their content, block elements and `<br>` turned
/// into line breaks, character references decoded.
public enum HTMLText {
    private static let blockTags: Set<String> = [
        "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "pre",
        "hr", "section", "article", "header", "footer", "dt", "dd", "title",
    ]
    private static let skippedTags: Set<String> = ["script", "style", "head", "noscript", "template", "svg"]

    /// The text of `html`.
    public static func plainText(_ html: String) -> String {
        var output = ""
        output.reserveCapacity(html.utf8.count / 2)
        let scalars = Array(html.unicodeScalars)
        var index = 0
        var skipping: String?
        var noMoreTagEnds = false
        var text = String.UnicodeScalarView()
        func flushText() {
            guard !text.isEmpty else { return }
            if skipping == nil { output += decodeEntities(String(text)) }
            text.removeAll()
        }
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "<" && !noMoreTagEnds {
                // Comments and declarations.
                if index + 3 < scalars.count, scalars[index + 1] == "!", scalars[index + 2] == "-", scalars[index + 3] == "-" {
                    flushText()
                    var end = index + 4
                    while end + 2 < scalars.count, !(scalars[end] == "-" && scalars[end + 1] == "-" && scalars[end + 2] == ">") { end += 1 }
                    index = min(end + 3, scalars.count)
                    continue
                }
                guard let close = scalars[index...].firstIndex(of: ">") else {
                    // No '>' anywhere after this point: every later '<' is text too.
                    noMoreTagEnds = true
                    text.append(scalar)
                    index += 1
                    continue
                }
                flushText()
                let inner = String(String.UnicodeScalarView(scalars[(index + 1)..<close]))
                let isEnd = inner.hasPrefix("/")
                let name = inner.drop { $0 == "/" }.prefix { $0.isLetter || $0.isNumber }.lowercased()
                if let skipped = skipping {
                    if isEnd && name == skipped { skipping = nil }
                } else if skippedTags.contains(name) && !isEnd && !inner.hasSuffix("/") {
                    skipping = name
                } else if blockTags.contains(name) {
                    if !output.hasSuffix("\n") && !output.isEmpty { output += "\n" }
                } else if name == "td" || name == "th" {
                    if !output.hasSuffix("\n") && !output.hasSuffix(" ") && !output.isEmpty { output += " " }
                } else if name == "img", !isEnd, let alt = attribute("alt", in: inner), !alt.isEmpty {
                    output += decodeEntities(alt)
                }
                index = close + 1
                continue
            }
            text.append(scalar)
            index += 1
        }
        flushText()
        return normalizeWhitespace(output)
    }

    private static func attribute(_ name: String, in tag: String) -> String? {
        let lower = tag.lowercased()
        guard lower.count == tag.count, let range = lower.firstRange(of: name + "=") else { return nil }
        let offset = lower.distance(from: lower.startIndex, to: range.upperBound)
        var rest = tag.dropFirst(offset)
        guard let quote = rest.first else { return nil }
        if quote == "\"" || quote == "'" {
            rest = rest.dropFirst()
            return String(rest.prefix { $0 != quote })
        }
        return String(rest.prefix { !$0.isWhitespace })
    }

    /// Collapses runs of spaces inside lines and more than one blank line.
    private static func normalizeWhitespace(_ text: String) -> String {
        var lines = [String]()
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let collapsed = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).joined(separator: " ")
            if collapsed.isEmpty && (lines.last?.isEmpty ?? true) { continue }
            lines.append(collapsed)
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines.joined(separator: "\n")
    }

    private static let namedEntities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}", "copy": "©", "reg": "®",
        "trade": "™", "yen": "¥", "euro": "€", "pound": "£", "cent": "¢", "hellip": "…", "mdash": "—", "ndash": "–",
        "laquo": "«", "raquo": "»", "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”", "middot": "·",
        "times": "×", "divide": "÷", "deg": "°", "plusmn": "±", "sect": "§", "para": "¶", "bull": "•", "larr": "←",
        "rarr": "→", "uarr": "↑", "darr": "↓", "shy": "\u{AD}", "zwnj": "\u{200C}", "zwj": "\u{200D}",
        "eacute": "é", "egrave": "è", "agrave": "à", "aacute": "á", "uuml": "ü", "ouml": "ö", "auml": "ä",
        "Uuml": "Ü", "Ouml": "Ö", "Auml": "Ä", "szlig": "ß", "ccedil": "ç", "ecirc": "ê", "ntilde": "ñ",
        // Every HTML5 name for an ASCII character: a link spelt with them (`https&colon;&sol;&sol;`)
        // must read as the browser reads it.
        "Tab": "\t", "NewLine": "\n", "excl": "!", "QUOT": "\"", "num": "#", "dollar": "$", "percnt": "%", "AMP": "&",
        "lpar": "(", "rpar": ")", "ast": "*", "midast": "*", "plus": "+", "comma": ",", "period": ".", "sol": "/",
        "colon": ":", "semi": ";", "LT": "<", "equals": "=", "GT": ">", "quest": "?", "commat": "@", "lsqb": "[",
        "lbrack": "[", "bsol": "\\", "rsqb": "]", "rbrack": "]", "Hat": "^", "lowbar": "_", "UnderBar": "_", "grave": "`",
        "lcub": "{", "lbrace": "{", "verbar": "|", "vert": "|", "rcub": "}",
        "rbrace": "}",
    ]

    /// Decodes `&name;`, `&#123;` and `&#x1F600;`.
    public static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var output = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            output += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            guard let semicolon = after.prefix(12).firstIndex(of: ";") else {
                output += "&"
                rest = after
                continue
            }
            let name = after[..<semicolon]
            var replacement: String?
            if name.hasPrefix("#x") || name.hasPrefix("#X") {
                replacement = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String($0) }
            } else if name.hasPrefix("#") {
                replacement = UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init).map { String($0) }
            } else {
                replacement = namedEntities[String(name)]
            }
            if let replacement {
                output += replacement
                rest = after[after.index(after: semicolon)...]
            } else {
                output += "&"
                rest = after
            }
        }
        output += rest
        return output
    }
}
