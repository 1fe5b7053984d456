import Archive
/// Makes the URLs in text impossible to click or resolve while leaving them readable (pure):
/// `https://example.com/a.b` becomes `hxxps://example[.]com/a.b`, `http://` `hxxp://`,
/// `ftp://` `fxp://`, and a bare `www.example.com` becomes `www[.]example[.]com`.
///
/// Only the scheme and the dots of the host change; userinfo, port, path, query and the text
/// around — Japanese punctuation such as 「」。、 included — stay as they were. Defanged text has
/// nothing left to defang, so defanging twice changes nothing.
enum URLDefanger {
    /// `text` defanged, and how many URLs and `www.` names were changed.
    static func defang(_ text: String) -> (text: String, count: Int) {
        guard mayHoldURL(text) else { return (text, 0) }
        let scalars = Array(text.unicodeScalars)
        var output = String.UnicodeScalarView()
        var count = 0
        var index = 0
        while index < scalars.count {
            if let schemeLength = schemeLength(scalars, at: index) {
                output.append(contentsOf: defangedScheme(scalars[index..<(index + schemeLength)]))
                output.append(contentsOf: "://".unicodeScalars)
                index += schemeLength + 3
                let end = scalars[index...].firstIndex { !isAuthorityScalar($0) } ?? scalars.count
                output.append(contentsOf: defangedAuthority(scalars[index..<end]))
                index = end
                count += 1
            } else if let end = bareWWWEnd(scalars, at: index) {
                output.append(contentsOf: defangedHost(scalars[index..<end]))
                index = end
                count += 1
            } else {
                output.append(scalars[index])
                index += 1
            }
        }
        return count == 0 ? (text, 0) : (String(output), count)
    }

