/// The protocol events a filter can choose to receive and to answer. End of message, abort and
/// close always reach the handler.
public struct MilterEvents: OptionSet, Hashable, Sendable {
    public var rawValue: UInt16

    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    /// `SMFIC_CONNECT`.
    public static let connect = Self(rawValue: 1 << 0)
    /// `SMFIC_HELO`.
    public static let helo = Self(rawValue: 1 << 1)
    /// `SMFIC_MAIL`.
    public static let envelopeFrom = Self(rawValue: 1 << 2)
    /// `SMFIC_RCPT`.
    public static let envelopeRecipient = Self(rawValue: 1 << 3)
    /// `SMFIC_DATA`.
    public static let data = Self(rawValue: 1 << 4)
    /// `SMFIC_HEADER`.
    public static let header = Self(rawValue: 1 << 5)
    /// `SMFIC_EOH`.
    public static let endOfHeaders = Self(rawValue: 1 << 6)
    /// `SMFIC_BODY`.
    public static let body = Self(rawValue: 1 << 7)
    /// `SMFIC_UNKNOWN`.
    public static let unknown = Self(rawValue: 1 << 8)

    /// Every optional event.
    public static let all: Self = [
        .connect, .helo, .envelopeFrom, .envelopeRecipient, .data, .header, .endOfHeaders, .body, .unknown,
    ]

    /// Each single event with its `SMFIP_NO*` and `SMFIP_NR_*` flags.
    static let flags: [(event: Self, skip: MilterProtocolOptions, noReply: MilterProtocolOptions)] = [
        (.connect, .noConnect, .noReplyConnect),
        (.helo, .noHelo, .noReplyHelo),
        (.envelopeFrom, .noMail, .noReplyMail),
        (.envelopeRecipient, .noRecipient, .noReplyRecipient),
        (.data, .noData, .noReplyData),
        (.header, .noHeaders, .noReplyHeader),
        (.endOfHeaders, .noEndOfHeaders, .noReplyEndOfHeaders),
        (.body, .noBody, .noReplyBody),
        (.unknown, .noUnknown, .noReplyUnknown),
    ]

    /// The `SMFIP_NO*` flag that turns this single event off.
    var skipFlag: MilterProtocolOptions {
        Self.flags.first { $0.event == self }?.skip ?? []
    }

    /// The `SMFIP_NR_*` flag that makes the MTA send this single event without waiting.
    var noReplyFlag: MilterProtocolOptions {
        Self.flags.first { $0.event == self }?.noReply ?? []
    }
}
