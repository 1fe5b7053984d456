#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a download-link operation failed.
///
/// ``code`` says what kind of failure it was; ``message`` says exactly what went wrong, naming
/// the setting (``key``) or the file (``path``) at fault. A `LinkError` never carries a token,
/// a revoke token or a password, so it is safe to log.
public struct LinkError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure. A struct wrapping a private enum, so cases can be added later.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidSettings = "invalid settings"
            case invalidLink = "invalid link"
            case storage = "storage"
            case corrupt = "corrupt data"
            case tls = "tls"
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// A ``LinkSettings`` value is unusable (thrown by ``LinkSettings/validate()``).
        public static let invalidSettings = Code(.invalidSettings)
        /// A ``NewLink`` cannot be stored as given (no files, expiry in the past, …).
        public static let invalidLink = Code(.invalidLink)
        /// A file or directory of the store could not be created, written, read or removed.
        public static let storage = Code(.storage)
        /// Stored data failed its integrity check: a blob that does not decrypt, a wrapped key
        /// that does not open, a digest that does not match.
        public static let corrupt = Code(.corrupt)
        /// The TLS certificate or key could not be loaded.
        public static let tls = Code(.tls)

        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong, in words.
    public var message: String
    /// The setting at fault (`base_url`, `listen`, …) for ``Code/invalidSettings``.
    public var key: String?
    /// The file or directory involved, if any.
    public var path: String?

    /// Makes an error; prefer the static helpers below.
    public init(code: Code, message: String, key: String? = nil, path: String? = nil) {
        self.code = code
        self.message = message
        self.key = key
        self.path = path
    }

    public var description: String {
        var text = key.map { "\($0): \(message)" } ?? message
        if let path { text += " (\(path))" }
        return "\(code): \(text)"
    }

    static func settings(_ key: String, _ message: String) -> LinkError {
        LinkError(code: .invalidSettings, message: message, key: key)
    }

    static func invalidLink(_ message: String) -> LinkError {
        LinkError(code: .invalidLink, message: message)
    }

    static func storage(_ message: String, path: String? = nil, errno number: Int32? = nil) -> LinkError {
        let detail = number.map { "\(message): \(String(cString: strerror($0)))" } ?? message
        return LinkError(code: .storage, message: detail, path: path)
    }

    static func corrupt(_ message: String, path: String? = nil) -> LinkError {
        LinkError(code: .corrupt, message: message, path: path)
    }
}
