import Foundation

/// Where the password of a protected message comes from.
public enum PasswordSource: Sendable, Hashable {
    /// A new random password per message, `length` characters of `alphabet`, from the system
    /// CSPRNG (getrandom).
    case random(length: Int, alphabet: [Character])
    /// A fixed password with strftime fields (`secret%Y%m` changes monthly).
    case fixed(TimePattern)

    /// Letters and digits without the look-alikes 0/O/o, 1/l/I, k (SaMMA leaves out k, l, O).
    public static let defaultAlphabet = Array("23456789abcdefghijmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ")
    /// The default length: 12 characters of the default alphabet carry about 69 bits.
    public static let defaultLength = 12

    /// The password for a message sent at `date`.
    public func password(at date: Date, timeZone: TimeZone) -> Secret {
        switch self {
        case .random(let length, let alphabet):
            var generator = SystemRandomNumberGenerator()
            // Rejection-free: `random(in:using:)` draws without modulo bias.
            let characters = (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
            return Secret(String(characters))
        case .fixed(let pattern):
            return Secret(pattern.format(date, timeZone: timeZone))
        }
    }

    /// Whether the password is made per message (a notice is needed to open the archive).
    public var isRandom: Bool {
        if case .random = self { return true }
        return false
    }
}

/// A password or token: its text never shows in logs or descriptions (`<redacted>`), and
/// comparison is constant-time.
public struct Secret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret text; use only where it must go (the ZIP writer, the notice).
    public let value: String

    public init(_ value: String) {
        self.value = value
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }

    /// Constant-time comparison (time depends on the lengths only).
    public func matches(_ other: String) -> Bool {
        let left = Array(value.utf8)
        let right = Array(other.utf8)
        var difference = UInt8(left.count == right.count ? 0 : 1)
        for index in 0..<max(left.count, right.count) {
            let a = index < left.count ? left[index] : 0
            let b = index < right.count ? right[index] : 0
            difference |= a ^ b
        }
        return difference == 0
    }
}
