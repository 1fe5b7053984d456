/// The one-byte code that starts every packet the MTA sends to the filter (`SMFIC_*`).
///
/// The code is a struct rather than an enum so that a decoder can carry codes it does not know
/// (Postfix tags `SMFIC_MACRO` packets with `L`, `B` and `U`; a hostile peer sends anything).
public struct MilterCommandCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The byte on the wire.
    public var rawValue: UInt8

    /// Wraps a byte as a command code.
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    init(_ character: Unicode.Scalar) {
        self.rawValue = UInt8(character.value)
    }

    /// `'A'` SMFIC_ABORT: the MTA abandons the current message.
    public static let abort = Self("A")
    /// `'B'` SMFIC_BODY: a chunk of the message body.
    public static let body = Self("B")
    /// `'C'` SMFIC_CONNECT: SMTP client host name and address.
    public static let connect = Self("C")
    /// `'D'` SMFIC_MACRO: macro values for the next command.
    public static let macro = Self("D")
    /// `'E'` SMFIC_BODYEOB: end of message.
    public static let endOfMessage = Self("E")
    /// `'H'` SMFIC_HELO: the HELO/EHLO argument.
    public static let helo = Self("H")
    /// `'K'` SMFIC_QUIT_NC: end of this SMTP connection, but the milter connection stays open.
    public static let quitNewConnection = Self("K")
    /// `'L'` SMFIC_HEADER: one header field.
    public static let header = Self("L")
    /// `'M'` SMFIC_MAIL: MAIL FROM with ESMTP arguments.
    public static let mail = Self("M")
    /// `'N'` SMFIC_EOH: end of headers.
    public static let endOfHeaders = Self("N")
    /// `'O'` SMFIC_OPTNEG: option negotiation.
    public static let optionNegotiation = Self("O")
    /// `'Q'` SMFIC_QUIT: close the milter connection.
    public static let quit = Self("Q")
    /// `'R'` SMFIC_RCPT: RCPT TO with ESMTP arguments.
    public static let recipient = Self("R")
    /// `'T'` SMFIC_DATA: the DATA command (protocol version 4 and later).
    public static let data = Self("T")
    /// `'U'` SMFIC_UNKNOWN: an SMTP command the MTA does not know (version 3 and later).
    public static let unknown = Self("U")

    /// `'A'` … printable form, `0x07` for anything else.
    public var description: String {
        milterCodeDescription(rawValue)
    }
}

/// The one-byte code that starts every packet the filter sends to the MTA (`SMFIR_*`).
public struct MilterResponseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The byte on the wire.
    public var rawValue: UInt8

    /// Wraps a byte as a response code.
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    init(_ character: Unicode.Scalar) {
        self.rawValue = UInt8(character.value)
    }

    /// `'O'` the option negotiation reply (shares its code with SMFIC_OPTNEG).
    public static let optionNegotiation = Self("O")
    /// `'2'` SMFIR_ADDRCPT_PAR: add a recipient with ESMTP arguments.
    public static let addRecipientWithParameters = Self("2")
    /// `'4'` SMFIR_SHUTDOWN: 421, close the SMTP connection.
    public static let shutdown = Self("4")
    /// `'a'` SMFIR_ACCEPT.
    public static let accept = Self("a")
    /// `'b'` SMFIR_REPLBODY: a chunk of the replacement body.
    public static let replaceBody = Self("b")
    /// `'c'` SMFIR_CONTINUE.
    public static let `continue` = Self("c")
    /// `'d'` SMFIR_DISCARD.
    public static let discard = Self("d")
    /// `'e'` SMFIR_CHGFROM: change the envelope sender.
    public static let changeSender = Self("e")
    /// `'f'` SMFIR_CONN_FAIL: defined by libmilter, handled by no MTA.
    public static let connectionFailure = Self("f")
    /// `'h'` SMFIR_ADDHEADER.
    public static let addHeader = Self("h")
    /// `'i'` SMFIR_INSHEADER.
    public static let insertHeader = Self("i")
    /// `'l'` SMFIR_SETSYMLIST: a macro list (normally carried inside the negotiation reply).
    public static let setSymbolList = Self("l")
    /// `'m'` SMFIR_CHGHEADER (an empty value deletes).
    public static let changeHeader = Self("m")
    /// `'p'` SMFIR_PROGRESS: keep-alive, not a final reply.
    public static let progress = Self("p")
    /// `'q'` SMFIR_QUARANTINE: put the message on hold, not a final reply.
    public static let quarantine = Self("q")
    /// `'r'` SMFIR_REJECT.
    public static let reject = Self("r")
    /// `'s'` SMFIR_SKIP: send no more of this repeated event.
    public static let skip = Self("s")
    /// `'t'` SMFIR_TEMPFAIL.
    public static let tempfail = Self("t")
    /// `'y'` SMFIR_REPLYCODE: a custom SMTP reply.
    public static let replyCode = Self("y")
    /// `'+'` SMFIR_ADDRCPT.
    public static let addRecipient = Self("+")
    /// `'-'` SMFIR_DELRCPT.
    public static let deleteRecipient = Self("-")

    /// `'c'` … printable form, `0x07` for anything else.
    public var description: String {
        milterCodeDescription(rawValue)
    }
}

func milterCodeDescription(_ byte: UInt8) -> String {
    if byte > 0x20 && byte < 0x7F {
        return "'\(Character(Unicode.Scalar(byte)))'"
    }
    let hex = String(byte, radix: 16, uppercase: true)
    return "0x" + (hex.count == 1 ? "0" + hex : hex)
}
