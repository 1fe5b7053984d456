/// Why a rewrite cannot be done.
public enum RewriteError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No entity at that path.
    case noSuchPart(String)
    /// The operation needs a multipart parent (a message/rfc822 body can only be replaced).
    case notInMultipart(String)
    /// The content is covered by a signature (multipart/signed): changing it breaks the signature.
    case signed(String)
    /// The message has no text body to put a banner in.
    case noTextBody

    public var description: String {
        switch self {
        case .noSuchPart(let path): "no MIME part at \(path.isEmpty ? "(root)" : path)"
        case .notInMultipart(let path): "part \(path) is not inside a multipart"
        case .signed(let path): "part \(path.isEmpty ? "(root)" : path) is covered by a signature"
        case .noTextBody: "the message has no text body"
        }
    }
}
