#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Limits and spooling for the MIME parser. The defaults parse everything in the shared corpus
/// (100 nesting levels, 10,000 parts) and keep memory flat for large mail.
public struct MIMEParserOptions: Sendable, Hashable {
    /// Container levels (multipart and message/rfc822) beyond which a container is kept as an
    /// opaque leaf and the message is flagged `deep_nesting`.
    public var maxDepth = 128
    /// Entities beyond which further delimiters are not split and the message is flagged
    /// `many_parts`.
    public var maxParts = 20_000
    /// A part larger than this is spooled to a temporary file (default 1 MiB).
    public var spoolThreshold = 1 << 20
    /// Body bytes of one message kept in memory at most; beyond it every further part spools.
    public var memoryLimit = 8 << 20
    /// Bytes of one header block at most; the rest is read as body (`header_too_large`).
    public var maxHeaderBytes = 1 << 20
    /// A line longer than this is passed on in pieces instead of being buffered whole (at least
    /// 256).
    public var maxLineBuffer = 1 << 16
    /// Where spool files are created (they are unlinked at once). Default: `$TMPDIR` or `/tmp`.
    public var spoolDirectory: String = {
        if let value = getenv("TMPDIR"), let text = String(validatingCString: value), !text.isEmpty { return text }
        return "/tmp"
    }()

    public init() {}
}
