/// Where a milter listens or an MTA connects: a TCP host and port, or a unix socket path.
///
/// Parses both MTAs' spellings: Sendmail/libmilter `inet:10029@127.0.0.1`, `inet6:10029@::1`,
/// `inet:10029` (all interfaces), `unix:/path`, `local:/path`, a bare `/path`; and Postfix
/// `inet:127.0.0.1:10029`, `inet:[::1]:10029`, `unix:/path`.
public enum MilterSocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// A TCP address; an empty host means every interface.
    case inet(host: String, port: Int)
    /// A unix domain socket.
    case unix(path: String)

    /// Parses a socket specification.
    /// - Throws: ``MilterSocketAddressError`` naming what is wrong with `spec`.
    public init(parsing spec: String) throws(MilterSocketAddressError) {
        let text = spec.trimmingSpaces()
        if text.hasPrefix("/") {
            self = .unix(path: text)
            return
        }
        guard let colon = text.firstIndex(of: ":") else {
            throw MilterSocketAddressError(spec, "expected inet:PORT@HOST, inet:HOST:PORT or unix:/path")
        }
        let scheme = text[..<colon].lowercased()
        let rest = String(text[text.index(after: colon)...])
        switch scheme {
        case "unix", "local":
            guard rest.hasPrefix("/") else {
                throw MilterSocketAddressError(spec, "a unix socket needs an absolute path")
            }
            self = .unix(path: rest)
        case "inet", "inet6":
            let (host, portText): (String, Substring)
            if let at = rest.firstIndex(of: "@") {
                portText = rest[..<at]
                host = Self.unbracket(rest[rest.index(after: at)...])
            } else if let last = rest.lastIndex(of: ":") {
                host = Self.unbracket(rest[..<last])
                portText = rest[rest.index(after: last)...]
            } else {
                host = ""
                portText = Substring(rest)
            }
            guard let port = Int(portText), (0...65_535).contains(port) else {
                throw MilterSocketAddressError(spec, "\"\(portText)\" is not a port number (0–65535)")
            }
            if host.contains(":") && scheme == "inet" && !rest.contains("[") && rest.contains("@") == false {
                throw MilterSocketAddressError(spec, "write an IPv6 host in brackets: inet:[::1]:PORT")
            }
            self = .inet(host: host, port: port)
        case "tcp":
            throw MilterSocketAddressError(spec, "the scheme is inet:, not tcp:")
        default:
            throw MilterSocketAddressError(spec, "unknown scheme \"\(scheme)\" (use inet:, inet6:, unix: or local:)")
        }
    }

    /// The form Postfix's `smtpd_milters` takes: `inet:127.0.0.1:10029`, `inet:[::1]:10029`, `unix:/path`.
    public var postfixSpelling: String {
        switch self {
        case .inet(let host, let port):
            let shown = host.isEmpty ? "127.0.0.1" : host
            return shown.contains(":") ? "inet:[\(shown)]:\(port)" : "inet:\(shown):\(port)"
        case .unix(let path):
            return "unix:\(path)"
        }
    }

    /// The form Sendmail's `INPUT_MAIL_FILTER` and libmilter take: `inet:10029@127.0.0.1`,
    /// `inet6:10029@::1`, `unix:/path`.
    public var sendmailSpelling: String {
        switch self {
        case .inet(let host, let port):
            let shown = host.isEmpty ? "127.0.0.1" : host
            return shown.contains(":") ? "inet6:\(port)@\(shown)" : "inet:\(port)@\(shown)"
        case .unix(let path):
            return "unix:\(path)"
        }
    }

    /// The libmilter spelling.
    public var description: String { sendmailSpelling }

    private static func unbracket(_ host: Substring) -> String {
        if host.hasPrefix("[") && host.hasSuffix("]") {
            return String(host.dropFirst().dropLast())
        }
        return String(host)
    }
}

/// A socket specification that could not be parsed.
public struct MilterSocketAddressError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The text as given.
    public var spec: String
    /// What is wrong with it.
    public var reason: String

    public init(_ spec: String, _ reason: String) {
        self.spec = spec
        self.reason = reason
    }

    public var description: String { "invalid milter socket \"\(spec)\": \(reason)" }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        String(self.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
