/// File names from mail made safe to write into paths, ZIP entries and headers — while staying
/// readable, so the recipient still recognises the file.
public enum SafeFilename {
    /// Why a name is unsafe (the manifest's `unsafe_filename_reasons` names).
    public enum Reason: String, Sendable, Hashable, Codable, CaseIterable {
        case pathTraversal = "path-traversal"
        case absolutePath = "absolute-path"
        case backslash
        case slash
        case nul
        case controlChars = "control-chars"
        case tooLong = "too-long"
        case bidiOverride = "bidi-override"
        case executable
        case crlf
        case headerInjection = "header-injection"
    }

    /// Extensions that run code when opened on common desktops.
    public static let executableExtensions: Set<String> = [
        "exe", "com", "bat", "cmd", "scr", "pif", "vbs", "vbe", "js", "jse", "wsf", "wsh", "msi", "msp", "cpl", "hta",
        "jar", "ps1", "psm1", "lnk", "reg", "dll", "scf", "inf", "msc", "gadget", "application", "appref-ms", "iso",
        "img", "vhd", "vhdx", "chm", "hlp", "sys", "drv", "ocx", "xll", "library-ms", "settingcontent-ms",
    ]

    private static let windowsReserved: Set<String> = {
        var names: Set<String> = ["con", "prn", "aux", "nul", "conin$", "conout$"]
        for digit in 0...9 {
            names.insert("com\(digit)")
            names.insert("lpt\(digit)")
        }
        return names
    }()

