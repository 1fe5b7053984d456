/// What a filter asks of the MTA at option negotiation — the counterpart of libmilter's
/// `xxfi_flags` plus `xxfi_negotiate`.
///
/// The defaults suit most filters: every event is delivered and answered, every modification the
/// MTA offers may be used, and `SMFIR_SKIP` is announced when the MTA understands it.
///
/// Leave ``events`` at its default unless the filter truly needs fewer round trips: skipping DATA
/// (`SMFIP_NODATA`) makes Postfix send a macro packet with nothing after it, which stalls ~40 ms on
/// Postfix's side under Nagle (see docs/milter-protocol.md).
public struct MilterCapabilities: Hashable, Sendable {
    /// Modifications the filter cannot work without: negotiation fails unless the MTA offers them.
    public var requiredActions: MilterActions
    /// Modifications the filter uses when the MTA offers them (SMFIS_ALL_OPTS behaviour).
    public var optionalActions: MilterActions
    /// Events delivered to the handler; the MTA is asked (`SMFIP_NO*`) not to send the others.
    public var events: MilterEvents
    /// Events the MTA should send without waiting for a reply (`SMFIP_NR_*`); a verdict other
    /// than continue returned for them cannot reach the MTA and is logged and dropped.
    public var noReplyEvents: MilterEvents
    /// Macro lists per stage, replacing the MTA's configured lists (needs protocol version 6).
    public var macros: [MacroRequest]
    /// Keep the space after the header colon (`SMFIP_HDR_LEADSPC`).
    public var headerLeadingSpace: Bool
    /// Also receive recipients the MTA already rejected (`SMFIP_RCPT_REJ`).
    public var rejectedRecipients: Bool
    /// Announce that the filter may send `SMFIR_SKIP` (`SMFIP_SKIP`).
    public var skip: Bool
    /// Ask for larger packets (`SMFIP_MDS_256K`/`SMFIP_MDS_1M`) when the MTA offers them.
    public var largePackets: Bool

    public init(
        requiredActions: MilterActions = [],
        optionalActions: MilterActions = [
            .addHeaders, .changeBody, .addRecipients, .deleteRecipients, .changeHeaders, .quarantine,
            .changeSender, .addRecipientsWithParameters,
        ],
        events: MilterEvents = .all,
        noReplyEvents: MilterEvents = [],
        macros: [MacroRequest] = [],
        headerLeadingSpace: Bool = false,
        rejectedRecipients: Bool = false,
        skip: Bool = true,
        largePackets: Bool = false
    ) {
        self.requiredActions = requiredActions
        self.optionalActions = optionalActions
        self.events = events
        self.noReplyEvents = noReplyEvents
        self.macros = macros
        self.headerLeadingSpace = headerLeadingSpace
        self.rejectedRecipients = rejectedRecipients
        self.skip = skip
        self.largePackets = largePackets
    }
}
