/// The body of an `SMFIC_OPTNEG` command and of the filter's `'O'` reply: protocol version,
/// actions, protocol options and, in the reply only, macro lists per stage.
public struct OptionNegotiation: Hashable, Sendable {
    /// Milter protocol version (2, 3, 4 or 6 in practice).
    public var version: UInt32
    /// Offered (MTA) or requested (filter) modification actions.
    public var actions: MilterActions
    /// Offered (MTA) or requested (filter) protocol options.
    public var protocolOptions: MilterProtocolOptions
    /// Macro lists the filter asks for (reply only; an MTA sends none).
    public var macroRequests: [MacroRequest]

    public init(
        version: UInt32,
        actions: MilterActions,
        protocolOptions: MilterProtocolOptions,
        macroRequests: [MacroRequest] = []
    ) {
        self.version = version
        self.actions = actions
        self.protocolOptions = protocolOptions
        self.macroRequests = macroRequests
    }

    /// What Postfix 3.x sends with `milter_protocol = 6`: version 6, actions 0x1FF, options 0x1FFFFF.
    public static let postfix = Self(version: 6, actions: .all, protocolOptions: .all)

    /// What Sendmail 8.14+ sends: the same as Postfix (without the FFR max-data-size bits).
    public static let sendmail = Self(version: 6, actions: .all, protocolOptions: .all)
}
