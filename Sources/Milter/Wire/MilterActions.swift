/// The modifications a filter may make at end of message (`SMFIF_*`), as offered by the MTA and
/// requested by the filter during option negotiation.
public struct MilterActions: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32

    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// 0x001 SMFIF_ADDHDRS: add and insert headers (`h`, `i`).
    public static let addHeaders = Self(rawValue: 0x001)
    /// 0x002 SMFIF_CHGBODY: replace the body (`b`).
    public static let changeBody = Self(rawValue: 0x002)
    /// 0x004 SMFIF_ADDRCPT: add recipients (`+`).
    public static let addRecipients = Self(rawValue: 0x004)
    /// 0x008 SMFIF_DELRCPT: delete recipients (`-`).
    public static let deleteRecipients = Self(rawValue: 0x008)
    /// 0x010 SMFIF_CHGHDRS: change and delete headers (`m`).
    public static let changeHeaders = Self(rawValue: 0x010)
    /// 0x020 SMFIF_QUARANTINE: quarantine the message (`q`).
    public static let quarantine = Self(rawValue: 0x020)
    /// 0x040 SMFIF_CHGFROM: change the envelope sender (`e`, version 6).
    public static let changeSender = Self(rawValue: 0x040)
    /// 0x080 SMFIF_ADDRCPT_PAR: add recipients with ESMTP arguments (`2`, version 6).
    public static let addRecipientsWithParameters = Self(rawValue: 0x080)
    /// 0x100 SMFIF_SETSYMLIST: the filter sends macro lists in its negotiation reply (version 6).
    public static let setSymbolList = Self(rawValue: 0x100)

    /// SMFI_V1_ACTS: what an MTA that sends 0 is assumed to offer.
    public static let version1: Self = [.addHeaders, .changeBody, .addRecipients, .deleteRecipients]
    /// SMFI_V2_ACTS.
    public static let version2: Self = [.version1, .changeHeaders, .quarantine]
    /// SMFI_CURR_ACTS (0x1FF): what Postfix and Sendmail 8.14+ offer.
    public static let all: Self = [
        .version2, .changeSender, .addRecipientsWithParameters, .setSymbolList,
    ]

    public var description: String {
        let names: [(Self, String)] = [
            (.addHeaders, "ADDHDRS"), (.changeBody, "CHGBODY"), (.addRecipients, "ADDRCPT"),
            (.deleteRecipients, "DELRCPT"), (.changeHeaders, "CHGHDRS"), (.quarantine, "QUARANTINE"),
            (.changeSender, "CHGFROM"), (.addRecipientsWithParameters, "ADDRCPT_PAR"),
            (.setSymbolList, "SETSYMLIST"),
        ]
        return flagDescription(rawValue, names.map { ($0.0.rawValue, $0.1) })
    }
}

func flagDescription(_ value: UInt32, _ names: [(UInt32, String)]) -> String {
    var parts: [String] = []
    var rest = value
    for (bit, name) in names where value & bit != 0 {
        parts.append(name)
        rest &= ~bit
    }
    if rest != 0 {
        parts.append("0x" + String(rest, radix: 16))
    }
    return parts.isEmpty ? "none" : parts.joined(separator: "|")
}
