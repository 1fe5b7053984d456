import NIOSSL

/// Whether the client asks for STARTTLS.
public enum StartTLSMode: String, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// Never; the session stays plaintext.
    case none
    /// When the server offers it, encrypted **without checking the certificate** (Postfix's `may`:
    /// encryption against passive eavesdropping; ``SMTPTLSSettings/verification`` is not applied).
    /// A server that does not offer STARTTLS, or refuses it, gets the message in plaintext. When
    /// the handshake fails at the protocol level (a TLS error, the connection closed, or a
    /// timeout during STARTTLS and the handshake), the client tries once more on a new, plaintext
    /// connection and logs a warning. A configuration error (unreadable trust roots) or plaintext
    /// injected after the STARTTLS reply is never a reason to fall back.
    case opportunistic
    /// Always, with the certificate checked as ``SMTPTLSSettings/verification`` says; a server
    /// without STARTTLS, or a failed handshake, is a transient failure.
    case required

    public var description: String { rawValue }
}

/// How the server's certificate is checked once TLS is up.
public enum CertificateVerification: String, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// Chain to a trusted root and a name (or IP address) that matches the relay: the default.
    case full
    /// Chain to a trusted root; the name is not checked.
    case noHostname = "no-hostname"
    /// Nothing is checked (encryption against passive eavesdropping only).
    case none

    public var description: String { rawValue }
}

/// Where the trusted roots come from. Codable as `"system"` or `"pem:/path/to/roots.pem"`.
public enum TrustRoots: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The system's store.
    case system
    /// The PEM certificates in this file (a private CA or a self-signed server certificate).
    case pemFile(String)

    /// `system` or `pem:/path`.
    public var description: String {
        switch self {
        case .system: "system"
        case .pemFile(let path): "pem:\(path)"
        }
    }

    /// Decodes `system` or `pem:/path`.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        if text == "system" {
            self = .system
        } else if text.hasPrefix("pem:") {
            self = .pemFile(String(text.dropFirst(4)))
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "expected system or pem:PATH"))
        }
    }

    /// Encodes ``description``.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// TLS for one relay: mode, verification, roots and the name to expect.
public struct SMTPTLSSettings: Hashable, Sendable, Codable {
    /// Whether to use STARTTLS.
    public var mode: StartTLSMode
    /// How to check the certificate with ``StartTLSMode/required``; `.full` by default.
    /// ``StartTLSMode/opportunistic`` never checks it.
    public var verification: CertificateVerification
    /// The trusted roots; the system's by default.
    public var trustRoots: TrustRoots
    /// The name sent in SNI and checked against the certificate; the relay's host when `nil`. An
    /// IP address is checked against the certificate's IP subject alternative names.
    public var serverName: String?

    /// Creates settings.
    public init(mode: StartTLSMode = .opportunistic, verification: CertificateVerification = .full, trustRoots: TrustRoots = .system, serverName: String? = nil) {
        self.mode = mode
        self.verification = verification
        self.trustRoots = trustRoots
        self.serverName = serverName
    }

    /// The check actually made: ``verification``, or none with opportunistic TLS.
    var effectiveVerification: CertificateVerification {
        mode == .opportunistic ? .none : verification
    }

    /// The swift-nio-ssl client configuration (TLS 1.2 or newer).
    func makeTLSConfiguration() -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        switch effectiveVerification {
        case .full: configuration.certificateVerification = .fullVerification
        case .noHostname: configuration.certificateVerification = .noHostnameVerification
        case .none: configuration.certificateVerification = .none
        }
        switch trustRoots {
        case .system: configuration.trustRoots = .default
        case .pemFile(let path): configuration.trustRoots = .file(path)
        }
        return configuration
    }

    /// The SNI name for `host`: `nil` for an IP address (SNI cannot carry one; NIOSSL then checks
    /// the certificate against the peer's address).
    func sniName(for host: String) -> String? {
        let name = serverName ?? host
        return name.isIPAddressLiteral ? nil : name
    }
}

extension String {
    /// Whether this is a literal IPv4 or IPv6 address.
    var isIPAddressLiteral: Bool {
        if contains(":") { return true }
        let parts = split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }
}
