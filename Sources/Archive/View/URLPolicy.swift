/// What a URL in mail HTML may be, judged on the text the browser will parse (the sanitizer
/// writes out the cleaned text it judged).
public enum URLPolicy {
    static let linkSchemes: Set<String> = ["http", "https", "mailto"]
    static let rasterImageTypes = ["image/png", "image/gif", "image/jpeg", "image/jpg", "image/webp", "image/bmp"]

    /// The URL as a browser reads it: tabs and line breaks removed anywhere, leading and
    /// trailing C0 controls and spaces trimmed.
    public static func cleaned(_ value: String) -> String {
        let scalars = Array(value.unicodeScalars.filter { $0 != "\t" && $0 != "\n" && $0 != "\r" })
        // Trimmed by index: removing from the front one by one is quadratic on a hostile value.
        let start = scalars.firstIndex { $0.value > 0x20 } ?? scalars.endIndex
        let end = scalars.lastIndex { $0.value > 0x20 }.map { $0 + 1 } ?? start
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[start..<max(start, end)])
        return String(view)
    }

    /// The scheme (lowercased) when the URL has one: a letter, then letters, digits, `+`, `-`,
    /// `.`, then `:`.
    static func scheme(_ url: String) -> String? {
        guard let colon = url.firstIndex(of: ":") else { return nil }
        let candidate = url[..<colon]
        guard let first = candidate.unicodeScalars.first, HTMLTokenizer.isLetter(first),
            candidate.unicodeScalars.allSatisfy({ HTMLTokenizer.isLetter($0) || ("0"..."9").contains($0) || "+-.".unicodeScalars.contains($0) })
        else { return nil }
        return candidate.lowercased()
    }

    /// A link target to keep (cleaned), or `nil`: only http, https, mailto and `#fragment`.
    static func link(_ value: String) -> String? {
        let url = cleaned(value)
        if url.hasPrefix("#") { return url }
        guard let scheme = scheme(url), linkSchemes.contains(scheme) else { return nil }
        return url
    }

    /// Whether loading it would reach another host: http(s), protocol-relative, or any other
    /// scheme a browser fetches (ftp), as well as relative URLs (they resolve against the page).
    static func isRemote(_ value: String) -> Bool {
        let url = cleaned(value)
        if url.isEmpty || url.hasPrefix("#") { return false }
        guard let scheme = scheme(url) else { return true }
        return scheme != "data" && scheme != "cid" && scheme != "javascript" && scheme != "vbscript"
    }

    /// `data:image/<raster type>[;…],…` (SVG excluded: it is a document, not a picture).
    static func isInlineRasterImage(_ lowered: String) -> Bool {
        guard lowered.hasPrefix("data:") else { return false }
        let rest = lowered.dropFirst(5)
        return rasterImageTypes.contains { type in
            rest.hasPrefix(type) && (rest.dropFirst(type.count).first == ";" || rest.dropFirst(type.count).first == ",")
        }
    }
}
