/// A violation of the milter wire protocol by the peer: a bad frame, a malformed payload, a
/// command out of order or an option negotiation that cannot succeed.
///
/// Thrown by the decoders, the session state machine and the client. A server that sees one logs
/// a single line (peer and ``description``) and closes only that connection.
public struct MilterProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of violation this is; compare with the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case frameTooLarge = "frame too large"
            case emptyFrame = "empty frame"
            case truncatedFrame = "truncated frame"
            case malformedPayload = "malformed payload"
            case unknownCommand = "unknown command"
            case unknownResponse = "unknown response"
            case unexpectedCommand = "command out of order"
            case unexpectedResponse = "unexpected response"
            case negotiationFailed = "option negotiation failed"
            case actionNotNegotiated = "action not negotiated"
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// The length field exceeds the configured maximum.
        public static let frameTooLarge = Self(.frameTooLarge)
        /// The length field is 0, so not even a command byte follows.
        public static let emptyFrame = Self(.emptyFrame)
        /// The stream ended in the middle of a frame.
        public static let truncatedFrame = Self(.truncatedFrame)
        /// The payload does not have the shape its command requires (missing NUL, short integer,
        /// trailing bytes, bad address family).
        public static let malformedPayload = Self(.malformedPayload)
        /// A command byte that is not an `SMFIC_*` code.
        public static let unknownCommand = Self(.unknownCommand)
        /// A response byte that is not an `SMFIR_*` code.
        public static let unknownResponse = Self(.unknownResponse)
        /// A valid command that is not allowed in the current session state.
        public static let unexpectedCommand = Self(.unexpectedCommand)
        /// A valid response that is not allowed at this point (client side).
        public static let unexpectedResponse = Self(.unexpectedResponse)
        /// Version or action requirements cannot be met.
        public static let negotiationFailed = Self(.negotiationFailed)
        /// The peer used a modification that was not negotiated (client side).
        public static let actionNotNegotiated = Self(.actionNotNegotiated)

        public var description: String { base.rawValue }
    }

    /// The kind of violation.
    public var code: Code
    /// What exactly was wrong, in words fit for one log line.
    public var detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String {
        "\(code): \(detail)"
    }
}
