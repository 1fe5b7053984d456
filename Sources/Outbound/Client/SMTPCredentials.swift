/// A user name and password for AUTH PLAIN or LOGIN. Its description never shows the password.
public struct SMTPCredentials: Hashable, Sendable, CustomStringConvertible {
    /// The authentication identity.
    public var username: String
    /// The password.
    public var password: String

    /// Creates credentials.
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// `user (password hidden)`.
    public var description: String { "\(username) (password hidden)" }
}
