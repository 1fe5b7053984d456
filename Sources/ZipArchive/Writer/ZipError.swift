/// Why a ZIP operation failed. Every error the writer, the outputs and the name converters throw
/// is a `ZipError`; none of them crash on bad input or misuse.
///
/// Match on ``code`` (a small closed set) and show ``reason`` (a sentence with the context).
public struct ZipError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case invalidState
            case invalidArgument
            case limitExceeded
            case outputFailed
            case compressionFailed
            case encryptionFailed
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// A call out of order: `write` before `beginEntry`, `finish` twice, `beginEntry` with an
        /// entry open, anything after an earlier failure.
        public static let invalidState = Code(.invalidState)
        /// A bad parameter: empty password with encryption, compression level outside 0...9, an
        /// empty or over-long entry name, a name not representable in the requested charset.
        public static let invalidArgument = Code(.invalidArgument)
        /// A size the format cannot hold: an entry that outgrew 4 GiB although its local header
        /// had no room for ZIP64 sizes (a too-small `sizeHint`), or more than 2⁶⁴ bytes.
        public static let limitExceeded = Code(.limitExceeded)
        /// Writing the archive failed (`pwrite`, `open`, `close`, or a custom ``ZipOutput``).
        public static let outputFailed = Code(.outputFailed)
        /// zlib reported an error.
        public static let compressionFailed = Code(.compressionFailed)
        /// Key derivation, random bytes or libcrypto AES failed.
        public static let encryptionFailed = Code(.encryptionFailed)

        /// The code's name, as in ``ZipError/description``.
        public var description: String {
            switch base {
            case .invalidState: "invalid state"
            case .invalidArgument: "invalid argument"
            case .limitExceeded: "limit exceeded"
            case .outputFailed: "output failed"
            case .compressionFailed: "compression failed"
            case .encryptionFailed: "encryption failed"
            }
        }
    }

    /// The kind of failure.
    public let code: Code
    /// What went wrong, with the values involved.
    public let reason: String

    /// Creates an error of the given kind.
    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    /// "ZIP <code>: <reason>".
    public var description: String { "ZIP \(code): \(reason)" }
}
