import Foundation

/// A Maildir++ folder name made from a pattern, like Messasy's `MailFolder`:
/// `%y` year (4 digits), `%m` month, `%d` day, `%D` the address's domain, `%M` (or `%f`) the
/// address, `%%` a percent sign. In names, `.` becomes `dotDelimiter` (`,`) and `/` becomes
/// `slashDelimiter` (`_`) — a `.` would open a sub-folder. Addresses that are not plain ASCII,
/// or that hold characters a folder name cannot, go to `UNKNOWN`. The pattern is `""` (the
/// Maildir root, Dovecot's INBOX) or starts with `.`.
public struct MaildirFolderPattern: Sendable, Equatable {
    public let pattern: String
    public var dotDelimiter: Character = ","
    public var slashDelimiter: Character = "_"

    /// Validates `pattern`.
    public init(_ pattern: String) throws(ArchiveError) {
        guard pattern.isEmpty || pattern.hasPrefix(".") else {
            throw .configuration("folder pattern '\(pattern)' must be empty (the Maildir root) or start with '.' (Maildir++)")
        }
        guard !pattern.contains("/"), !pattern.contains(".."), !pattern.hasSuffix(".") || pattern.isEmpty else {
            throw .configuration("folder pattern '\(pattern)' may not contain '/', '..' or end with '.'")
        }
        var all = Array(pattern)[...]
        while let index = all.firstIndex(of: "%") {
            guard index + 1 < all.endIndex, "ymdDMf%".contains(all[index + 1]) else {
                throw .configuration("folder pattern '\(pattern)': unknown field after '%' (use %y %m %d %D %M %f %%)")
            }
            all = all[(index + 2)...]
        }
        self.pattern = pattern
    }

    /// Whether the folder depends on the address (one folder per archived address).
    public var usesAddress: Bool { pattern.contains("%D") || pattern.contains("%M") || pattern.contains("%f") }

    /// The folder for `address` on `date` (in `timeZone`).
    public func folder(date: Date, address: String?, timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        var output = ""
        var characters = Array(pattern)[...]
        while let character = characters.popFirst() {
            guard character == "%", let field = characters.popFirst() else {
                output.append(character)
                continue
            }
            switch field {
            case "y": output += String(format: "%04d", parts.year ?? 0)
            case "m": output += String(format: "%02d", parts.month ?? 0)
            case "d": output += String(format: "%02d", parts.day ?? 0)
            case "D": output += safe(address.map(Self.domain) ?? "")
            case "M", "f": output += safe(address ?? "")
            default: output.append("%")
            }
        }
        return output
    }

    static func domain(_ address: String) -> String {
        address.lastIndex(of: "@").map { String(address[address.index(after: $0)...]) } ?? ""
    }

    /// An address or domain as one folder-name component.
    private func safe(_ text: String) -> String {
        let lower = text.lowercased()
        let allowed = lower.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && scalar.value > 0x20 && scalar.value < 0x7F && !"%\\\"*?<>|:~&".unicodeScalars.contains(scalar)
        }
        guard !lower.isEmpty, allowed else { return "UNKNOWN" }
        let name = String(lower.map { $0 == "." ? dotDelimiter : $0 == "/" ? slashDelimiter : $0 })
        // A file name is at most 255 bytes: long VERP/SRS addresses keep their start and a digest.
        guard name.utf8.count > 120 else { return name }
        return String(name.prefix(100)) + "~" + String(Digest.sha256Hex(Array(name.utf8)).prefix(16))
    }
}
