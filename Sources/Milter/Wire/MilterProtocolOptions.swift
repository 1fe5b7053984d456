/// Protocol steps and reply behaviour (`SMFIP_*`): which commands the MTA leaves out (`NO*`),
/// which it sends without waiting for a reply (`NR_*`), and a few extensions.
public struct MilterProtocolOptions: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32

    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// 0x00000001 SMFIP_NOCONNECT.
    public static let noConnect = Self(rawValue: 0x0000_0001)
    /// 0x00000002 SMFIP_NOHELO.
    public static let noHelo = Self(rawValue: 0x0000_0002)
    /// 0x00000004 SMFIP_NOMAIL.
    public static let noMail = Self(rawValue: 0x0000_0004)
    /// 0x00000008 SMFIP_NORCPT.
    public static let noRecipient = Self(rawValue: 0x0000_0008)
    /// 0x00000010 SMFIP_NOBODY.
    public static let noBody = Self(rawValue: 0x0000_0010)
    /// 0x00000020 SMFIP_NOHDRS.
    public static let noHeaders = Self(rawValue: 0x0000_0020)
    /// 0x00000040 SMFIP_NOEOH.
    public static let noEndOfHeaders = Self(rawValue: 0x0000_0040)
    /// 0x00000080 SMFIP_NR_HDR (also SMFIP_NOHREPL): no reply to headers.
    public static let noReplyHeader = Self(rawValue: 0x0000_0080)
    /// 0x00000100 SMFIP_NOUNKNOWN.
    public static let noUnknown = Self(rawValue: 0x0000_0100)
    /// 0x00000200 SMFIP_NODATA.
    public static let noData = Self(rawValue: 0x0000_0200)
    /// 0x00000400 SMFIP_SKIP: the MTA understands SMFIR_SKIP.
    public static let skip = Self(rawValue: 0x0000_0400)
    /// 0x00000800 SMFIP_RCPT_REJ: also send recipients the MTA rejected.
    public static let rejectedRecipients = Self(rawValue: 0x0000_0800)
    /// 0x00001000 SMFIP_NR_CONN.
    public static let noReplyConnect = Self(rawValue: 0x0000_1000)
    /// 0x00002000 SMFIP_NR_HELO.
    public static let noReplyHelo = Self(rawValue: 0x0000_2000)
    /// 0x00004000 SMFIP_NR_MAIL.
    public static let noReplyMail = Self(rawValue: 0x0000_4000)
    /// 0x00008000 SMFIP_NR_RCPT.
    public static let noReplyRecipient = Self(rawValue: 0x0000_8000)
    /// 0x00010000 SMFIP_NR_DATA.
    public static let noReplyData = Self(rawValue: 0x0001_0000)
    /// 0x00020000 SMFIP_NR_UNKN.
    public static let noReplyUnknown = Self(rawValue: 0x0002_0000)
    /// 0x00040000 SMFIP_NR_EOH.
    public static let noReplyEndOfHeaders = Self(rawValue: 0x0004_0000)
    /// 0x00080000 SMFIP_NR_BODY.
    public static let noReplyBody = Self(rawValue: 0x0008_0000)
    /// 0x00100000 SMFIP_HDR_LEADSPC: header values keep their leading space.
    public static let headerLeadingSpace = Self(rawValue: 0x0010_0000)
    /// 0x10000000 SMFIP_MDS_256K: packets up to 256 KiB − 1 (Sendmail FFR).
    public static let maximumDataSize256K = Self(rawValue: 0x1000_0000)
    /// 0x20000000 SMFIP_MDS_1M: packets up to 1 MiB − 1 (Sendmail FFR).
    public static let maximumDataSize1M = Self(rawValue: 0x2000_0000)

    /// SMFI_V1_PROT: what an MTA that sends 0 is assumed to offer.
    public static let version1 = Self(rawValue: 0x3F)
    /// SMFI_V2_PROT.
    public static let version2 = Self(rawValue: 0x7F)
    /// SMFI_CURR_PROT (0x1FFFFF): what Postfix (protocol 6) and Sendmail 8.14+ offer.
    public static let all = Self(rawValue: 0x1F_FFFF)

    public var description: String {
        let names: [(UInt32, String)] = [
            (0x1, "NOCONNECT"), (0x2, "NOHELO"), (0x4, "NOMAIL"), (0x8, "NORCPT"), (0x10, "NOBODY"),
            (0x20, "NOHDRS"), (0x40, "NOEOH"), (0x80, "NR_HDR"), (0x100, "NOUNKNOWN"), (0x200, "NODATA"),
            (0x400, "SKIP"), (0x800, "RCPT_REJ"), (0x1000, "NR_CONN"), (0x2000, "NR_HELO"),
            (0x4000, "NR_MAIL"), (0x8000, "NR_RCPT"), (0x10000, "NR_DATA"), (0x20000, "NR_UNKN"),
            (0x40000, "NR_EOH"), (0x80000, "NR_BODY"), (0x100000, "HDR_LEADSPC"),
            (0x1000_0000, "MDS_256K"), (0x2000_0000, "MDS_1M"),
        ]
        return flagDescription(rawValue, names)
    }
}