    /// Bidirectional controls that can reorder what a name shows (U+202A–U+202E, U+2066–U+2069,
    /// U+200E, U+200F, U+061C).
    static func isBidiControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true
        default: false
        }
    }

    /// What is wrong with `name` (empty for a safe name). `executable` is reported only together
    /// with another reason: an executable with an honest name is a policy matter, not a trick.
    /// Reserved Windows device names (`nul.txt`, `CON`) are not reported but ``make(_:maxBytes:fallback:)``
    /// renames them.
    public static func reasons(_ name: String) -> Set<Reason> {
        var reasons = Set<Reason>()
        let scalars = name.unicodeScalars
        if scalars.contains("\r") || scalars.contains("\n") {
            reasons.insert(.crlf)
            if headerLike(name) { reasons.insert(.headerInjection) }
        }
        if scalars.contains("\u{0}") { reasons.insert(.nul) }
        if scalars.contains(where: { ($0.value < 32 && $0 != "\r" && $0 != "\n" && $0 != "\u{0}") || $0.value == 127 || (0x80...0x9F).contains($0.value) }) {
            reasons.insert(.controlChars)
        }
        if scalars.contains(where: isBidiControl) { reasons.insert(.bidiOverride) }
        let components = name.unicodeScalars.split(whereSeparator: { $0 == "/" || $0 == "\\" }).map { String(String.UnicodeScalarView($0)) }
        if components.contains(where: { $0.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }.map(String.init).joined() == ".." }) {
            reasons.insert(.pathTraversal)
        }
        if name.hasPrefix("/") || name.hasPrefix("\\") || isDriveAbsolute(name) { reasons.insert(.absolutePath) }
        if scalars.contains("\\") { reasons.insert(.backslash) }
        // A slash is its own finding only when nothing graver explains it.
        if scalars.contains("/") && reasons.isDisjoint(with: [.pathTraversal, .absolutePath, .crlf]) { reasons.insert(.slash) }
        if name.utf8.count > 255 { reasons.insert(.tooLong) }
        if !reasons.isEmpty, let ext = visibleExtension(name), executableExtensions.contains(ext) { reasons.insert(.executable) }
        return reasons
    }

    /// The name made safe: only the last path component; control, NUL and bidi characters
    /// removed; `\ / : * ? " < > |` replaced by `_`; no leading dots or trailing dots and spaces;
    /// reserved Windows names prefixed with `_`; at most `maxBytes` UTF-8 bytes, cut on a
    /// character boundary with the extension kept. An empty result becomes `fallback`.
    public static func make(_ name: String, maxBytes: Int = 255, fallback: String = "attachment") -> String {
        // Work on scalars: a combining mark after '/' must not hide the separator.
        var scalars = [Unicode.Scalar]()
        scalars.reserveCapacity(name.unicodeScalars.count)
        for scalar in name.unicodeScalars {
            if scalar.value < 32 || scalar.value == 127 || (0x80...0x9F).contains(scalar.value) || isBidiControl(scalar) { continue }
            if scalar == "\u{FEFF}" || scalar == "\u{200B}" { continue }
            scalars.append(scalar)
        }
        // Keep only the last path component.
        if let separator = scalars.lastIndex(where: { $0 == "/" || $0 == "\\" }) {
            scalars.removeSubrange(...separator)
        }
        if scalars.count >= 2, scalars[0].isASCII, scalars[0].properties.isAlphabetic, scalars[1] == ":" {
            scalars.removeFirst(2)
        }
        scalars = scalars.map { ":*?\"<>|".unicodeScalars.contains($0) ? "_" : $0 }
        // No leading dots or spaces (hidden files, `..`), no trailing dots or spaces (Windows),
        // and no combining marks left dangling at the start.
        let leading = scalars.prefix { $0 == "." || $0 == " " || $0.properties.generalCategory == .nonspacingMark }.count
        scalars.removeFirst(leading)
        while let last = scalars.last, last == "." || last == " " { scalars.removeLast() }
        var text = String(String.UnicodeScalarView(scalars))
        let stem = text.split(separator: ".", maxSplits: 1).first.map { $0.lowercased() } ?? ""
        if windowsReserved.contains(stem) { text = "_" + text }
        if text.isEmpty { text = fallback }
        return truncate(text, maxBytes: maxBytes, fallback: fallback)
    }

    /// Cuts `text` to `maxBytes` UTF-8 bytes on a character boundary, keeping a short extension
    /// (at most 16 bytes, ASCII letters and digits).
    static func truncate(_ text: String, maxBytes: Int, fallback: String = "attachment") -> String {
        guard text.utf8.count > maxBytes else { return text }
        var extensionPart = ""
        if let dot = text.unicodeScalars.lastIndex(of: ".") {
            let candidate = String(text.unicodeScalars[dot...])
            if candidate.utf8.count <= 16, candidate.unicodeScalars.dropFirst().allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }) {
                extensionPart = candidate
            }
        }
        let stem = extensionPart.isEmpty ? text : String(text.unicodeScalars[..<text.unicodeScalars.index(text.unicodeScalars.endIndex, offsetBy: -extensionPart.unicodeScalars.count)])
        var result = ""
        var used = extensionPart.utf8.count
        for character in stem {
            let size = character.utf8.count
            if used + size > maxBytes { break }
            result.append(character)
            used += size
        }
        if result.isEmpty { result = fallback }
        return result + extensionPart
    }

    /// The extension a user sees: the last one, ignoring bidi and control characters.
    static func visibleExtension(_ name: String) -> String? {
        let plain = String(String.UnicodeScalarView(name.unicodeScalars.filter { !isBidiControl($0) && $0.value >= 32 }))
        guard let dot = plain.lastIndex(of: ".") else { return nil }
        let ext = plain[plain.index(after: dot)...].lowercased().trimmingASCIIWhitespace()
        return ext.isEmpty ? nil : ext
    }

    private static func isDriveAbsolute(_ name: String) -> Bool {
        let scalars = Array(name.unicodeScalars.prefix(3))
        guard scalars.count >= 2, scalars[0].isASCII, scalars[0].properties.isAlphabetic, scalars[1] == ":" else { return false }
        return true
    }

    /// CR/LF followed by something shaped like a header field (`Name:`), or a blank line.
    private static func headerLike(_ name: String) -> Bool {
        let lines = name.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" })
        for line in lines.dropFirst() {
            if let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                line[..<colon].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
            {
                return true
            }
        }
        return lines.count > 2 && lines.contains(where: { $0.isEmpty })
    }
}
