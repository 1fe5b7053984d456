import Links

/// Makes the HTML of a mail safe to show (pure): an allow-list of elements and attributes over
/// ``HTMLTokenizer``'s tokens, written back out in a canonical form (every text escaped, every
/// attribute double-quoted and escaped, every open element closed), so what the browser parses
/// is exactly what was checked.
///
/// - Scripts and active content go with everything inside them: `script`, `iframe`, `object`,
///   `applet`, `svg`, `math`, `template`, `noscript`, `title`, form controls with text, media.
///   `embed`, `meta`, `link`, `base`, `input`, `param`, `source` (void) are dropped. Unknown
///   elements lose their tags and keep their text; `body` becomes a `div`.
/// - No event handler (`on*`) or other attribute outside the allow-list survives.
/// - Links keep only `http:`, `https:`, `mailto:` and `#fragment` targets, after the browser's
///   own clean-up (tabs, newlines, leading controls) so `jav&#x09;ascript:` is caught.
/// - Nothing loads from elsewhere: remote `img src`, `background`, `srcset` and CSS `url(…)`
///   are removed and counted in ``Result/blockedRemoteContent``; `data:image/…` (raster) stays
///   in `img`; `cid:` images become whatever `inlineImage` returns (a `data:` URL, say, or the
///   `cid:` reference itself for HTML that stays in a mail).
/// - Links open in a new window unless `linksOpenInNewWindow` is off (HTML written back into a
///   mail has no page to protect).
///
/// It is one layer: the web UI also shows the result in a sandboxed frame under a strict
/// Content-Security-Policy.
public struct HTMLSanitizer: Sendable {
    /// The sanitized HTML and what was taken out that would have loaded a remote resource or
    /// run something.
    public struct Result: Sendable, Equatable {
        public var html: String
        /// Remote images, backgrounds and style URLs removed.
        public var blockedRemoteContent: Int
        /// Active content removed: scripts, frames, objects, forms and their controls, `meta`,
        /// `link` and `base`, event handler attributes, and `javascript:`-like link targets.
        public var removedActiveContent = 0
    }

    let inlineImage: @Sendable (String) -> String?
    let linksOpenInNewWindow: Bool

    /// - Parameters:
    ///   - inlineImage: maps a `cid:` reference (the Content-ID without `cid:`) to the URL to
    ///     show instead, or `nil` to drop the image.
    ///   - linksOpenInNewWindow: give every link `rel="noopener noreferrer" target="_blank"`.
    public init(inlineImage: @escaping @Sendable (String) -> String? = { _ in nil }, linksOpenInNewWindow: Bool = true) {
        self.inlineImage = inlineImage
        self.linksOpenInNewWindow = linksOpenInNewWindow
    }

    /// Keeps `cid:` images as `cid:` references: for HTML that stays in a mail with its parts.
    public static let keepingContentIDs: @Sendable (String) -> String? = { "cid:" + $0 }

    static let allowedElements: Set<String> = [
        "a", "abbr", "address", "article", "aside", "b", "bdi", "bdo", "big", "blockquote", "br", "caption", "center",
        "cite", "code", "col", "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure",
        "font", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "img", "ins", "kbd", "label", "li",
        "main", "mark", "nav", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp", "section", "small", "span",
        "strike", "strong", "style", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time",
        "tr", "tt", "u", "ul", "var", "wbr",
    ]
    static let voidElements: Set<String> = ["br", "col", "hr", "img", "wbr"]
    /// Dropped together with everything up to their end tag.
    static let droppedWithContent: Set<String> = [
        "script", "iframe", "object", "applet", "svg", "math", "template", "noscript", "title", "textarea", "select",
        "xmp", "noembed", "noframes", "plaintext", "frameset", "audio", "video", "canvas", "map", "button",
    ]
    /// Active elements that are not in the allow-list: counted when they go (their content, if
    /// any, stays as text, as for any unknown element).
    static let activeElements: Set<String> = [
        "embed", "meta", "link", "base", "form", "input", "param", "source", "track", "frame", "isindex", "keygen",
        "portal",
    ]
    static let allowedAttributes: Set<String> = [
        "abbr", "align", "alt", "bgcolor", "border", "cellpadding", "cellspacing", "class", "clear", "color", "cols",
        "colspan", "datetime", "dir", "face", "headers", "height", "hspace", "lang", "nowrap", "reversed", "rows",
        "rowspan", "scope", "size", "span", "start", "style", "summary", "title", "type", "valign", "value", "vspace",
        "width",
    ]

