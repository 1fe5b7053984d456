/// A `host:port` listen address (`127.0.0.1:8900`, `[::1]:8900`, `0.0.0.0:0`).
public struct ListenAddress: Hashable, Sendable {
    /// The host without brackets.
    public var host: String
    /// 0...65535; 0 lets the system pick.
    public var port: Int

    /// Parses `host:port`.
    /// - Throws: ``LinkError`` (`listen`) when there is no port, it is out of range, or the host
    ///   is empty.
    public init(parsing text: String) throws(LinkError) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
            throw .settings("listen", "expected HOST:PORT, not \"\(text)\"")
        }
        guard (0...65_535).contains(port) else { throw .settings("listen", "port \(port) is out of range") }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw .settings("listen", "has no host (say 0.0.0.0 to listen everywhere)") }
        self.host = host
        self.port = port
    }
}
