/// What a handler answers to one protocol event: the filter's decision at that point.
public enum MilterVerdict: Hashable, Sendable {
    /// Go on with the next event (`SMFIR_CONTINUE`; at end of message it accepts).
    case `continue`
    /// Accept: at connect/HELO the whole connection, otherwise the message; no further events
    /// for it (`SMFIR_ACCEPT`).
    case accept
    /// Reject with the MTA's default text: at RCPT only that recipient (`SMFIR_REJECT`).
    case reject
    /// Temporary failure with the MTA's default text: at RCPT only that recipient (`SMFIR_TEMPFAIL`).
    case tempfail
    /// Accept but silently drop the message (`SMFIR_DISCARD`; message stages only).
    case discard
    /// Send no more events of this kind (body chunks, headers, recipients) for this message.
    /// Sent as `SMFIR_SKIP` for body chunks when the MTA supports it; otherwise the session
    /// answers further events of the kind itself without calling the handler.
    case skip
    /// 421: tell the MTA to close the SMTP connection (`SMFIR_SHUTDOWN`).
    case shutdown
    /// A custom reply: 4xx acts as tempfail, 5xx as reject (`SMFIR_REPLYCODE`).
    case reply(SMTPReply)

    /// The response that carries this verdict (skip is sent as continue; the session decides when
    /// `SMFIR_SKIP` itself may be sent).
    public var response: MilterResponse {
        switch self {
        case .continue, .skip: .continue
        case .accept: .accept
        case .reject: .reject
        case .tempfail: .tempfail
        case .discard: .discard
        case .shutdown: .shutdown
        case .reply(let reply): .replyCode(reply.wireText)
        }
    }
}
