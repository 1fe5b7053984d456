/// The SMTP client's address as carried by `SMFIC_CONNECT` (`SMFIA_*` family byte, port, address).
public enum ConnectAddress: Hashable, Sendable {
    /// `'U'` SMFIA_UNKNOWN: no port or address follows.
    case unknown
    /// `'L'` SMFIA_UNIX: a local socket path (the port field is sent as 0).
    case unix(path: String)
    /// `'4'` SMFIA_INET: a dotted-quad address and port.
    case inet(address: String, port: UInt16)
    /// `'6'` SMFIA_INET6: an IPv6 address as sent (Sendmail prefixes `IPv6:`, Postfix does not).
    case inet6(address: String, port: UInt16)

    /// The family byte on the wire.
    public var familyByte: UInt8 {
        switch self {
        case .unknown: UInt8(ascii: "U")
        case .unix: UInt8(ascii: "L")
        case .inet: UInt8(ascii: "4")
        case .inet6: UInt8(ascii: "6")
        }
    }

    /// The IP address without Sendmail's `IPv6:` prefix, or `nil` for unix and unknown families.
    public var ipAddress: String? {
        switch self {
        case .inet(let address, _):
            return address
        case .inet6(let address, _):
            if address.utf8.count >= 5, address.prefix(5).lowercased() == "ipv6:" {
                return String(address.dropFirst(5))
            }
            return address
        case .unknown, .unix:
            return nil
        }
    }

    /// The client's TCP port, or `nil` for unix and unknown families.
    public var port: UInt16? {
        switch self {
        case .inet(_, let port), .inet6(_, let port): port
        case .unknown, .unix: nil
        }
    }
}
