import Foundation

/// Makes mail CSS (a `style` attribute or a `<style>` element) unable to load anything or run
/// anything: CSS escapes and comments are resolved first (so `\75rl(` and `u/**/rl(` cannot hide
/// a function), then every `url(`, `image-set(`, `image(`, `expression(`, `@import`,
/// `-moz-binding`, `behavior` and `javascript:`/`vbscript:` is defused, so the browser drops
/// the declaration as invalid. Backslashes and `<` never reach the output (no new escapes, no
/// way out of a `<style>` element).
enum CSSSanitizer {
    /// Replacements applied to the lowercased text, in order.
    private static let defused: [(String, String)] = [
        ("url(", "blocked("), ("image-set(", "blocked("), ("image(", "blocked("), ("expression(", "blocked("),
        ("@import", "@blocked"), ("-moz-binding", "blocked"), ("behavior", "blocked"), ("javascript:", "blocked:"),
        ("vbscript:", "blocked:"), ("src(", "blocked("),
    ]

    /// The sanitized CSS, and whether something that would load a resource was removed.
    static func sanitize(_ css: String) -> (css: String, blockedLoads: Bool) {
        var text = withoutComments(unescaped(css))
        text.unicodeScalars.removeAll { $0 == "\\" || $0 == "<" || $0 == "\0" }
        var blocked = false
        for (needle, replacement) in defused {
            let (replaced, count) = replacingCaseInsensitive(needle, with: replacement, in: text)
            text = replaced
            if count > 0 && needle != "behavior" { blocked = true }
        }
        return (blocked ? withoutArguments(text) : text, blocked)
    }

    /// The arguments of defused functions (`blocked(…)` becomes `blocked()`) and defused
    /// `@import` rules (up to `;`) removed, so no URL text is left behind.
    static func withoutArguments(_ css: String) -> String {
        var output = ""
        var rest = Substring(css)
        while let range = [rest.range(of: "blocked("), rest.range(of: "@blocked")].compactMap({ $0 }).min(by: { $0.lowerBound < $1.lowerBound }) {
            let isRule = rest[range].hasPrefix("@")
            output += rest[..<range.lowerBound]
            output += isRule ? "" : "blocked()"
            let after = rest[range.upperBound...]
            let end = after.firstIndex(of: isRule ? ";" : ")") ?? after.endIndex
            rest = end < after.endIndex ? after[after.index(after: end)...] : after[end...]
        }
        return output + rest
    }

    /// Resolves CSS escapes: `\` + 1–6 hex digits (+ one optional space), or `\` + any character.
    static func unescaped(_ css: String) -> String {
        guard css.contains("\\") else { return css }
        let scalars = Array(css.unicodeScalars)
        var output = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            guard scalars[index] == "\\", index + 1 < scalars.count else {
                output.append(scalars[index])
                index += 1
                continue
            }
            index += 1
            var value: UInt32 = 0
            var digits = 0
            while digits < 6, index < scalars.count, let digit = HTMLCharacterReference.digitValue(scalars[index], hex: true) {
                value = value * 16 + digit
                digits += 1
                index += 1
            }
            if digits > 0 {
                if index < scalars.count, HTMLTokenizer.isSpace(scalars[index]) { index += 1 }
                output.append(value == 0 ? "\u{FFFD}" : Unicode.Scalar(value) ?? "\u{FFFD}")
            } else if scalars[index] != "\n" {
                output.append(scalars[index])
                index += 1
            } else {
                index += 1
            }
        }
        return String(output)
    }

    /// `/* … */` removed (an unterminated comment runs to the end).
    static func withoutComments(_ css: String) -> String {
        guard css.contains("/*") else { return css }
        var output = ""
        var rest = Substring(css)
        while let open = rest.range(of: "/*") {
            output += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "*/") else { return output }
            rest = rest[close.upperBound...]
        }
        return output + rest
    }

    /// Every occurrence of the ASCII `needle`, in any case, replaced; and how many there were.
    static func replacingCaseInsensitive(_ needle: String, with replacement: String, in text: String) -> (String, Int) {
        let lowered = text.lowercased()
        guard lowered.contains(needle) else { return (text, 0) }
        // Work on scalars of the original: lowercasing ASCII keeps positions, and a non-ASCII
        // scalar never lowercases into the ASCII needle.
        let original = Array(text.unicodeScalars)
        let needleScalars = Array(needle.unicodeScalars)
        var output = String.UnicodeScalarView()
        var count = 0
        var index = 0
        while index < original.count {
            if index + needleScalars.count <= original.count,
                (0..<needleScalars.count).allSatisfy({ HTMLTokenizer.lowercased(original[index + $0]) == needleScalars[$0] })
            {
                output.append(contentsOf: replacement.unicodeScalars)
                index += needleScalars.count
                count += 1
            } else {
                output.append(original[index])
                index += 1
            }
        }
        return (String(output), count)
    }
}