    /// Whether `text` has a `:/` or a `www.` (any case) anywhere: without one there is nothing
    /// to defang, found in one pass over the UTF-8 bytes (most text has no link at all).
    static func mayHoldURL(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            var index = 0
            while index + 1 < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: ":"), bytes[index + 1] == UInt8(ascii: "/") { return true }
                if byte | 0x20 == UInt8(ascii: "w"), index + 3 < bytes.count, bytes[index + 1] | 0x20 == UInt8(ascii: "w"),
                    bytes[index + 2] | 0x20 == UInt8(ascii: "w"), bytes[index + 3] == UInt8(ascii: ".")
                {
                    return true
                }
                index += 1
            }
            return false
        }
    }

    /// A URL attribute value (`href`, `src`, `action`) defanged as a browser would read it:
    /// tabs and line breaks are dropped and backslashes count as slashes, so `ht&#9;tps:\\host`
    /// and `https:host` are caught; a protocol-relative `//host` loses its host's dots. Anything
    /// else is defanged as text. Returns whether it changed.
    static func defangURL(_ value: String) -> (url: String, changed: Bool) {
        let scalars = Array(URLPolicy.cleaned(value).unicodeScalars)
        let colon = scalars.firstIndex(of: ":") ?? scalars.count
        let scheme = String(String.UnicodeScalarView(scalars[..<colon])).lowercased()
        let isWebScheme = colon < scalars.count && ["http", "https", "ftp"].contains(scheme)
        let rest = isWebScheme ? scalars[(colon + 1)...] : scalars[...]
        guard isWebScheme || rest.starts(with: ["/", "/"]) || rest.starts(with: ["\\", "\\"]) || rest.starts(with: ["/", "\\"]) || rest.starts(with: ["\\", "/"]) else {
            let (text, count) = defang(value)
            return (text, count > 0)
        }
        let unslashed = rest.map { $0 == "\\" ? "/" : $0 }.drop { $0 == "/" }
        let end = unslashed.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? unslashed.endIndex
        var output = String.UnicodeScalarView()
        if isWebScheme { output.append(contentsOf: defangedScheme(scalars[..<colon]) + [":"]) }
        output.append(contentsOf: "//".unicodeScalars)
        output.append(contentsOf: defangedAuthority(unslashed[..<end]))
        output.append(contentsOf: unslashed[end...])
        let url = String(output)
        return (url, url != value)
    }

    private static let schemes: [[Unicode.Scalar]] = ["https", "http", "ftp"].map { Array($0.unicodeScalars) }

    /// The length of `http`, `https` or `ftp` (any case) at `index` when `://` follows.
    private static func schemeLength(_ scalars: [Unicode.Scalar], at index: Int) -> Int? {
        guard "hHfF".unicodeScalars.contains(scalars[index]) else { return nil }
        for scheme in schemes where index + scheme.count + 3 <= scalars.count {
            let matches = scheme.indices.allSatisfy { lowercased(scalars[index + $0]) == scheme[$0] }
            if matches, scalars[(index + scheme.count)..<(index + scheme.count + 3)].elementsEqual("://".unicodeScalars) {
                return scheme.count
            }
        }
        return nil
    }

    /// `http` → `hxxp`, `HTTPS` → `HXXPS`, `ftp` → `fxp`: every `t` becomes `x`, in its case.
    private static func defangedScheme(_ scheme: some Collection<Unicode.Scalar>) -> [Unicode.Scalar] {
        scheme.map { $0 == "t" ? "x" : $0 == "T" ? "X" : $0 }
    }

    /// The end of a bare `www.` name starting at `index` (not inside a word, a URL or an
    /// address), or `nil`.
    private static func bareWWWEnd(_ scalars: [Unicode.Scalar], at index: Int) -> Int? {
        guard index + 5 <= scalars.count, "wW".unicodeScalars.contains(scalars[index]),
            scalars[index..<(index + 3)].allSatisfy({ lowercased($0) == "w" }), scalars[index + 3] == ".", isASCIIAlphanumeric(scalars[index + 4])
        else { return nil }
        if index > 0 {
            let before = scalars[index - 1]
            guard !(before.isASCII && (isASCIIAlphanumeric(before) || ".-_@/:%+~=&?#".unicodeScalars.contains(before))) else { return nil }
        }
        var end = scalars[(index + 4)...].firstIndex { !isHostScalar($0) } ?? scalars.count
        while end > index + 4, scalars[end - 1] == "." || scalars[end - 1] == "-" { end -= 1 }
        return end
    }

    /// The authority with the host's dots defanged: the host follows the last `@` and ends at
    /// the port's `:` (an IPv6 literal at its `]`); trailing punctuation is not host.
    private static func defangedAuthority(_ authority: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        let hostStart = authority.lastIndex(of: "@").map { $0 + 1 } ?? authority.startIndex
        var hostEnd: Int
        if authority[hostStart...].first == "[" {
            hostEnd = authority[hostStart...].firstIndex(of: "]").map { $0 + 1 } ?? authority.endIndex
        } else {
            hostEnd = authority[hostStart...].firstIndex(of: ":") ?? authority.endIndex
        }
        while hostEnd > hostStart, !isHostEnd(authority[hostEnd - 1]) { hostEnd -= 1 }
        return Array(authority[..<hostStart]) + defangedHost(authority[hostStart..<hostEnd]) + Array(authority[hostEnd...])
    }

    /// Every `.` of the host becomes `[.]`; one that already is stays.
    private static func defangedHost(_ host: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        var output = [Unicode.Scalar]()
        for index in host.indices {
            let scalar = host[index]
            let bracketed = index > host.startIndex && host[index - 1] == "[" && index + 1 < host.endIndex && host[index + 1] == "]"
            output += scalar == "." && !bracketed ? ["[", ".", "]"] : [scalar]
        }
        return output
    }

    /// What an authority (userinfo, host, port) is made of: RFC 3986's characters but `(`
    /// `)`, and letters and digits of any script (IDN), but no punctuation (「」。、 end a URL).
    private static func isAuthorityScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return isASCIIAlphanumeric(scalar) || "-._~%!$&'*+,;=:@[]".unicodeScalars.contains(scalar) }
        return isLetterOrDigit(scalar)
    }

    /// What a bare `www.` name is made of: ASCII letters, digits, `-` and `.` (punycode for IDN).
    private static func isHostScalar(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII && (isASCIIAlphanumeric(scalar) || scalar == "-" || scalar == ".")
    }

    /// What a host may end with: a letter or digit of any script, or an IPv6 literal's `]`.
    private static func isHostEnd(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "]" || (scalar.isASCII ? isASCIIAlphanumeric(scalar) : isLetterOrDigit(scalar))
    }

    private static func isLetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        return properties.isAlphabetic || properties.numericType != nil || properties.generalCategory == .nonspacingMark
    }

    private static func isASCIIAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }

    private static func lowercased(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        ("A"..."Z").contains(scalar) ? Unicode.Scalar(scalar.value + 32)! : scalar
    }
}
