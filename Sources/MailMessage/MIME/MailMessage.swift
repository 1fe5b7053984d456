#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A parsed Internet message (RFC 5322 + MIME): the entity tree with every byte kept, the
/// warnings the parser raised, and accessors for what filters ask most.
///
/// ```swift
/// let message = try MailMessage.parse(bytes)
/// message.subject                    // decoded (RFC 2047, ISO-2022-JP as CP50221, …)
/// message.attachments                // user attachments, inline images, signatures
/// message.serialized() == bytes      // true: untouched messages round-trip byte for byte
/// ```
public struct MailMessage: Sendable {
    /// The top-level entity.
    public var root: MIMEEntity
    /// What the parser noticed (structure, line lengths, line ends).
    public let parseWarnings: [MessageWarning]
    /// How many parts went to spool files.
    public let spooledParts: Int

    init(root: MIMEEntity, parseWarnings: [MessageWarning], spooledParts: Int) {
        self.root = root
        self.parseWarnings = parseWarnings
        self.spooledParts = spooledParts
    }

    /// Parses a message held in memory.
    public static func parse(_ bytes: some Collection<UInt8>, options: MIMEParserOptions = MIMEParserOptions()) throws -> MailMessage {
        let parser = MIMEStreamParser(options: options)
        try parser.feed(bytes)
        return try parser.finish()
    }

    /// Parses a message file, reading it in 64 KiB blocks (memory stays flat for large files).
    public static func parse(contentsOfFile path: String, options: MIMEParserOptions = MIMEParserOptions()) throws -> MailMessage {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw MessageFileError(path: path, errno: errno) }
        defer { close(descriptor) }
        let parser = MIMEStreamParser(options: options)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let got = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw MessageFileError(path: path, errno: errno)
            }
            if got == 0 { break }
            try buffer.withUnsafeBytes { try parser.feed(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
        }
        return try parser.finish()
    }

    /// The top-level header.
    public var header: MessageHeader {
        get { root.header }
        set { root.header = newValue }
    }

    /// The decoded Subject, `nil` when there is none.
    public var subject: String? { header.text("Subject") }
    /// Mailboxes of every From field.
    public var from: [Mailbox] { addresses("From") }
    /// Mailboxes of every To field.
    public var to: [Mailbox] { addresses("To") }
    /// Mailboxes of every Cc field.
    public var cc: [Mailbox] { addresses("Cc") }
    /// The Date as seconds since 1970, when it parses.
    public var date: Int64? { header["Date"].flatMap { DateParser.parse($0.valueString) } }
    /// The Message-ID without angle brackets.
    public var messageID: String? {
        guard let value = header["Message-ID"]?.valueString.trimmingASCIIWhitespace(), !value.isEmpty else { return nil }
        return value.hasPrefix("<") && value.hasSuffix(">") ? String(value.dropFirst().dropLast()) : value
    }

    /// The mailboxes of every field named `name`.
    public func addresses(_ name: String) -> [Mailbox] {
        header.all(name).flatMap { AddressListParser.parse($0.value) }
    }
}

/// A message file that cannot be read.
public struct MessageFileError: Error, CustomStringConvertible {
    public let path: String
    public let errno: Int32
    public var description: String { "\(path): \(String(cString: strerror(errno)))" }
}
