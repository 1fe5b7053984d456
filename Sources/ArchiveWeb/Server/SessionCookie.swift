import Foundation

/// The sign-in cookie: `HttpOnly; SameSite=Strict; Path=/`, and under TLS `Secure` with the
/// `__Host-` prefix (so no other host or path can set it). Its value is the session token.
struct SessionCookie: Sendable {
    let secure: Bool
    let lifetime: TimeInterval

    var name: String { secure ? "__Host-sekisho-archive" : "sekisho-archive" }

    /// `Set-Cookie` for a new session.
    func setting(_ token: String) -> String {
        "\(name)=\(token); Max-Age=\(Int(lifetime)); Path=/; HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
    }

    /// `Set-Cookie` that deletes it (logout).
    var clearing: String {
        "\(name)=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
    }

    /// The token in a `Cookie` header, if any.
    func token(in header: String?) -> String? {
        Self.value(of: name, in: header)
    }

    /// The value of cookie `name` in a `Cookie` header.
    static func value(of name: String, in header: String?) -> String? {
        guard let header else { return nil }
        for pair in header.split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name else { continue }
            return parts[1].trimmingCharacters(in: .whitespaces)
        }
        return nil
    }
}