    /// Sanitizes `html` (never fails; broken markup gives a best-effort result).
    public func sanitize(_ html: String) -> Result {
        let tokens = HTMLTokenizer.tokens(html)
        var output = ""
        output.reserveCapacity(html.utf8.count)
        var open = [String]()
        var blocked = 0
        var active = 0
        var index = 0
        while index < tokens.count {
            let token = tokens[index]
            index += 1
            switch token {
            case .comment:
                continue
            case .text(let text):
                output += HTML.escape(text)
            case .end(let rawName):
                let name = rawName == "body" ? "div" : rawName
                guard let position = open.lastIndex(of: name) else { continue }
                for element in open[position...].reversed() { output += "</\(element)>" }
                open.removeSubrange(position...)
            case .start(let rawName, let attributes, let selfClosing):
                let name = rawName == "body" ? "div" : rawName
                if Self.droppedWithContent.contains(name) {
                    if name != "title" { active += 1 }
                    if !(selfClosing && (name == "svg" || name == "math")) { index = Self.endOfDroppedElement(tokens, from: index, element: name) }
                    continue
                }
                if name == "style" {
                    var css = ""
                    while index < tokens.count, case .text(let text) = tokens[index] {
                        css += text
                        index += 1
                    }
                    if index < tokens.count, tokens[index] == .end(name: "style") { index += 1 }
                    let clean = CSSSanitizer.sanitize(css)
                    if clean.blockedLoads { blocked += 1 }
                    output += "<style>\(clean.css)</style>"
                    continue
                }
                guard Self.allowedElements.contains(name) else {
                    if Self.activeElements.contains(name) { active += 1 }
                    continue
                }
                output += "<\(name)"
                for attribute in attributes {
                    switch filter(attribute, element: name) {
                    case .keep(let value): output += " \(attribute.name)=\"\(HTML.escape(value))\""
                    case .drop: if Self.isActive(attribute) { active += 1 }
                    case .blocked: blocked += 1
                    }
                }
                if name == "a" && linksOpenInNewWindow { output += " rel=\"noopener noreferrer\" target=\"_blank\"" }
                output += ">"
                if !Self.voidElements.contains(name) { open.append(name) }
            }
        }
        for element in open.reversed() { output += "</\(element)>" }
        return Result(html: output, blockedRemoteContent: blocked, removedActiveContent: active)
    }

    /// Whether a dropped attribute would have run something: an event handler, or a URL with a
    /// script or document scheme.
    static func isActive(_ attribute: (name: String, value: String)) -> Bool {
        if attribute.name.hasPrefix("on") { return true }
        guard let scheme = URLPolicy.scheme(URLPolicy.cleaned(attribute.value)) else { return false }
        return scheme == "javascript" || scheme == "vbscript" || scheme == "data"
    }

    /// The index after the end tag that closes `element` (nested ones counted), or the end.
    static func endOfDroppedElement(_ tokens: [HTMLTokenizer.Token], from start: Int, element: String) -> Int {
        var depth = 1
        var index = start
        while index < tokens.count {
            switch tokens[index] {
            case .start(let name, _, let selfClosing) where name == element && !selfClosing: depth += 1
            case .end(let name) where name == element: depth -= 1
            default: break
            }
            index += 1
            if depth == 0 { return index }
        }
        return index
    }

    private enum AttributeDecision {
        case keep(String)
        case drop
        /// Dropped because it would load something from elsewhere.
        case blocked
    }

    private func filter(_ attribute: (name: String, value: String), element: String) -> AttributeDecision {
        switch attribute.name {
        case "href" where element == "a":
            return URLPolicy.link(attribute.value).map(AttributeDecision.keep) ?? .drop
        case "src" where element == "img":
            return image(attribute.value)
        case "style":
            let clean = CSSSanitizer.sanitize(attribute.value)
            return clean.blockedLoads ? .blocked : .keep(clean.css)
        case "background", "srcset", "lowsrc", "dynsrc", "poster":
            return URLPolicy.isRemote(attribute.value) ? .blocked : .drop
        default:
            return Self.allowedAttributes.contains(attribute.name) ? .keep(attribute.value) : .drop
        }
    }

    private func image(_ value: String) -> AttributeDecision {
        let url = URLPolicy.cleaned(value)
        let lowered = url.lowercased()
        if lowered.hasPrefix("cid:") { return inlineImage(String(url.dropFirst(4))).map(AttributeDecision.keep) ?? .drop }
        if URLPolicy.isInlineRasterImage(lowered) { return .keep(url) }
        return URLPolicy.isRemote(url) ? .blocked : .drop
    }
}
