/// The stage a macro list belongs to in the negotiation reply (`SMFIM_*`).
///
/// These numbers appear only inside the option negotiation reply (and `SMFIR_SETSYMLIST`); the
/// `SMFIC_MACRO` packets themselves name their stage with a command code.
public struct MacroStage: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32

    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// 0 SMFIM_CONNECT.
    public static let connect = Self(rawValue: 0)
    /// 1 SMFIM_HELO.
    public static let helo = Self(rawValue: 1)
    /// 2 SMFIM_ENVFROM.
    public static let envelopeFrom = Self(rawValue: 2)
    /// 3 SMFIM_ENVRCPT.
    public static let envelopeRecipient = Self(rawValue: 3)
    /// 4 SMFIM_DATA.
    public static let data = Self(rawValue: 4)
    /// 5 SMFIM_EOM (numbered before EOH on purpose: it was added first).
    public static let endOfMessage = Self(rawValue: 5)
    /// 6 SMFIM_EOH.
    public static let endOfHeaders = Self(rawValue: 6)

    /// The command whose `SMFIC_MACRO` packet carries this stage's macros.
    public var commandCode: MilterCommandCode? {
        switch rawValue {
        case 0: .connect
        case 1: .helo
        case 2: .mail
        case 3: .recipient
        case 4: .data
        case 5: .endOfMessage
        case 6: .endOfHeaders
        default: nil
        }
    }

    public var description: String {
        switch rawValue {
        case 0: "SMFIM_CONNECT"
        case 1: "SMFIM_HELO"
        case 2: "SMFIM_ENVFROM"
        case 3: "SMFIM_ENVRCPT"
        case 4: "SMFIM_DATA"
        case 5: "SMFIM_EOM"
        case 6: "SMFIM_EOH"
        default: "SMFIM_\(rawValue)"
        }
    }
}

/// A list of macros the filter asks the MTA to send at one stage (carried in the negotiation
/// reply, or in an `SMFIR_SETSYMLIST` packet).
public struct MacroRequest: Hashable, Sendable {
    /// The stage the list applies to.
    public var stage: MacroStage
    /// Macro names as the MTA spells them (`i`, `{daemon_name}`); sent space-separated.
    public var names: [String]

    public init(stage: MacroStage, names: [String]) {
        self.stage = stage
        self.names = names
    }
}

/// One macro name and its value, as carried by `SMFIC_MACRO`.
public struct MilterMacro: Hashable, Sendable {
    /// The name as sent: `j`, `{daemon_name}`.
    public var name: String
    /// The value.
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
