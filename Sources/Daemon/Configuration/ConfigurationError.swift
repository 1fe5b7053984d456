/// A configuration that cannot be used: names the file, the line and the key, and says why.
public struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file (or `<inline>`).
    public var file: String
    /// 1-based line, when known.
    public var line: Int?
    /// The key path (`rules[2].when.recipient`).
    public var key: String
    /// What is wrong.
    public var message: String

    public init(file: String, line: Int?, key: String, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        return key.isEmpty ? "\(place): \(message)" : "\(place): \(key): \(message)"
    }
}
