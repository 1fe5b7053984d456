import Foundation

/// A stored link and its secrets, as ``LinkStore/create(_:)`` returns it.
///
/// ``token`` and ``revokeToken`` exist only here and in the URLs: the store keeps their SHA-256
/// digests, so they cannot be shown again. Put ``url`` in the recipients' message and
/// ``revokeURL`` in the sender's notice; never log either (log ``id``).
public struct CreatedLink: Sendable {
    /// The link's database id (safe to log).
    public let id: Int64
    /// The secret in the download URL: 256 bits from `SystemRandomNumberGenerator`, base64url.
    public let token: String
    /// `baseURL + "/l/" + token`.
    public let url: String
    /// A second secret that revokes the link (but cannot download).
    public let revokeToken: String
    /// `baseURL + "/r/" + revokeToken`.
    public let revokeURL: String
    /// The stored files, in download-index order.
    public let files: [LinkFile]
    /// When the link stops working.
    public let expires: Date

    /// A created link (``LinkStore/create(_:)`` makes them; fakes of ``LinkCreating`` may too).
    public init(
        id: Int64, token: String, url: String, revokeToken: String, revokeURL: String, files: [LinkFile], expires: Date
    ) {
        self.id = id
        self.token = token
        self.url = url
        self.revokeToken = revokeToken
        self.revokeURL = revokeURL
        self.files = files
        self.expires = expires
    }
}
