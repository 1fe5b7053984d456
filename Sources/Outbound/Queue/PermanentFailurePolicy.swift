/// What happens when recipients of a message fail for good (5xx, or given up after the maximum
/// age).
public enum PermanentFailurePolicy: Hashable, Sendable, CustomStringConvertible {
    /// Send a delivery report (multipart/report) from `<>` to the envelope sender. A message
    /// from `<>` (itself a bounce) and a report made by the queue are never bounced.
    case bounce
    /// Send the report to this address instead (an operator mailbox). A report made by the queue
    /// is never reported on.
    case notify(SMTPAddress)
    /// Only log the failure.
    case drop

    /// `bounce`, `notify:ops@example.net`, `drop`.
    public var description: String {
        switch self {
        case .bounce: "bounce"
        case .notify(let address): "notify:\(address)"
        case .drop: "drop"
        }
    }

    /// Parses `bounce`, `drop` or `notify:ADDRESS`.
    /// - Throws: ``SMTPConfigurationError``.
    public init(parsing text: String) throws(SMTPConfigurationError) {
        switch text {
        case "bounce": self = .bounce
        case "drop": self = .drop
        case _ where text.hasPrefix("notify:"):
            do {
                let address = try SMTPAddress(String(text.dropFirst("notify:".count)))
                guard !address.isNull else { throw SMTPAddressError(address: "", reason: "empty") }
                self = .notify(address)
            } catch {
                throw SMTPConfigurationError(field: "failure_policy", problem: "notify needs an address: \(error)")
            }
        default:
            throw SMTPConfigurationError(field: "failure_policy", problem: "expected bounce, drop or notify:ADDRESS, got \(text)")
        }
    }

    /// To whom a report about a failed message from `sender` goes, or `nil` for none.
    func reportRecipient(sender: SMTPAddress, isReport: Bool) -> SMTPAddress? {
        guard !isReport else { return nil }
        switch self {
        case .bounce: return sender.isNull ? nil : sender
        case .notify(let address): return address
        case .drop: return nil
        }
    }
}
