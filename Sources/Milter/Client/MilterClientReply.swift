/// What the filter answered to one command the client sent.
public struct MilterClientReply: Hashable, Sendable {
    /// How the step went on the wire.
    public enum Disposition: Hashable, Sendable {
        /// The filter answered with this final response.
        case replied(MilterResponse)
        /// The filter asked not to receive this event (`SMFIP_NO*`); it was not sent.
        case notSent
        /// The filter asked not to be waited for (`SMFIP_NR_*`); it was sent, no reply read.
        case noReplyExpected
        /// The filter already decided for the whole connection or message (accept, reject,
        /// discard …) or asked to skip this kind of event; the command was not sent.
        case suppressed
    }

    /// The final answer, if one was read.
    public var disposition: Disposition
    /// Non-final packets read before the final one: progress, quarantine and, at end of
    /// message, the modifications, in the order received.
    public var interim: [MilterResponse]

    public init(_ disposition: Disposition, interim: [MilterResponse] = []) {
        self.disposition = disposition
        self.interim = interim
    }

    /// The final response, or `nil` when none was read.
    public var response: MilterResponse? {
        if case .replied(let response) = disposition { return response }
        return nil
    }

    /// Whether the MTA would go on with the message after this step.
    public var continues: Bool {
        switch disposition {
        case .replied(let response): response == .continue || response == .skip
        case .notSent, .noReplyExpected: true
        case .suppressed: false
        }
    }

    /// The modifications among ``interim`` (without progress and quarantine).
    public var modifications: [MilterResponse] {
        interim.filter { $0.requiredAction != nil && !isQuarantine($0) }
    }

    /// The quarantine reason, if the filter asked for quarantine.
    public var quarantineReason: String? {
        for response in interim {
            if case .quarantine(let reason) = response { return reason }
        }
        return nil
    }

    /// The number of progress packets received.
    public var progressCount: Int {
        interim.filter { $0 == .progress }.count
    }

    private func isQuarantine(_ response: MilterResponse) -> Bool {
        if case .quarantine = response { return true }
        return false
    }
}
