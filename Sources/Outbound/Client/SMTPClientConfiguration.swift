/// How the client behaves on every connection (the relay's own TLS settings travel with
/// ``SMTPRelay``).
public struct SMTPClientConfiguration: Hashable, Sendable {
    /// The name sent with EHLO/HELO.
    public var heloName: String
    /// Per-phase limits.
    public var timeouts: SMTPTimeouts
    /// Credentials for AUTH, or `nil` to never authenticate.
    public var credentials: SMTPCredentials?
    /// Credentials by name, for relays that name theirs (``SMTPRelay/credentials``): each
    /// duplicate destination authenticates as itself. A relay naming credentials missing here
    /// fails its sessions (transient, so the mail waits for the configuration to be fixed).
    public var namedCredentials: [String: SMTPCredentials] = [:]
    /// Whether AUTH may be sent on a connection without TLS (off: credentials are only sent
    /// encrypted).
    public var allowsPlaintextAuthentication: Bool
    /// The size of the chunks the message is read and written in.
    public var chunkSize: Int

    /// Creates a configuration.
    /// - Parameter heloName: the client's host name; must not be empty or contain spaces or
    ///   control characters (checked by ``validate()``).
    public init(
        heloName: String,
        timeouts: SMTPTimeouts = SMTPTimeouts(),
        credentials: SMTPCredentials? = nil,
        allowsPlaintextAuthentication: Bool = false,
        chunkSize: Int = 64 * 1024
    ) {
        self.heloName = heloName
        self.timeouts = timeouts
        self.credentials = credentials
        self.allowsPlaintextAuthentication = allowsPlaintextAuthentication
        self.chunkSize = chunkSize
    }

    /// Checks the values once, naming the field that is wrong.
    /// - Throws: ``SMTPConfigurationError``.
    public func validate() throws(SMTPConfigurationError) {
        guard !heloName.isEmpty, heloName.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) else {
            throw SMTPConfigurationError(field: "helo_name", problem: "must be a host name without spaces")
        }
        guard (1024...(16 * 1024 * 1024)).contains(chunkSize) else {
            throw SMTPConfigurationError(field: "chunk_size", problem: "must be between 1 KiB and 16 MiB")
        }
        if let credentials, !credentials.isUsable {
            throw SMTPConfigurationError(field: "credentials", problem: "user name must not be empty; no NUL characters")
        }
        for (name, credentials) in namedCredentials where !credentials.isUsable {
            throw SMTPConfigurationError(field: "credentials.\(name)", problem: "user name must not be empty; no NUL characters")
        }
    }
}

/// A configuration value is invalid; names the key.
public struct SMTPConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The key, e.g. `retry.factor`.
    public var field: String
    /// What is wrong with it.
    public var problem: String

    /// Creates an error.
    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    public var description: String { "\(field): \(problem)" }
}

extension SMTPCredentials {
    /// A user name, and no NUL in either part (AUTH PLAIN separates them with NUL).
    var isUsable: Bool { !username.isEmpty && !username.contains("\u{0}") && !password.contains("\u{0}") }
}
