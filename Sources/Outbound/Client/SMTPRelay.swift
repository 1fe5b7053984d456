/// Where messages go: a host and port, and how to use TLS there.
public struct SMTPRelay: Hashable, Sendable, Codable, CustomStringConvertible {
    /// A host name or IP address.
    public var host: String
    /// The TCP port (25 by default).
    public var port: Int
    /// STARTTLS mode, verification, trust roots, expected name.
    public var tls: SMTPTLSSettings
    /// The name of the credentials to authenticate with (a key of
    /// ``SMTPClientConfiguration/namedCredentials``), or `nil` for the client's own. Only the
    /// name travels with the relay (and into the queue's database), never the password.
    public var credentials: String?

    /// Creates a relay.
    public init(host: String, port: Int = 25, tls: SMTPTLSSettings = SMTPTLSSettings(), credentials: String? = nil) {
        self.host = host
        self.port = port
        self.tls = tls
        self.credentials = credentials
    }

    /// Parses `host:port`, `[v6]:port`, or `host` (port 25).
    /// - Throws: ``SMTPRelayError`` when the port is not 1–65535 or the host is empty.
    public init(parsing text: String, tls: SMTPTLSSettings = SMTPTLSSettings()) throws(SMTPRelayError) {
        var host = Substring(text)
        var port = 25
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let parsed = Int(rest.dropFirst()) else { throw SMTPRelayError(text: text) }
                port = parsed
            }
        } else if let colon = host.lastIndex(of: ":"), host.firstIndex(of: ":") == colon {
            guard let parsed = Int(host[host.index(after: colon)...]) else { throw SMTPRelayError(text: text) }
            port = parsed
            host = host[..<colon]
        }
        guard !host.isEmpty, (1...65535).contains(port) else { throw SMTPRelayError(text: text) }
        self.init(host: String(host), port: port, tls: tls)
    }

    /// `host:port` (`[v6]:port`).
    public var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// `127.0.0.1:25 (starttls=required, verify=full)`.
    public var description: String {
        var out = address + " (starttls=\(tls.mode)"
        if tls.mode != .none { out += ", verify=\(tls.effectiveVerification)" }
        if let credentials { out += ", auth=\(credentials)" }
        return out + ")"
    }
}

/// A relay could not be parsed (``SMTPRelay/init(parsing:tls:)``).
public struct SMTPRelayError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The text given.
    public var text: String
    public var description: String { "invalid relay \"\(text)\": expected host:port" }
}
